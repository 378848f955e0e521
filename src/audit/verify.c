/* verify.c: walks a log and names the first thing wrong with it (docs/audit-format.md,
 * "Verification"). Everything read is hostile: lines are parsed by the strict canonical
 * reader, and nothing is trusted that the verifier's own keys do not vouch for. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/codes.h"
#include "audit/keys.h"
#include "audit/lines.h"
#include "audit/record.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"
#include "util/secure.h"
#include "util/timeutil.h"

static const char *const problem_names[] = {
    "intact",     "malformed",      "modified",  "bad MAC", "missing",   "inserted", "reordered",
    "duplicated", "bad checkpoint", "truncated", "torn",    "wrong key", "stale"};

const char *wd_audit_problem_name(wd_audit_problem p)
{
    return (unsigned)p < sizeof(problem_names) / sizeof(problem_names[0]) ? problem_names[p] : "?";
}

#define WD_AUDIT_MAX_DECLARED_GAP (UINT64_C(1) << 27)

typedef struct {
    bool have_mac, have_pub, have_anchor;
    uint8_t key[WD_HMAC_KEY_LEN];
    uint8_t pub[WD_ED25519_KEY_LEN];
    uint8_t log_id[16];
    bool have_log_id;
    uint64_t anchor_count;
    uint8_t anchor_head[WD_SHA256_LEN];
    uint8_t anchor_pub[WD_ED25519_KEY_LEN], anchor_log_id[16];
    wd_hasher *h;
    wd_audit_verify_result *res;
} verifier;

static void flag(verifier *v, wd_audit_problem p, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void flag(verifier *v, wd_audit_problem p, uint64_t seq, const char *fmt, ...)
{
    v->res->problem = p;
    v->res->seq = seq;
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    snprintf(v->res->message, sizeof(v->res->message), "seq %llu: %s: %s", (unsigned long long)seq,
             wd_audit_problem_name(p), detail);
}

/* Does a record with this sequence number follow within the next lines? */
static bool appears_later(const wd_lines *it, uint64_t seq)
{
    wd_lines ahead;
    if (wd_lines_fork(it, &ahead) != 0)
        return false;
    const char *line;
    size_t len;
    bool torn, found = false;
    for (int i = 0; i < 4096 && !found && wd_lines_next(&ahead, &line, &len, &torn) == 1; i++) {
        wd_record_view r;
        found = !torn && wd_record_parse(line, len, &r) && r.seq == seq;
    }
    wd_lines_close(&ahead);
    return found;
}

static bool is_type(const wd_record_view *r, const char *t)
{
    return r->type_len == strlen(t) && !memcmp(r->type, t, r->type_len);
}

/* Checks a CHECKPOINT record against the running chain. */
static bool check_checkpoint(verifier *v, const wd_record_view *r, const uint8_t head[32])
{
    uint64_t count;
    uint8_t chead[32], id[16], sig[WD_ED25519_SIG_LEN];
    if (!wd_json_field_u64(r->details, r->details_len, "count", &count) ||
        !wd_json_field_hex(r->details, r->details_len, "head", chead, 32) ||
        !wd_json_field_hex(r->details, r->details_len, "log_id", id, 16) ||
        !wd_json_field_hex(r->details, r->details_len, "signature", sig, sizeof(sig))) {
        flag(v, WD_AUDIT_BAD_CHECKPOINT, r->seq, "checkpoint details are incomplete");
        return false;
    }
    if (count != r->seq - 1 || memcmp(chead, head, 32)) {
        flag(v, WD_AUDIT_BAD_CHECKPOINT, r->seq,
             "checkpoint claims %llu records and a head that the chain does not have",
             (unsigned long long)count);
        return false;
    }
    if (v->have_log_id && memcmp(id, v->log_id, 16)) {
        flag(v, WD_AUDIT_BAD_CHECKPOINT, r->seq, "checkpoint names another log");
        return false;
    }
    if (v->have_pub) {
        char msg[200], idh[33], hh[65];
        wd_hex_encode(id, 16, idh);
        wd_hex_encode(chead, 32, hh);
        int n = snprintf(msg, sizeof(msg), "warden-audit-checkpoint-v1\n%s\n%llu\n%s\n", idh,
                         (unsigned long long)count, hh);
        if (!wd_ed25519_verify(v->pub, msg, (size_t)n, sig)) {
            flag(v, WD_AUDIT_BAD_CHECKPOINT, r->seq, "signature does not verify");
            return false;
        }
        v->res->signatures_checked++;
    }
    v->res->checkpoints++;
    return true;
}

static int load_anchor(verifier *v, const char *path)
{
    char *data;
    size_t len;
    int rc = wd_file_read(path, 4096, &data, &len, WD_A_ANCHOR, WD_A_ANCHOR);
    if (rc)
        return rc;
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    uint8_t id[16], pub[32], sig[64];
    const char *fmt;
    size_t fl;
    bool ok = wd_json_field(data, len, "format", &fmt, &fl) &&
              fl == sizeof("\"warden-audit-anchor-v1\"") - 1 &&
              !memcmp(fmt, "\"warden-audit-anchor-v1\"", fl) &&
              wd_json_field_hex(data, len, "log_id", id, 16) &&
              wd_json_field_u64(data, len, "count", &v->anchor_count) &&
              wd_json_field_hex(data, len, "head", v->anchor_head, 32) &&
              wd_json_field_hex(data, len, "signature", sig, 64) &&
              wd_json_field_hex(data, len, "public_key", pub, 32);
    free(data);
    if (!ok)
        return wd_error_set(WD_EINVAL, WD_A_ANCHOR, path, 0, 0, "not a warden audit anchor");
    if (v->have_pub && memcmp(pub, v->pub, 32))
        return wd_error_set(WD_EINVAL, WD_A_ANCHOR, path, 0, 0,
                            "the anchor was signed by another key than --pubkey");
    char msg[200], idh[33], hh[65];
    wd_hex_encode(id, 16, idh);
    wd_hex_encode(v->anchor_head, 32, hh);
    int n = snprintf(msg, sizeof(msg), "warden-audit-checkpoint-v1\n%s\n%llu\n%s\n", idh,
                     (unsigned long long)v->anchor_count, hh);
    if (!wd_ed25519_verify(pub, msg, (size_t)n, sig))
        return wd_error_set(WD_EINVAL, WD_A_ANCHOR, path, 0, 0,
                            "the anchor's signature does not verify");
    memcpy(v->anchor_pub, pub, 32);
    memcpy(v->anchor_log_id, id, 16);
    v->have_anchor = true;
    return 0;
}

/* Where a walk stands: the seq the next record must have, the chain head so far, and how many
 * records came after the last checkpoint. */
typedef struct {
    uint64_t e;
    uint64_t since_checkpoint;
    uint8_t head[WD_SHA256_LEN];
} chain;

static void ratchet(verifier *v)
{
    uint8_t next[WD_HMAC_KEY_LEN];
    wd_ratchet(v->h, v->key, next);
    memcpy(v->key, next, sizeof(next));
    wd_wipe(next, sizeof(next));
}

/* A whole line that is a canonical record with a usable seq. */
static bool read_record(verifier *v, const wd_lines *it, uint64_t e, const char *line, size_t len,
                        bool torn, wd_record_view *r)
{
    if (torn) {
        if (wd_lines_at_end(it))
            flag(v, WD_AUDIT_TORN, e, "the last line was cut off mid-write (%zu bytes)", len);
        else
            flag(v, WD_AUDIT_MALFORMED, e, "a segment does not end with a newline");
        return false;
    }
    if (!wd_record_parse(line, len, r)) {
        flag(v, WD_AUDIT_MALFORMED, e, "a line that is not a canonical record (%zu bytes)", len);
        return false;
    }
    v->res->records++;
    if (r->seq == UINT64_MAX) { /* no writer gets here; e would wrap to 0 */
        flag(v, WD_AUDIT_MALFORMED, e, "sequence number out of range");
        return false;
    }
    return true;
}

/* The record has the seq expected, or follows a gap a RECOVERY record declares (whose lost
 * keys are skipped). */
static bool check_order(verifier *v, const wd_lines *it, chain *c, const wd_record_view *r,
                        const uint8_t h[WD_SHA256_LEN])
{
    uint64_t e = c->e;
    if (r->seq < e) {
        if (r->seq == e - 1 && !memcmp(h, c->head, WD_SHA256_LEN))
            flag(v, WD_AUDIT_DUPLICATED, r->seq, "the same record appears twice");
        else
            flag(v, WD_AUDIT_INSERTED, r->seq, "a second, different record claims this seq");
        return false;
    }
    if (r->seq == e)
        return true;
    uint64_t from, to;
    /* A crash can lose records but never LOG_START (the writer refuses that state), and no
     * page cache holds 2^27 records: a larger "declared" gap is an attack on the verifier
     * (each lost record costs a key ratchet), not damage to explain. */
    bool declared = is_type(r, "RECOVERY") && e > 1 && r->seq - e <= WD_AUDIT_MAX_DECLARED_GAP &&
                    wd_json_field_u64(r->details, r->details_len, "lost_from", &from) &&
                    wd_json_field_u64(r->details, r->details_len, "lost_to", &to) && from == e &&
                    to == r->seq - 1;
    if (!declared) {
        if (appears_later(it, e))
            flag(v, WD_AUDIT_REORDERED, e, "appears after seq %llu", (unsigned long long)r->seq);
        else if (e == 1)
            flag(v, WD_AUDIT_MISSING, e, "the log starts at seq %llu", (unsigned long long)r->seq);
        else if (is_type(r, "TAMPERING"))
            flag(v, WD_AUDIT_MISSING, e,
                 "records %llu..%llu are gone; the writer found them gone and recorded "
                 "tampering (CRITICAL, seq %llu)",
                 (unsigned long long)e, (unsigned long long)r->seq - 1, (unsigned long long)r->seq);
        else
            flag(v, WD_AUDIT_MISSING, e, "records %llu..%llu are gone", (unsigned long long)e,
                 (unsigned long long)r->seq - 1);
        return false;
    }
    for (uint64_t s = e; v->have_mac && s < r->seq; s++) /* skip the lost keys */
        ratchet(v);
    c->e = r->seq;
    return true;
}

static bool check_mac(verifier *v, const char *line, const wd_record_view *r)
{
    if (!v->have_mac)
        return true;
    uint8_t mac[WD_SHA256_LEN];
    wd_hmac_sha256(v->h, v->key, line, r->body_len, mac);
    if (!wd_ct_equal(mac, r->mac, sizeof(mac))) {
        flag(v, WD_AUDIT_BAD_MAC, r->seq, "the record was modified or forged");
        return false;
    }
    ratchet(v);
    v->res->macs_checked++;
    return true;
}

/* The record links to the chain so far; record 1 is the LOG_START of the expected log and key,
 * and no other is. */
static bool check_link(verifier *v, const uint8_t head[WD_SHA256_LEN], const wd_record_view *r)
{
    if (memcmp(r->prev, head, WD_SHA256_LEN)) {
        if (r->seq == 1)
            flag(v, WD_AUDIT_MODIFIED, 1, "the first record does not start the chain");
        else
            flag(v, WD_AUDIT_MODIFIED, r->seq - 1,
                 "its hash no longer matches the prev of seq %llu", (unsigned long long)r->seq);
        return false;
    }
    if (r->seq != 1) {
        if (is_type(r, "LOG_START")) {
            flag(v, WD_AUDIT_INSERTED, r->seq, "a second LOG_START");
            return false;
        }
        return true;
    }
    uint8_t pub[WD_ED25519_KEY_LEN];
    if (!is_type(r, "LOG_START") ||
        !wd_json_field_hex(r->details, r->details_len, "log_id", v->log_id, sizeof(v->log_id)) ||
        !wd_json_field_hex(r->details, r->details_len, "public_key", pub, sizeof(pub))) {
        flag(v, WD_AUDIT_MALFORMED, 1, "the log does not begin with LOG_START");
        return false;
    }
    v->have_log_id = true;
    if (v->have_pub && memcmp(pub, v->pub, sizeof(pub))) {
        flag(v, WD_AUDIT_WRONG_KEY, 1, "the log was started for another signing key");
        return false;
    }
    if (v->have_anchor && (memcmp(pub, v->anchor_pub, sizeof(pub)) ||
                           memcmp(v->log_id, v->anchor_log_id, sizeof(v->log_id)))) {
        flag(v, WD_AUDIT_WRONG_KEY, 1, "the anchor belongs to another log or key");
        return false;
    }
    return true;
}

/* What the record's type adds: a checkpoint checked and counted as the seal, a recovery
 * counted, a TAMPERING record reported. */
static bool check_type(verifier *v, chain *c, const wd_record_view *r)
{
    wd_audit_verify_result *res = v->res;
    if (is_type(r, "CHECKPOINT")) {
        if (!check_checkpoint(v, r, c->head))
            return false;
        c->since_checkpoint = 0;
        res->sealed_seq = r->seq;
        res->sealed_ns = r->ts_ns;
        res->unsealed_since_ns = 0;
    } else if (is_type(r, "RECOVERY")) {
        res->recoveries++;
    } else if (is_type(r, "TAMPERING")) {
        /* The writer only writes one after a gap, which stops the walk above: one without a
         * gap is no writer's, and says the log is not what it was either way. */
        flag(v, WD_AUDIT_TRUNCATED, r->seq, "a TAMPERING record: the writer found its log cut");
        return false;
    }
    if (!is_type(r, "CHECKPOINT") && !res->unsealed_since_ns)
        res->unsealed_since_ns = r->ts_ns;
    res->last_ns = r->ts_ns;
    return true;
}

/* One line of the log, checked and added to the chain; false once something is wrong. */
static bool step(verifier *v, const wd_lines *it, chain *c, const char *line, size_t len, bool torn)
{
    wd_record_view r;
    if (!read_record(v, it, c->e, line, len, torn, &r))
        return false;
    uint8_t h[WD_SHA256_LEN];
    wd_sha256(v->h, line, len, h);
    if (!check_order(v, it, c, &r, h) || !check_mac(v, line, &r) || !check_link(v, c->head, &r) ||
        !check_type(v, c, &r))
        return false;
    if (v->have_anchor && r.seq == v->anchor_count && memcmp(h, v->anchor_head, sizeof(h))) {
        flag(v, WD_AUDIT_MODIFIED, r.seq, "the record differs from the one the anchor signed");
        return false;
    }
    memcpy(c->head, h, sizeof(h));
    if (!is_type(&r, "CHECKPOINT"))
        c->since_checkpoint++;
    v->res->last_seq = r.seq;
    c->e = r.seq + 1;
    return true;
}

/* After the last line: what a log that reads cleanly can still lack. */
static void check_end(verifier *v, const chain *c, int got)
{
    wd_audit_verify_result *res = v->res;
    if (got < 0)
        flag(v, WD_AUDIT_MALFORMED, c->e, "a segment could not be read: %s",
             wd_error_last()->message);
    else if (res->records == 0) /* nothing to check is not nothing wrong: a log has LOG_START */
        flag(v, WD_AUDIT_MISSING, 1, "the log has no records");
    else if (v->have_anchor && res->last_seq < v->anchor_count)
        flag(v, WD_AUDIT_TRUNCATED, res->last_seq + 1,
             "the log ends at seq %llu but the anchor covers seq %llu",
             (unsigned long long)res->last_seq, (unsigned long long)v->anchor_count);
    else
        res->unsealed = c->since_checkpoint;
}

static void walk(verifier *v, wd_lines *it)
{
    chain c = {.e = 1};
    const char *line;
    size_t len;
    bool torn, ok = true;
    int got = 0;
    while (ok && (got = wd_lines_next(it, &line, &len, &torn)) == 1)
        ok = step(v, it, &c, line, len, torn);
    if (ok)
        check_end(v, &c, got);
}

static void age_text(int64_t ns, char *out, size_t size)
{
    int64_t s = ns / 1000000000;
    if (s < 120)
        snprintf(out, size, "%llds", (long long)s);
    else if (s < 7200)
        snprintf(out, size, "%lldm", (long long)(s / 60));
    else
        snprintf(out, size, "%lldh", (long long)(s / 3600));
}

/* An intact log is fresh when it was sealed within fresh_ns: its last checkpoint is no older,
 * and no record after it is older either (a writer seals within its heartbeat interval, so a
 * record left unsealed that long means the seals stopped, or were cut off). */
static void check_fresh(verifier *v, int64_t fresh_ns, int64_t now)
{
    wd_audit_verify_result *res = v->res;
    char when[WD_TIME_TEXT_LEN + 1], age[32], limit[32];
    age_text(fresh_ns, limit, sizeof(limit));
    if (!res->sealed_seq) {
        flag(v, WD_AUDIT_STALE, 1, "the log has no checkpoint: nothing is sealed");
        return;
    }
    wd_time_format(res->sealed_ns, when);
    if (now - res->sealed_ns > fresh_ns) {
        age_text(now - res->sealed_ns, age, sizeof(age));
        flag(v, WD_AUDIT_STALE, res->sealed_seq + 1,
             "the last seal (seq %llu, %s) is %s old, more than %s",
             (unsigned long long)res->sealed_seq, when, age, limit);
        return;
    }
    if (res->unsealed && now - res->unsealed_since_ns > fresh_ns) {
        age_text(now - res->unsealed_since_ns, age, sizeof(age));
        flag(v, WD_AUDIT_STALE, res->sealed_seq + 1,
             "%llu records after the last seal (seq %llu, %s) have waited %s unsealed, more "
             "than %s",
             (unsigned long long)res->unsealed, (unsigned long long)res->sealed_seq, when, age,
             limit);
    }
}

int wd_audit_verify(const char *log_dir, const wd_audit_verify_options *opts,
                    wd_audit_verify_result *res)
{
    if (!log_dir || !opts || !res ||
        (opts->version != 1 && opts->version != WD_AUDIT_VERIFY_OPTIONS_VERSION))
        return wd_fail(WD_EINVAL, "wd_audit_verify needs a log, options and a result");
    /* Version 1 of the options ends before fresh_ns. */
    wd_audit_verify_options o = WD_AUDIT_VERIFY_OPTIONS_INIT;
    memcpy(&o, opts, opts->version == 1 ? offsetof(wd_audit_verify_options, fresh_ns) : sizeof(o));
    opts = &o;
    if (opts->fresh_ns < 0)
        return wd_fail(WD_EINVAL, "a freshness bound must not be negative");
    if (!opts->mac_key_path && !opts->pubkey_path)
        return wd_fail(WD_EINVAL, "verification needs the MAC key, the public key, or both");
    memset(res, 0, sizeof(*res));
    verifier v = {.res = res};
    int rc = wd_hasher_new(&v.h);
    if (!rc && opts->mac_key_path) {
        /* The initial MAC key is as secret as the writer's: same permission rules. */
        rc = wd_keyfile_read(opts->mac_key_path, WD_MAC_KEY_HEADER, true, v.key, sizeof(v.key));
        v.have_mac = rc == 0;
    }
    if (!rc && opts->pubkey_path) {
        rc = wd_keyfile_read(opts->pubkey_path, WD_PUBLIC_KEY_HEADER, false, v.pub, sizeof(v.pub));
        v.have_pub = rc == 0;
    }
    if (!rc && opts->anchor_path)
        rc = load_anchor(&v, opts->anchor_path);
    wd_lines it = {.dirfd = -1};
    if (!rc)
        rc = wd_lines_open(&it, log_dir);
    if (!rc) {
        walk(&v, &it);
        if (!res->problem && opts->fresh_ns > 0)
            check_fresh(&v, opts->fresh_ns, opts->now_ns ? opts->now_ns : wd_time_now_ns());
        if (!res->problem)
            snprintf(res->message, sizeof(res->message),
                     "intact: %llu records, %llu checkpoints verified",
                     (unsigned long long)res->records, (unsigned long long)res->checkpoints);
        wd_lines_close(&it);
    }
    wd_wipe(v.key, sizeof(v.key));
    wd_hasher_free(v.h);
    return rc;
}
