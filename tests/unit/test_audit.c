/* test_audit.c: the audit log's guarantees, each as a test that fails if the property breaks. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/keys.h"
#include "audit/record.h"
#include "crypto/crypto.h"
#include "helpers.h"
#include "util/secure.h"
#include "warden/warden.h"

typedef struct {
    char *root;
    char keys[4096], log[4096], mac[4200], pub[4200], state[4200], seg[4200];
} fixture;

static void fixture_init(fixture *f)
{
    f->root = wd_test_tmpdir();
    snprintf(f->keys, sizeof(f->keys), "%s/keys", f->root);
    snprintf(f->log, sizeof(f->log), "%s/log", f->root);
    snprintf(f->mac, sizeof(f->mac), "%s/mac.key", f->keys);
    snprintf(f->pub, sizeof(f->pub), "%s/signing.pub", f->keys);
    snprintf(f->state, sizeof(f->state), "%s/writer.state", f->keys);
    snprintf(f->seg, sizeof(f->seg), "%s/audit-00000001.jsonl", f->log);
    assert_int_equal(wd_audit_keygen(f->keys), 0);
}

static void fixture_free(fixture *f)
{
    wd_test_rmtree(f->root);
}

static wd_audit_options test_opts(void)
{
    wd_audit_options o = WD_AUDIT_OPTIONS_INIT;
    o.durability = WD_DURABILITY_NONE;
    o.append_only = 0; /* lets the tests play attacker and clean up */
    o.checkpoint_every = 0;
    o.checkpoint_secs = 0;
    return o;
}

static void append_n(fixture *f, const wd_audit_options *o, int n, const char *type)
{
    wd_audit *log;
    assert_int_equal(wd_audit_open(&log, f->log, f->keys, o), 0);
    for (int i = 0; i < n; i++) {
        char details[64];
        snprintf(details, sizeof(details), "{\"i\":%d,\"path\":\"/srv/x\"}", i);
        wd_audit_event ev = {type, WD_SEVERITY_LOW, "test", NULL, details};
        assert_int_equal(wd_audit_append(log, &ev, NULL), 0);
    }
    assert_int_equal(wd_audit_close(log), 0);
}

/* A writer that dies without closing: a child process opens the log, appends n records and
 * exits at once, as kill -9 would stop it (its page cache stays, as after any process crash). */
static void crash_after(fixture *f, const wd_audit_options *o, int n, const char *type)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        wd_audit *log;
        if (wd_audit_open(&log, f->log, f->keys, o) != 0)
            _exit(1);
        for (int i = 0; i < n; i++) {
            char details[64];
            snprintf(details, sizeof(details), "{\"i\":%d,\"crash\":true}", i);
            wd_audit_event ev = {type, WD_SEVERITY_LOW, "test", NULL, details};
            if (wd_audit_append(log, &ev, NULL) != 0)
                _exit(2);
        }
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static void spit(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static wd_audit_verify_result verify_with(const fixture *f, const wd_audit_verify_options *o)
{
    wd_audit_verify_result r;
    assert_int_equal(wd_audit_verify(f->log, o, &r), 0);
    return r;
}

static wd_audit_verify_result verify(fixture *f, bool mac, bool pub)
{
    wd_audit_verify_options o = WD_AUDIT_VERIFY_OPTIONS_INIT;
    o.mac_key_path = mac ? f->mac : NULL;
    o.pubkey_path = pub ? f->pub : NULL;
    return verify_with(f, &o);
}

static void test_intact_log_verifies(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    append_n(&f, &o, 10, "DECISION");
    append_n(&f, &o, 5, "GRANT");
    wd_audit_verify_result r = verify(&f, true, true);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    assert_int_equal(r.records, 18); /* LOG_START + 15 + a checkpoint per close */
    assert_int_equal(r.checkpoints, 2);
    assert_int_equal(r.unsealed, 0);
    assert_int_equal(r.macs_checked, 18);
    assert_int_equal(r.signatures_checked, 2);
    assert_int_equal(verify(&f, true, false).problem, WD_AUDIT_OK);
    assert_int_equal(verify(&f, false, true).problem, WD_AUDIT_OK);
    fixture_free(&f);
}

/* Flip every byte of every record in turn: the MAC verifier must notice each change. With the
 * public key alone, every change before the final record must be noticed too. */
static void test_every_byte_is_protected(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    append_n(&f, &o, 3, "DECISION");
    size_t len;
    char *orig = slurp(f.seg, &len);
    size_t last_line = len - 1;
    while (last_line > 0 && orig[last_line - 1] != '\n')
        last_line--;
    char *copy = malloc(len);
    assert_non_null(copy);
    int undetected_mac = 0, undetected_pub = 0;
    for (size_t i = 0; i < len; i++) {
        memcpy(copy, orig, len);
        copy[i] = (char)(copy[i] == 'a' ? 'b' : copy[i] == '0' ? '1' : 'a');
        spit(f.seg, copy, len);
        if (verify(&f, true, false).problem == WD_AUDIT_OK)
            undetected_mac++;
        if (i < last_line && verify(&f, false, true).problem == WD_AUDIT_OK)
            undetected_pub++;
    }
    spit(f.seg, orig, len);
    assert_int_equal(verify(&f, true, true).problem, WD_AUDIT_OK);
    assert_int_equal(undetected_mac, 0);
    assert_int_equal(undetected_pub, 0);
    free(copy);
    free(orig);
    fixture_free(&f);
}

/* Splits the segment into lines (each keeps its '\n'). */
static size_t split_lines(char *data, size_t len, char **lines, size_t *lens, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < max;) {
        char *nl = memchr(data + i, '\n', len - i);
        size_t l = nl ? (size_t)(nl - (data + i)) + 1 : len - i;
        lines[n] = data + i;
        lens[n++] = l;
        i += l;
    }
    return n;
}

static void write_lines(const char *path, char **lines, size_t *lens, const int *order, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    for (size_t k = 0; k < n; k++)
        fwrite(lines[order[k]], 1, lens[order[k]], fp);
    fclose(fp);
}

static void expect_problem(fixture *f, bool mac, wd_audit_problem want, uint64_t seq)
{
    wd_audit_verify_result r = verify(f, mac, !mac);
    if (r.problem != want || r.seq != seq) {
        print_error("want %s at seq %llu, got: %s\n", wd_audit_problem_name(want),
                    (unsigned long long)seq, r.message);
        fail();
    }
}

static void test_structural_attacks(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    append_n(&f, &o, 8, "DECISION"); /* seq 1 LOG_START, 2..9, 10 CHECKPOINT */
    size_t len;
    char *data = slurp(f.seg, &len);
    char *lines[32];
    size_t lens[32];
    size_t n = split_lines(data, len, lines, lens, 32);
    assert_int_equal(n, 10);
    /* index k holds seq k + 1 */
    const int del_one[] = {0, 1, 2, 3, 5, 6, 7, 8, 9};          /* seq 5 gone */
    const int del_run[] = {0, 1, 2, 3, 7, 8, 9};                /* 5..7 gone */
    const int del_first[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};        /* seq 1 gone */
    const int swapped[] = {0, 1, 2, 3, 5, 4, 6, 7, 8, 9};       /* 5 and 6 */
    const int duplicated[] = {0, 1, 2, 3, 4, 4, 5, 6, 7, 8, 9}; /* 5 twice */
    for (int mac = 0; mac <= 1; mac++) {
        write_lines(f.seg, lines, lens, del_one, 9);
        expect_problem(&f, mac, WD_AUDIT_MISSING, 5);
        write_lines(f.seg, lines, lens, del_run, 7);
        expect_problem(&f, mac, WD_AUDIT_MISSING, 5);
        write_lines(f.seg, lines, lens, del_first, 9);
        expect_problem(&f, mac, WD_AUDIT_MISSING, 1);
        write_lines(f.seg, lines, lens, swapped, 10);
        expect_problem(&f, mac, WD_AUDIT_REORDERED, 5);
        write_lines(f.seg, lines, lens, duplicated, 11);
        expect_problem(&f, mac, WD_AUDIT_DUPLICATED, 5);
    }
    /* A forged record 5 inserted before the real one: the MAC catches the forgery; with the
     * public key the real record 5 then shows up as a second claimant. */
    wd_record_view r;
    assert_true(wd_record_parse(lines[4], lens[4] - 1, &r));
    char forged[2048];
    snprintf(forged, sizeof(forged), "%.*s", (int)lens[4], lines[4]);
    char *d = strstr(forged, "\"i\":3");
    assert_non_null(d);
    d[4] = '7';
    FILE *fp = fopen(f.seg, "wb");
    for (size_t k = 0; k < 4; k++)
        fwrite(lines[k], 1, lens[k], fp);
    fputs(forged, fp);
    for (size_t k = 4; k < n; k++)
        fwrite(lines[k], 1, lens[k], fp);
    fclose(fp);
    expect_problem(&f, true, WD_AUDIT_BAD_MAC, 5);
    expect_problem(&f, false, WD_AUDIT_INSERTED, 5);
    /* A checkpoint whose signature is replaced (by another valid-looking one). */
    memcpy(forged, lines[9], lens[9]);
    char *sig = strstr(forged, "\"signature\":\"");
    assert_non_null(sig);
    sig[14] = sig[14] == 'a' ? 'b' : 'a';
    spit(f.seg, data, len - lens[9]);
    fp = fopen(f.seg, "ab");
    fwrite(forged, 1, lens[9], fp);
    fclose(fp);
    expect_problem(&f, false, WD_AUDIT_BAD_CHECKPOINT, 10);
    expect_problem(&f, true, WD_AUDIT_BAD_MAC, 10);
    /* A torn last line. */
    spit(f.seg, data, len - lens[9] / 2);
    expect_problem(&f, true, WD_AUDIT_TORN, 10);
    spit(f.seg, data, len);
    assert_int_equal(verify(&f, true, true).problem, WD_AUDIT_OK);
    free(data);
    fixture_free(&f);
}

static void test_anchor_catches_truncation(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    append_n(&f, &o, 5, "DECISION"); /* 1..7 */
    char anchor[4200];
    snprintf(anchor, sizeof(anchor), "%s/anchor.json", f.root);
    wd_audit *log;
    assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), 0);
    assert_int_equal(wd_audit_checkpoint(log, anchor), 0); /* seq 8 covers 1..7 */
    assert_int_equal(wd_audit_close(log), 0);
    append_n(&f, &o, 3, "DECISION");
    wd_audit_verify_options vo = WD_AUDIT_VERIFY_OPTIONS_INIT;
    vo.pubkey_path = f.pub;
    vo.anchor_path = anchor;
    wd_audit_verify_result r;
    assert_int_equal(wd_audit_verify(f.log, &vo, &r), 0);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    /* Cut the log back to record 4: everything after, checkpoints included, is gone. An
     * attacker with the current keys could even re-seal it; the anchor kept elsewhere cannot. */
    size_t len;
    char *data = slurp(f.seg, &len);
    char *lines[32];
    size_t lens[32];
    size_t n = split_lines(data, len, lines, lens, 32);
    assert_true(n > 8);
    spit(f.seg, data, (size_t)(lines[4] - data));
    assert_int_equal(wd_audit_verify(f.log, &vo, &r), 0);
    assert_int_equal(r.problem, WD_AUDIT_TRUNCATED);
    assert_int_equal(r.seq, 5);
    /* A forged anchor is refused outright. */
    spit(f.seg, data, len);
    size_t alen;
    char *a = slurp(anchor, &alen);
    char *c = strstr(a, "\"count\":7");
    assert_non_null(c);
    c[8] = '6';
    spit(anchor, a, alen);
    assert_int_equal(wd_audit_verify(f.log, &vo, &r), WD_EINVAL);
    free(a);
    free(data);
    fixture_free(&f);
}

/* Forward security: whoever steals the writer's state after record N holds k_{N+1} and cannot
 * produce a valid MAC for any record up to N. */
static void test_stolen_state_cannot_forge_the_past(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    append_n(&f, &o, 6, "DECISION"); /* seq 1..8 */
    int fd;
    wd_hasher *h;
    assert_int_equal(wd_hasher_new(&h), 0);
    assert_int_equal(wd_state_open(f.state, &fd), 0);
    wd_audit_state st;
    assert_int_equal(wd_state_load(fd, h, &st, f.state), 0);
    close(fd);
    assert_int_equal(st.seq, 9);
    /* The stolen key differs from the initial one, and ratcheting it never comes back. */
    uint8_t k1[32];
    assert_int_equal(wd_keyfile_read(f.mac, WD_MAC_KEY_HEADER, true, k1, 32), 0);
    assert_memory_not_equal(k1, st.key, 32);
    /* Forge record 5 with the best key the thief has (k9, and its successors). */
    size_t len;
    char *data = slurp(f.seg, &len);
    char *lines[32];
    size_t lens[32];
    size_t n = split_lines(data, len, lines, lens, 32);
    assert_true(n >= 8);
    wd_record_view r;
    assert_true(wd_record_parse(lines[4], lens[4] - 1, &r));
    char body[2048];
    memcpy(body, lines[4], r.body_len);
    char *d = strstr(body, "\"i\":3");
    assert_non_null(d);
    d[4] = '9'; /* "it never happened" */
    uint8_t key[32];
    memcpy(key, st.key, 32);
    for (int attempt = 0; attempt < 3; attempt++) {
        uint8_t mac[32], next[32];
        assert_int_equal(wd_hmac_sha256(h, key, body, r.body_len, mac), 0);
        char forged[2048], hex[65];
        wd_hex_encode(mac, 32, hex);
        int fl =
            snprintf(forged, sizeof(forged), "%.*s,\"mac\":\"%s\"}\n", (int)r.body_len, body, hex);
        FILE *fp = fopen(f.seg, "wb");
        for (size_t k = 0; k < n; k++)
            if (k == 4)
                fwrite(forged, 1, (size_t)fl, fp);
            else
                fwrite(lines[k], 1, lens[k], fp);
        fclose(fp);
        expect_problem(&f, true, WD_AUDIT_BAD_MAC, 5);
        wd_ratchet(h, key, next);
        memcpy(key, next, 32);
    }
    wd_hasher_free(h);
    free(data);
    fixture_free(&f);
}

static void test_key_hygiene(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    struct stat st;
    assert_int_equal(stat(f.mac, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(f.state, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(f.pub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    /* never overwritten */
    assert_int_equal(wd_audit_keygen(f.keys), WD_EBUSY);
    assert_string_equal(wd_error_last()->id, "WD-A012");
    wd_audit_options o = test_opts();
    wd_audit *log = NULL;
    char signing[4200];
    snprintf(signing, sizeof(signing), "%s/signing.key", f.keys);
    /* loose permissions on any secret: refused, nothing opened */
    const char *secrets[] = {signing, f.state};
    for (int i = 0; i < 2; i++) {
        chmod(secrets[i], 0640);
        assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), WD_EPERM);
        assert_string_equal(wd_error_last()->id, "WD-A002");
        assert_null(log);
        chmod(secrets[i], 0600);
    }
    chmod(f.mac, 0604);
    wd_audit_verify_options vo = WD_AUDIT_VERIFY_OPTIONS_INIT;
    vo.mac_key_path = f.mac;
    wd_audit_verify_result r;
    assert_int_equal(wd_audit_verify(f.log, &vo, &r), WD_EPERM);
    chmod(f.mac, 0600);
    /* a symlinked key is refused */
    char moved[4200];
    snprintf(moved, sizeof(moved), "%s/elsewhere.key", f.root);
    assert_int_equal(rename(signing, moved), 0);
    assert_int_equal(symlink(moved, signing), 0);
    assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), WD_EPERM);
    unlink(signing);
    /* no key at all: an error, never a built-in default */
    assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), WD_ENOTFOUND);
    assert_int_equal(rename(moved, signing), 0);
    /* a damaged or edited state is refused */
    append_n(&f, &o, 1, "DECISION");
    size_t len;
    char *s = slurp(f.state, &len);
    char *seq = strstr(s, "seq ");
    seq[20] = seq[20] == '9' ? '8' : '9';
    spit(f.state, s, len);
    chmod(f.state, 0600);
    assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), WD_ESTATE);
    assert_string_equal(wd_error_last()->id, "WD-A004");
    free(s);
    /* keys of another log */
    char other[4200];
    snprintf(other, sizeof(other), "%s/other", f.root);
    assert_int_equal(wd_audit_keygen(other), 0);
    assert_int_equal(wd_audit_open(&log, f.log, other, &o), WD_ESTATE);
    fixture_free(&f);
}

static void test_bad_events_write_nothing(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    wd_audit *log;
    assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), 0);
    char big[300];
    memset(big, 'c', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    const wd_audit_event bad[] = {
        {"decision", WD_SEVERITY_LOW, NULL, NULL, NULL},
        {"", WD_SEVERITY_LOW, NULL, NULL, NULL},
        {NULL, WD_SEVERITY_LOW, NULL, NULL, NULL},
        {"X", 0, NULL, NULL, NULL},
        {"X", 5, NULL, NULL, NULL},
        {"X", WD_SEVERITY_LOW, big, NULL, NULL},
        {"X", WD_SEVERITY_LOW, "\xff\xfe", NULL, NULL},
        {"X", WD_SEVERITY_LOW, NULL, NULL, "[1,2]"},
        {"X", WD_SEVERITY_LOW, NULL, NULL, "{\"a\":}"},
        {"X", WD_SEVERITY_LOW, NULL, NULL, "{\"a\":1} {}"},
        {"X", WD_SEVERITY_LOW, NULL, NULL, "{\"a\":\"\x01\"}"},
        {"X", WD_SEVERITY_LOW, NULL, NULL, "{\"a\":1,\"a\":2}"},
        {"X", WD_SEVERITY_LOW, NULL, NULL, "{\"a\":1,\"\\u0061\":2}"},
        {"X", WD_SEVERITY_LOW, NULL, NULL, "{\"o\":[{\"k\":1,\"k\":1}]}"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(wd_audit_append(log, &bad[i], NULL), WD_EINVAL);
        assert_string_equal(wd_error_last()->id, "WD-A009");
    }
    /* a batch with one bad event is refused whole */
    wd_audit_event batch[3] = {{"A", WD_SEVERITY_LOW, NULL, NULL, "{}"},
                               {"B", WD_SEVERITY_LOW, NULL, NULL, "{oops}"},
                               {"C", WD_SEVERITY_LOW, NULL, NULL, "{}"}};
    assert_int_equal(wd_audit_append_many(log, batch, 3, NULL), WD_EINVAL);
    batch[1].details = " {\n \"k\" : [1, {\"x\": null}] }\n";
    uint64_t first;
    assert_int_equal(wd_audit_append_many(log, batch, 3, &first), 0);
    assert_int_equal(first, 2);
    assert_int_equal(wd_audit_close(log), 0);
    wd_audit_verify_result r = verify(&f, true, true);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    assert_int_equal(r.records, 5); /* LOG_START, A, B, C, CHECKPOINT */
    size_t len;
    char *data = slurp(f.seg, &len);
    assert_non_null(strstr(data, "\"details\":{\"k\":[1,{\"x\":null}]}")); /* compacted */
    free(data);
    fixture_free(&f);
}

static void test_torn_line_is_recovered(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    append_n(&f, &o, 3, "DECISION"); /* 1..5 */
    FILE *fp = fopen(f.seg, "ab");
    fputs("{\"seq\":6,\"ts\":\"2026-", fp);
    fclose(fp);
    expect_problem(&f, true, WD_AUDIT_TORN, 6);
    wd_diagnostics *notes;
    assert_int_equal(wd_diagnostics_new(&notes), 0);
    o.notes = notes;
    wd_audit *log;
    assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), 0);
    assert_int_equal(wd_diagnostics_count(notes), 1);
    assert_string_equal(wd_diagnostics_get(notes, 0)->id, "WD-A007");
    assert_int_equal(wd_audit_close(log), 0);
    wd_diagnostics_free(notes);
    char torn[4300];
    snprintf(torn, sizeof(torn), "%s.torn-6", f.seg);
    size_t len;
    char *frag = slurp(torn, &len); /* saved, never deleted */
    assert_int_equal(len, strlen("{\"seq\":6,\"ts\":\"2026-"));
    free(frag);
    wd_audit_verify_result r = verify(&f, true, true);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    assert_int_equal(r.recoveries, 1);
    char *data = slurp(f.seg, &len);
    assert_non_null(strstr(data, "\"type\":\"RECOVERY\""));
    assert_non_null(strstr(data, "\"torn_bytes\":20"));
    free(data);
    fixture_free(&f);
}

/* A crash between writing a record and storing the state leaves the state behind the log. */
static void test_state_behind_log_rolls_forward(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    append_n(&f, &o, 2, "DECISION");
    size_t slen;
    char *saved = slurp(f.state, &slen);
    append_n(&f, &o, 3, "DECISION");
    spit(f.state, saved, slen); /* the state as it was 4 records ago */
    chmod(f.state, 0600);
    append_n(&f, &o, 2, "DECISION");
    wd_audit_verify_result r = verify(&f, true, true);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    assert_int_equal(r.recoveries, 0);
    assert_int_equal(r.records, 1 + 2 + 1 + 3 + 1 + 2 + 1);
    free(saved);
    fixture_free(&f);
}

/* A power loss that keeps the state but not the log's tail: the gap is declared, not hidden.
 * The records lost were never synced (mode none, a writer that died before closing): only
 * those may go missing without it being tampering. */
static void test_lost_records_are_declared(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    append_n(&f, &o, 2, "DECISION"); /* 1..4, closed: synced */
    size_t len;
    char *saved = slurp(f.seg, &len);
    crash_after(&f, &o, 3, "DECISION"); /* 5..7 written, never synced */
    spit(f.seg, saved, len);            /* the power loss */
    append_n(&f, &o, 1, "DECISION");    /* RECOVERY 8, then 9, CHECKPOINT 10 */
    wd_audit_verify_result r = verify(&f, true, true);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    assert_int_equal(r.recoveries, 1);
    assert_int_equal(r.last_seq, 10);
    char *data = slurp(f.seg, &len);
    assert_non_null(strstr(data, "\"lost_from\":5,\"lost_to\":7,\"reason\":\"lost\""));
    assert_null(strstr(data, "TAMPERING"));
    free(data);
    free(saved);
    fixture_free(&f);
}

/* The k-th line of the log (1-based) in buf, without its newline; false past the end. */
static bool log_line(const char *path, int k, char *buf, size_t size)
{
    size_t len;
    char *data = slurp(path, &len);
    char *p = data;
    for (int i = 1; i < k && p; i++) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    bool ok = p && *p;
    if (ok) {
        size_t n = strcspn(p, "\n");
        snprintf(buf, size, "%.*s", (int)n, p);
    }
    free(data);
    return ok;
}

static bool line_is(const char *path, int k, const char *type)
{
    char line[4096], want[100];
    snprintf(want, sizeof(want), "\"type\":\"%s\"", type);
    return log_line(path, k, line, sizeof(line)) && strstr(line, want);
}

/* Under durability always every acknowledged record was synced, and the state says so: a log
 * that ends before one of them was cut (records after the last checkpoint, the last segments,
 * a rolled-back copy), which no crash does. The writer says so in a CRITICAL record and leaves
 * the missing numbers a gap every verifier reports; before, it declared them "lost" and the log
 * verified intact with every key. */
static void test_truncation_below_durable_is_tampering(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    o.durability = WD_DURABILITY_ALWAYS;
    append_n(&f, &o, 3, "DECISION"); /* 1..5 */
    size_t len;
    char *sealed = slurp(f.seg, &len);
    crash_after(&f, &o, 4, "DECISION"); /* 6..9 acknowledged, synced; no checkpoint */
    /* a crash under always loses nothing: the next writer carries on without recovery */
    wd_audit *log;
    assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), 0);
    assert_int_equal(wd_audit_close(log), 0); /* CHECKPOINT 10 */
    assert_int_equal(verify(&f, true, true).recoveries, 0);
    /* cut back to the last checkpoint before the crash: verifies intact with every key */
    spit(f.seg, sealed, len);
    wd_audit_verify_result r = verify(&f, true, true);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    wd_diagnostics *notes;
    assert_int_equal(wd_diagnostics_new(&notes), 0);
    o.notes = notes;
    assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), 0);
    bool said = false;
    for (size_t i = 0; i < wd_diagnostics_count(notes); i++)
        said = said || !strcmp(wd_diagnostics_get(notes, i)->id, "WD-A016");
    assert_true(said);
    wd_diagnostics_free(notes);
    o.notes = NULL;
    wd_audit_event ev = {"AFTER", WD_SEVERITY_LOW, "test", NULL, NULL};
    assert_int_equal(wd_audit_append(log, &ev, NULL), 0);
    assert_int_equal(wd_audit_close(log), 0);
    char line[4096];
    assert_true(log_line(f.seg, 6, line, sizeof(line)));
    assert_non_null(strstr(line, "{\"seq\":11,"));
    assert_non_null(strstr(line, "\"type\":\"TAMPERING\",\"severity\":\"CRITICAL\""));
    assert_non_null(strstr(line, "\"durable_to\":10,\"log_ends_at\":5,\"missing_from\":6,"
                                 "\"missing_to\":10,\"reason\":\"log_shorter_than_state\""));
    for (int mac = 0; mac <= 1; mac++) {
        r = verify(&f, mac, !mac);
        assert_int_equal(r.problem, WD_AUDIT_MISSING);
        assert_int_equal(r.seq, 6);
        assert_non_null(strstr(r.message, "tampering"));
    }
    free(sealed);
    fixture_free(&f);
}

/* The same for whole segments deleted from the end of the log. */
static void test_deleted_segments_are_tampering(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    o.durability = WD_DURABILITY_BATCH;
    o.segment_bytes = 4096;
    append_n(&f, &o, 40, "DECISION");
    char seg2[4300], seg3[4300];
    snprintf(seg2, sizeof(seg2), "%s/audit-00000002.jsonl", f.log);
    snprintf(seg3, sizeof(seg3), "%s/audit-00000003.jsonl", f.log);
    assert_int_equal(access(seg3, F_OK), 0);
    for (int i = 4; i < 100; i++) {
        char seg[4300];
        snprintf(seg, sizeof(seg), "%s/audit-%08d.jsonl", f.log, i);
        unlink(seg);
    }
    assert_int_equal(unlink(seg3), 0);
    /* every finished segment ends with a checkpoint: the rest verifies intact */
    assert_int_equal(verify(&f, true, true).problem, WD_AUDIT_OK);
    append_n(&f, &o, 1, "AFTER");
    wd_audit_verify_result r = verify(&f, false, true);
    assert_int_equal(r.problem, WD_AUDIT_MISSING);
    assert_non_null(strstr(r.message, "tampering"));
    size_t len;
    char *data = slurp(seg2, &len);
    assert_non_null(strstr(data, "\"type\":\"TAMPERING\",\"severity\":\"CRITICAL\""));
    free(data);
    fixture_free(&f);
}

/* The records since the last checkpoint are counted in the writer state: a writer that dies
 * and restarts still checkpoints every N records (wardend once wrote 11,518 records across 10
 * crash-restarts without a checkpoint). */
static void test_checkpoint_count_survives_restart(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    o.checkpoint_every = 10;
    crash_after(&f, &o, 6, "DECISION"); /* 1 LOG_START, 2..7 */
    crash_after(&f, &o, 2, "DECISION"); /* 8, 9 */
    wd_audit *log;
    assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), 0);
    wd_audit_event ev = {"DECISION", WD_SEVERITY_LOW, "test", NULL, NULL};
    assert_int_equal(wd_audit_append(log, &ev, NULL), 0); /* 10: the tenth record */
    wd_audit_writer_status st;
    assert_int_equal(wd_audit_status(log, &st), 0);
    assert_int_equal(st.sealed_seq, 11);
    assert_int_equal(st.unsealed, 0);
    assert_int_equal(st.next_seq, 12);
    assert_true(line_is(f.seg, 11, "CHECKPOINT"));
    assert_int_equal(wd_audit_close(log), 0); /* nothing new to seal */
    assert_false(log_line(f.seg, 12, (char[8]){0}, 8));
    wd_audit_verify_result r = verify(&f, true, true);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    assert_int_equal(r.checkpoints, 1);
    fixture_free(&f);
}

/* Waits (generously) until the writer has sealed everything; false if it never does. */
static bool wait_sealed(wd_audit *log, wd_audit_writer_status *st)
{
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(wd_audit_status(log, st), 0);
        if (st->unsealed == 0)
            return true;
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    return false;
}

/* An idle writer seals by itself: the heartbeat writes a checkpoint once records have waited
 * the interval, with no append or close to prompt it, and writes none while nothing is new. */
static void test_heartbeat_seals_idle_writer(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    o.durability = WD_DURABILITY_BATCH;
    o.checkpoint_ms = 200;
    wd_audit *log;
    assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), 0);
    wd_audit_event ev = {"DECISION", WD_SEVERITY_LOW, "test", NULL, NULL};
    for (int round = 0; round < 2; round++) {
        uint64_t first;
        assert_int_equal(wd_audit_append_many(log, (wd_audit_event[]){ev, ev, ev}, 3, &first), 0);
        wd_audit_writer_status st;
        assert_true(wait_sealed(log, &st));
        assert_int_equal(st.sealed_seq, first + 3);
        assert_true(line_is(f.seg, (int)first + 3, "CHECKPOINT"));
        wd_audit_verify_result r = verify(&f, true, true);
        assert_int_equal(r.problem, WD_AUDIT_OK);
        assert_int_equal(r.unsealed, 0);
        assert_int_equal(r.sealed_seq, first + 3);
        /* idle and sealed: three more intervals write nothing */
        nanosleep(&(struct timespec){0, 600 * 1000 * 1000}, NULL);
        assert_int_equal(wd_audit_next_seq(log, NULL), first + 4);
    }
    assert_int_equal(wd_audit_close(log), 0);
    assert_int_equal(verify(&f, true, true).records, 9);
    fixture_free(&f);
}

/* A version-1 state block (before durability and checkpoint marks) still opens; the next store
 * makes it version 2. */
static void test_version1_state_opens(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    append_n(&f, &o, 2, "DECISION");    /* 1..4 */
    crash_after(&f, &o, 2, "DECISION"); /* 5, 6 unsealed */
    int fd;
    wd_hasher *h;
    assert_int_equal(wd_hasher_new(&h), 0);
    assert_int_equal(wd_state_open(f.state, &fd), 0);
    wd_audit_state st;
    assert_int_equal(wd_state_load(fd, h, &st, f.state), 0);
    char text[400], id[33], key[65], head[65], sum[65];
    uint8_t digest[32];
    wd_hex_encode(st.log_id, 16, id);
    wd_hex_encode(st.key, 32, key);
    wd_hex_encode(st.head, 32, head);
    int n = snprintf(text, sizeof(text),
                     "warden-audit-state-v1\nlog_id %s\nseq %020llu\nsegment %08u\nkey %s\n"
                     "head %s\n",
                     id, (unsigned long long)st.seq, (unsigned)st.segment, key, head);
    assert_int_equal(wd_sha256(h, text, (size_t)n, digest), 0);
    wd_hex_encode(digest, 32, sum);
    n += snprintf(text + n, sizeof(text) - (size_t)n, "sum %s\n", sum);
    assert_int_equal(ftruncate(fd, 0), 0);
    assert_int_equal(pwrite(fd, text, (size_t)n, 0), n);
    assert_int_equal(wd_state_load(fd, h, &st, f.state), 0);
    assert_true(st.v1);
    o.checkpoint_every = 8;
    append_n(&f, &o, 1, "DECISION"); /* 7, then the count reaches 8: CHECKPOINT 8 (read from the
                                         log: the last checkpoint is 4) */
    assert_true(line_is(f.seg, 8, "CHECKPOINT"));
    assert_int_equal(wd_state_load(fd, h, &st, f.state), 0);
    assert_false(st.v1);
    assert_int_equal(st.cp_seq, 8);
    assert_int_equal(st.durable, 8);
    close(fd);
    wd_hasher_free(h);
    assert_int_equal(verify(&f, true, true).problem, WD_AUDIT_OK);
    fixture_free(&f);
}

static wd_audit_verify_result verify_fresh(fixture *f, int64_t fresh_ns, int64_t now_ns)
{
    wd_audit_verify_options o = WD_AUDIT_VERIFY_OPTIONS_INIT;
    o.pubkey_path = f->pub;
    o.fresh_ns = fresh_ns;
    o.now_ns = now_ns;
    return verify_with(f, &o);
}

/* How far a log is sealed, and freshness: records cut after the last checkpoint, or the last
 * checkpoint removed, verify intact with every key, but not as fresh. */
static void test_freshness(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    const int64_t ms = 1000000;
    append_n(&f, &o, 3, "DECISION"); /* 1..5 */
    nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
    append_n(&f, &o, 3, "DECISION"); /* 6..9 */
    size_t len;
    char *full = slurp(f.seg, &len);
    char *lines[16];
    size_t lens[16];
    assert_int_equal(split_lines(full, len, lines, lens, 16), 9);
    wd_audit_verify_result r = verify_fresh(&f, 0, 0);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    assert_int_equal(r.sealed_seq, 9);
    assert_true(r.sealed_ns > 0 && r.sealed_ns == r.last_ns);
    int64_t now = r.sealed_ns + 50 * ms;
    assert_int_equal(verify_fresh(&f, 200 * ms, now).problem, WD_AUDIT_OK);
    /* the same log much later: the seal is too old */
    r = verify_fresh(&f, 200 * ms, now + 1000 * ms);
    assert_int_equal(r.problem, WD_AUDIT_STALE);
    assert_int_equal(r.seq, 10);
    /* the last checkpoint removed: intact, 3 records follow the older seal unsealed */
    spit(f.seg, full, len - lens[8]);
    r = verify_fresh(&f, 0, 0);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    assert_int_equal(r.sealed_seq, 5);
    assert_int_equal(r.unsealed, 3);
    assert_true(r.unsealed_since_ns > r.sealed_ns);
    r = verify_fresh(&f, 200 * ms, now);
    assert_int_equal(r.problem, WD_AUDIT_STALE);
    assert_int_equal(r.seq, 6);
    assert_non_null(strstr(r.message, "the last seal (seq 5,"));
    /* cut back to record 5 (the older checkpoint): intact, stale */
    spit(f.seg, full, (size_t)(lines[5] - full));
    assert_int_equal(verify_fresh(&f, 0, 0).problem, WD_AUDIT_OK);
    r = verify_fresh(&f, 200 * ms, now);
    assert_int_equal(r.problem, WD_AUDIT_STALE);
    assert_int_equal(r.seq, 6);
    /* a checkpoint removed from the middle is a gap, fresh or not */
    FILE *fp = fopen(f.seg, "wb");
    for (int k = 0; k < 9; k++)
        if (k != 4)
            fwrite(lines[k], 1, lens[k], fp);
    fclose(fp);
    r = verify_fresh(&f, 200 * ms, now);
    assert_int_equal(r.problem, WD_AUDIT_MISSING);
    assert_int_equal(r.seq, 5);
    /* nothing sealed at all */
    spit(f.seg, full, lens[0]);
    r = verify_fresh(&f, 200 * ms, now);
    assert_int_equal(r.problem, WD_AUDIT_STALE);
    assert_int_equal(r.seq, 1);
    assert_int_equal(r.sealed_seq, 0);
    /* a version-1 options block still works (and checks no freshness) */
    wd_audit_verify_options v1 = {1, NULL, f.pub, NULL, 0, 0};
    assert_int_equal(wd_audit_verify(f.log, &v1, &r), 0);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    free(full);
    fixture_free(&f);
}

/* Found while fuzzing: a forged RECOVERY declaring 2^64 lost records made the MAC verifier
 * ratchet the key for ever. */
static void test_declared_gap_cannot_stall_the_verifier(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    const char *huge =
        "{\"seq\":18446744073709551615,\"ts\":\"2026-11-22T10:00:00.000000000Z\",\"type\":"
        "\"RECOVERY\",\"severity\":\"HIGH\",\"correlation_id\":\"\",\"component\":\"audit\","
        "\"details\":{\"lost_from\":1,\"lost_to\":18446744073709551614,\"reason\":\"lost\"},"
        "\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"mac\":"
        "\"0000000000000000000000000000000000000000000000000000000000000000\"}\n";
    assert_int_equal(mkdir(f.log, 0700), 0);
    spit(f.seg, huge, strlen(huge));
    expect_problem(&f, true, WD_AUDIT_MALFORMED, 1); /* out of range, at once */
    /* the same trick with a large but representable gap after a real LOG_START */
    wd_audit_options o = test_opts();
    assert_int_equal(unlink(f.seg), 0);
    assert_int_equal(rmdir(f.log), 0);
    append_n(&f, &o, 1, "DECISION"); /* 1..3 */
    FILE *fp = fopen(f.seg, "ab");
    fprintf(fp,
            "{\"seq\":1000000000004,\"ts\":\"2026-11-22T10:00:00.000000000Z\",\"type\":"
            "\"RECOVERY\",\"severity\":\"HIGH\",\"correlation_id\":\"\",\"component\":\"\","
            "\"details\":{\"lost_from\":4,\"lost_to\":1000000000003,\"reason\":\"lost\"},"
            "\"prev\":\"%064d\",\"mac\":\"%064d\"}\n",
            0, 0);
    fclose(fp);
    expect_problem(&f, true, WD_AUDIT_MISSING, 4);
    fixture_free(&f);
}

typedef struct {
    wd_audit *log;
    int n;
    int errors;
} thread_arg;

static void *appender(void *p)
{
    thread_arg *t = p;
    for (int i = 0; i < t->n; i++) {
        wd_audit_event ev = {"THREAD", WD_SEVERITY_MEDIUM, "t", NULL, "{\"k\":1}"};
        if (wd_audit_append(t->log, &ev, NULL) != 0)
            t->errors++;
    }
    return NULL;
}

/* Chunks written unsynced and made durable with one wait: every record is in the log, in
 * order, numbered as append_many would number them, and the log verifies; a bad event in a
 * chunk still writes nothing of that chunk. */
static void test_unsynced_chunks_then_one_sync(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    o.durability = WD_DURABILITY_BATCH;
    wd_audit *log;
    assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), 0);
    wd_audit_event ev[3] = {{"DECISION", WD_SEVERITY_LOW, "c", NULL, "{\"i\":1}"},
                            {"DECISION", WD_SEVERITY_LOW, "c", NULL, "{\"i\":2}"},
                            {"DECISION", WD_SEVERITY_LOW, "c", NULL, "{\"i\":3}"}};
    uint64_t first = 0, second = 0;
    assert_int_equal(wd_audit_append_many_unsynced(log, ev, 3, &first), 0);
    assert_int_equal(wd_audit_append_many_unsynced(log, ev, 3, &second), 0);
    assert_int_equal(second, first + 3);
    wd_audit_event bad = {"lower-case", WD_SEVERITY_LOW, "c", NULL, NULL};
    assert_int_not_equal(wd_audit_append_many_unsynced(log, &bad, 1, NULL), 0);
    assert_int_equal(wd_audit_sync_to(log, second + 2), 0);
    assert_int_equal(wd_audit_next_seq(log, NULL), second + 3);
    assert_int_equal(wd_audit_close(log), 0);
    wd_audit_verify_result r = verify(&f, true, true);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    fixture_free(&f);
}

static void test_threads_batch_mode(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    o.durability = WD_DURABILITY_BATCH;
    o.batch_ms = 2;
    o.checkpoint_every = 100;
    o.segment_bytes = 32 * 1024; /* rotate a few times on the way */
    wd_audit *log;
    assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), 0);
    pthread_t th[8];
    thread_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (thread_arg){log, 150, 0};
        assert_int_equal(pthread_create(&th[i], NULL, appender, &args[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].errors, 0);
    }
    assert_int_equal(wd_audit_close(log), 0);
    wd_audit_verify_result r = verify(&f, true, true);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    assert_true(r.records >= 1201);
    assert_true(r.checkpoints >= 12);
    char seg3[4300];
    snprintf(seg3, sizeof(seg3), "%s/audit-00000003.jsonl", f.log);
    assert_int_equal(access(seg3, F_OK), 0);
    fixture_free(&f);
}

typedef struct {
    uint64_t count, last_seq;
    bool ordered;
} tally;

static int count_cb(const wd_audit_record *rec, void *p)
{
    tally *t = p;
    t->ordered = t->ordered && rec->seq > t->last_seq;
    t->last_seq = rec->seq;
    t->count++;
    return 0;
}

static void test_query(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    wd_audit *log;
    assert_int_equal(wd_audit_open(&log, f.log, f.keys, &o), 0);
    for (int i = 0; i < 30; i++) {
        wd_audit_event ev = {i % 3 ? "DECISION" : "GRANT", (wd_severity)(1 + i % 4),
                             i % 2 ? "web\"ui" : "cli", "corr-1", "{}"};
        assert_int_equal(wd_audit_append(log, &ev, NULL), 0);
    }
    assert_int_equal(wd_audit_close(log), 0);
    wd_audit_query q = WD_AUDIT_QUERY_INIT;
    tally t = {0, 0, true};
    assert_int_equal(wd_audit_query_run(f.log, &q, count_cb, &t), 0);
    assert_int_equal(t.count, 32);
    assert_true(t.ordered);
    q.type = "GRANT";
    t = (tally){0, 0, true};
    wd_audit_query_run(f.log, &q, count_cb, &t);
    assert_int_equal(t.count, 10);
    q.type = NULL;
    q.min_severity = WD_SEVERITY_HIGH;
    t = (tally){0, 0, true};
    wd_audit_query_run(f.log, &q, count_cb, &t);
    assert_int_equal(t.count, 14); /* i % 4 in {2, 3} */
    q.min_severity = 0;
    q.component = "web\"ui"; /* matched after unescaping */
    t = (tally){0, 0, true};
    wd_audit_query_run(f.log, &q, count_cb, &t);
    assert_int_equal(t.count, 15);
    q.component = NULL;
    q.limit = 5;
    t = (tally){0, 0, true};
    wd_audit_query_run(f.log, &q, count_cb, &t);
    assert_int_equal(t.count, 5);
    assert_int_equal(t.last_seq, 5);
    q.last = 1;
    t = (tally){0, 0, true};
    wd_audit_query_run(f.log, &q, count_cb, &t);
    assert_int_equal(t.count, 5);
    assert_int_equal(t.last_seq, 32);
    q = (wd_audit_query)WD_AUDIT_QUERY_INIT;
    q.since_ns = 1; /* 1970 */
    q.until_ns = 2;
    t = (tally){0, 0, true};
    wd_audit_query_run(f.log, &q, count_cb, &t);
    assert_int_equal(t.count, 0);
    assert_int_equal(wd_audit_query_run("/nonexistent/log", &q, count_cb, &t), WD_ENOTFOUND);
    fixture_free(&f);
}

static void test_append_only_attribute(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    wd_audit_options o = test_opts();
    o.append_only = 1;
    wd_diagnostics *notes;
    assert_int_equal(wd_diagnostics_new(&notes), 0);
    o.notes = notes;
    append_n(&f, &o, 2, "DECISION");
    int fd = open(f.seg, O_RDONLY);
    int flags = 0;
    bool set = fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_APPEND_FL);
    if (!set) {
        /* not supported here, or no privilege: then the writer must have said so */
        assert_true(wd_diagnostics_count(notes) >= 1);
        assert_string_equal(wd_diagnostics_get(notes, 0)->id, "WD-A011");
    } else {
        /* even the owner cannot rewrite or truncate it now */
        assert_int_equal(open(f.seg, O_WRONLY | O_TRUNC), -1);
        assert_int_equal(errno, EPERM);
        flags &= ~FS_APPEND_FL;
        assert_int_equal(ioctl(fd, FS_IOC_SETFLAGS, &flags), 0);
    }
    if (fd >= 0)
        close(fd);
    wd_diagnostics_free(notes);
    fixture_free(&f);
}

/* ---- a full filesystem (a child process with its own mount namespace and a small tmpfs) ---- */

#define CHILD_CHECK(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "full disk: line %d: %s (%s)\n", __LINE__, #cond,                      \
                    wd_error_last()->message);                                                     \
            _exit(1);                                                                              \
        }                                                                                          \
    } while (0)

static bool write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    if (fd >= 0)
        close(fd);
    return ok;
}

/* A private mount namespace (as root; otherwise inside a user namespace mapping this user to
 * root) with a 256 KiB tmpfs on dir. false when this system does not allow it. */
static bool mount_small_tmpfs(const char *dir)
{
    if (geteuid() != 0) {
        char map[64];
        uid_t uid = geteuid();
        gid_t gid = getegid();
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0 ||
            !write_file("/proc/self/setgroups", "deny"))
            return false;
        snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
        if (!write_file("/proc/self/uid_map", map))
            return false;
        snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
        if (!write_file("/proc/self/gid_map", map))
            return false;
    } else if (unshare(CLONE_NEWNS) != 0) {
        return false;
    }
    return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
           mount("tmpfs", dir, "tmpfs", 0, "size=256k") == 0;
}

static bool append_i(wd_audit *log, int i, uint64_t *seq)
{
    char details[96];
    snprintf(details, sizeof(details), "{\"i\":%d,\"pad\":\"%s\"}", i,
             "0123456789abcdef0123456789abcdef0123456789abcdef");
    wd_audit_event ev = {"FULL", WD_SEVERITY_LOW, "test", NULL, details};
    return wd_audit_append(log, &ev, seq) == 0;
}

static void full_disk_child(fixture *f, const char *mnt)
{
    if (!mount_small_tmpfs(mnt)) {
        fprintf(stderr, "full disk: cannot mount a tmpfs here (%s): skipped\n", strerror(errno));
        _exit(77);
    }
    char log_dir[4300], filler[4300];
    snprintf(log_dir, sizeof(log_dir), "%s/log", mnt);
    snprintf(filler, sizeof(filler), "%s/filler", mnt);
    wd_audit_options o = test_opts();
    o.durability = WD_DURABILITY_ALWAYS;
    o.checkpoint_ms = 200;
    wd_audit *log;
    CHILD_CHECK(wd_audit_open(&log, log_dir, f->keys, &o) == 0);
    uint64_t acked[400];
    int nacked = 0, i = 0, broken = 0;
    for (; i < 5; i++)
        CHILD_CHECK(append_i(log, i, &acked[nacked++]));
    /* fill the filesystem */
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHILD_CHECK(fd >= 0);
    static const char block[4096];
    while (write(fd, block, sizeof(block)) > 0)
        ;
    while (write(fd, block, 1) > 0)
        ;
    close(fd);
    /* appends fill what is left of the segment's last page, then fail: fail closed */
    bool failed = false;
    for (; i < 300 && !failed; i++) {
        uint64_t seq;
        if (append_i(log, i, &seq))
            acked[nacked++] = seq;
        else
            failed = true;
    }
    CHILD_CHECK(failed);
    CHILD_CHECK(!strcmp(wd_error_last()->id, "WD-A010"));
    wd_audit_next_seq(log, &broken);
    CHILD_CHECK(broken != 0);
    wd_audit_writer_status st;
    CHILD_CHECK(wd_audit_status(log, &st) == 0);
    CHILD_CHECK(st.broken && st.broken_since_ns > 0 && strstr(st.broken_reason, "No space"));
    CHILD_CHECK(!append_i(log, i++, NULL)); /* still refusing while full */
    /* space returns: the writer recovers by itself (an append, or the heartbeat) */
    CHILD_CHECK(unlink(filler) == 0);
    bool ok = false;
    for (int tries = 0; tries < 500 && !ok; tries++) {
        uint64_t seq;
        ok = append_i(log, i, &seq);
        if (ok)
            acked[nacked++] = seq;
        else
            nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    CHILD_CHECK(ok);
    i++;
    wd_audit_next_seq(log, &broken);
    CHILD_CHECK(broken == 0);
    CHILD_CHECK(wd_audit_status(log, &st) == 0 && st.recoveries == 1 && !st.broken);
    for (int k = 0; k < 3; k++, i++)
        CHILD_CHECK(append_i(log, i, &acked[nacked++]));
    CHILD_CHECK(wd_audit_close(log) == 0);
    /* the log verifies, declares the failure, and holds every acknowledged record */
    wd_audit_verify_options vo = WD_AUDIT_VERIFY_OPTIONS_INIT;
    vo.mac_key_path = f->mac;
    vo.pubkey_path = f->pub;
    wd_audit_verify_result r;
    CHILD_CHECK(wd_audit_verify(log_dir, &vo, &r) == 0);
    if (r.problem != WD_AUDIT_OK)
        fprintf(stderr, "full disk: %s\n", r.message);
    CHILD_CHECK(r.problem == WD_AUDIT_OK);
    CHILD_CHECK(r.recoveries >= 1);
    wd_audit_query q = WD_AUDIT_QUERY_INIT;
    q.type = "FULL";
    tally t = {0, 0, true};
    CHILD_CHECK(wd_audit_query_run(log_dir, &q, count_cb, &t) == 0);
    CHILD_CHECK(t.count >= (uint64_t)nacked);
    char seg[4400];
    snprintf(seg, sizeof(seg), "%s/audit-00000001.jsonl", log_dir);
    size_t len;
    char *data = slurp(seg, &len);
    CHILD_CHECK(strstr(data, "\"type\":\"RECOVERY\""));
    CHILD_CHECK(strstr(data, "\"reason\":\"write_failed\""));
    CHILD_CHECK(strstr(data, "No space left on device"));
    for (int k = 0; k < nacked; k++) {
        char want[40];
        snprintf(want, sizeof(want), "{\"seq\":%llu,", (unsigned long long)acked[k]);
        CHILD_CHECK(strstr(data, want));
    }
    free(data);
    fprintf(stderr, "full disk: %d records acknowledged, %d refused or failed, recovered\n", nacked,
            i - nacked);
    _exit(0);
}

/* Disk full: the writer fails closed (every append refused, reported broken), and once space
 * returns it recovers by itself, declaring the failure in a RECOVERY record, losing nothing it
 * acknowledged. Before, it refused until the process restarted. */
static void test_full_disk_recovers(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    char mnt[4100];
    snprintf(mnt, sizeof(mnt), "%s/mnt", f.root);
    assert_int_equal(mkdir(mnt, 0700), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        full_disk_child(&f, mnt);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        fixture_free(&f);
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact_log_verifies),
        cmocka_unit_test(test_every_byte_is_protected),
        cmocka_unit_test(test_structural_attacks),
        cmocka_unit_test(test_anchor_catches_truncation),
        cmocka_unit_test(test_stolen_state_cannot_forge_the_past),
        cmocka_unit_test(test_key_hygiene),
        cmocka_unit_test(test_bad_events_write_nothing),
        cmocka_unit_test(test_torn_line_is_recovered),
        cmocka_unit_test(test_state_behind_log_rolls_forward),
        cmocka_unit_test(test_lost_records_are_declared),
        cmocka_unit_test(test_truncation_below_durable_is_tampering),
        cmocka_unit_test(test_deleted_segments_are_tampering),
        cmocka_unit_test(test_checkpoint_count_survives_restart),
        cmocka_unit_test(test_heartbeat_seals_idle_writer),
        cmocka_unit_test(test_version1_state_opens),
        cmocka_unit_test(test_freshness),
        cmocka_unit_test(test_declared_gap_cannot_stall_the_verifier),
        cmocka_unit_test(test_threads_batch_mode),
        cmocka_unit_test(test_unsynced_chunks_then_one_sync),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_append_only_attribute),
        cmocka_unit_test(test_full_disk_recovers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
