/* fuzz_policy_decide.c: decisions against a policy.
 *
 * Input: POLICY "\n---queries---\n" QUERIES, or only QUERIES (decided against a fixed built-in
 * policy; also used when POLICY does not load). Each query line is "VERB TARGET", parsed with
 * wd_request_parse() and decided. The same bytes are also poured into wd_request structs
 * directly (any access bits, any kind, ports above 65535, odd schemes, relative paths) to reach
 * the argument checks of wd_policy_decide(). Every decision is checked against the invariants
 * policy.h promises; a broken one aborts. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "warden/error.h"
#include "warden/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char marker[] = "\n---queries---\n";

static const char builtin_policy[] = "version: \"1.0\"\n"
                                     "description: \"fuzz built-in\"\n"
                                     "permissions:\n"
                                     "  storage:\n"
                                     "    allow:\n"
                                     "    - uri: \"fs://workspace/**\"\n"
                                     "      access: [\"read\", \"write\"]\n"
                                     "    - uri: \"fs:///etc/hosts\"\n"
                                     "      access: [\"read\"]\n"
                                     "    - uri: \"fs:///srv/*.txt\"\n"
                                     "      access: [\"read\", \"execute\"]\n"
                                     "    - uri: \"fs:///srv/**/cache/*\"\n"
                                     "      access: [\"write\"]\n"
                                     "    - uri: \"fs:///tmp/a*b/**/c\"\n"
                                     "      access: [\"create\", \"delete\"]\n"
                                     "    deny:\n"
                                     "    - uri: \"fs://workspace/secret/**\"\n"
                                     "      access: [\"read\", \"write\"]\n"
                                     "    - uri: \"fs:///srv/*.txt\"\n"
                                     "      access: [\"execute\"]\n"
                                     "    - uri: \"fs:///srv/**\"\n"
                                     "      access: [\"delete\"]\n"
                                     "  network:\n"
                                     "    allow:\n"
                                     "    - host: \"api.example.com\"\n"
                                     "    - host: \"*.example.com\"\n"
                                     "      ports: [443, 8443]\n"
                                     "    - host: \"https://*.internal.example\"\n"
                                     "    - host: \"[2001:db8::1]:8080\"\n"
                                     "    - host: \"192.168.1.1\"\n"
                                     "    - cidr: \"10.0.0.0/8\"\n"
                                     "    - cidr: \"fd00::/8\"\n"
                                     "    deny:\n"
                                     "    - host: \"*\"\n"
                                     "    - host: \"evil.example.com\"\n"
                                     "    - cidr: \"10.1.0.0/16\"\n"
                                     "    - cidr: \"0.0.0.0/0\"\n"
                                     "  environment:\n"
                                     "    allow:\n"
                                     "    - key: \"PATH\"\n"
                                     "    - key: \"HOME\"\n"
                                     "    - key: \"SHARED\"\n"
                                     "    deny:\n"
                                     "    - key: \"AWS_SECRET\"\n"
                                     "    - key: \"SHARED\"\n"
                                     "  tools:\n"
                                     "    allow:\n"
                                     "    - name: \"*\"\n"
                                     "    - name: \"read_text_file\"\n"
                                     "    - name: \"both\"\n"
                                     "    deny:\n"
                                     "    - name: \"write_file\"\n"
                                     "    - name: \"ns/move.v2\"\n"
                                     "    - name: \"both\"\n"
                                     "  resources:\n"
                                     "    limits:\n"
                                     "      cpu: \"500m\"\n"
                                     "      memory: \"512Mi\"\n";

enum { MAX_QUERIES = 256, MAX_LINE = 9000 };

static wd_policy *load(const char *text, size_t len)
{
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.data_dir = "/data";
    opts.display_name = "fuzz.yaml";
    wd_policy *p = NULL;
    if (wd_policy_load_buffer(&p, text, len, &opts) != 0)
        return NULL;
    return p;
}

static bool rule_of(const wd_policy *p, const wd_rule *r)
{
    for (size_t i = 0, n = wd_policy_rule_count(p); i < n; i++)
        if (wd_policy_rule(p, i) == r)
            return true;
    return false;
}

static bool same_decision(const wd_decision *a, const wd_decision *b)
{
    return a->effect == b->effect && a->reason == b->reason && a->rule == b->rule &&
           a->other == b->other;
}

static void check_explain(const wd_decision *d)
{
    char buf[96], one[1], guard = 'x';
    memset(buf, 'x', sizeof(buf));
    size_t need = wd_decision_explain(d, buf, sizeof(buf));
    if (need == 0 || strlen(buf) != (need < sizeof(buf) ? need : sizeof(buf) - 1))
        abort();
    one[0] = 'x';
    if (wd_decision_explain(d, one, sizeof(one)) != need || one[0] != '\0')
        abort();
    if (wd_decision_explain(d, &guard, 0) != need || guard != 'x')
        abort(); /* a zero-size buffer is never written */
}

static wd_rule_kind kind_for(const wd_request *req)
{
    return req->kind == WD_REQ_STORAGE   ? WD_RULE_STORAGE
           : req->kind == WD_REQ_NETWORK ? WD_RULE_NETWORK
           : req->kind == WD_REQ_TOOL    ? WD_RULE_TOOL
                                         : WD_RULE_ENVIRONMENT;
}

static bool tool_matches(const wd_rule *r, const char *tool)
{
    return r->tool && (!strcmp(r->tool, "*") || !strcmp(r->tool, tool));
}

/* Decides req and checks every promise of policy.h about the result. Returns the code. */
static int decide(const wd_policy *p, const wd_request *req, wd_decision *d)
{
    memset(d, 0xA5, sizeof(*d)); /* stale garbage must never survive */
    int rc = wd_policy_decide(p, req, d);
    if (rc != 0) {
        if (rc != WD_EINVAL && rc != WD_ENOMEM)
            abort();
        if (d->effect != WD_DENY)
            abort(); /* a malformed request is never allowed */
        const wd_error *e = wd_error_last();
        if (!e || e->code != rc || !e->message || !e->message[0])
            abort();
        return rc;
    }
    switch (d->reason) {
    case WD_REASON_RULE:
    case WD_REASON_TIE:
        if (!d->rule || !rule_of(p, d->rule))
            abort();
        if (d->rule->effect != d->effect || d->rule->kind != kind_for(req))
            abort();
        if (d->reason == WD_REASON_TIE && (d->effect != WD_DENY || !d->other))
            abort();
        if (d->other && (!rule_of(p, d->other) || d->other->effect == d->effect ||
                         d->other == d->rule || d->other->kind != kind_for(req)))
            abort();
        if (req->kind == WD_REQ_STORAGE &&
            (!(d->rule->access & req->access) || (d->other && !(d->other->access & req->access))))
            abort(); /* only rules that list the access take part */
        if (req->kind == WD_REQ_TOOL &&
            (!tool_matches(d->rule, req->tool) || (d->other && !tool_matches(d->other, req->tool))))
            abort(); /* a tool rule names the tool exactly, or is "*" */
        if (req->kind == WD_REQ_TOOL && !wd_policy_lists_tools(p))
            abort(); /* no list, no tool rules */
        break;
    case WD_REASON_NO_RULE:
    case WD_REASON_ESCAPES_ROOT:
        if (d->effect != WD_DENY || d->rule || d->other)
            abort();
        if (d->reason == WD_REASON_ESCAPES_ROOT && req->kind != WD_REQ_STORAGE)
            abort();
        break;
    default:
        abort();
    }
    if (d->effect == WD_ALLOW && d->rule->effect != WD_ALLOW)
        abort();
    if (d->effect != WD_ALLOW && d->effect != WD_DENY)
        abort();
    /* a loaded policy is immutable: deciding again gives the same answer */
    wd_decision again;
    if (wd_policy_decide(p, req, &again) != 0 || !same_decision(d, &again))
        abort();
    check_explain(d);
    return 0;
}

/* The harness's own lexical normalisation of an absolute path, written independently of the
 * library's: "." and empty segments go, ".." drops the segment before it. Returns false when a
 * ".." climbs above "/". out needs strlen(in) + 2 bytes. */
static bool normalize(const char *in, char *out)
{
    size_t o = 0;
    const char *s = in;
    while (*s) {
        while (*s == '/')
            s++;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - s);
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (o == 0)
                return false;
            while (o > 0 && out[o - 1] != '/')
                o--;
            o--; /* the '/' before the dropped segment */
        } else if (len > 0 && !(len == 1 && s[0] == '.')) {
            out[o++] = '/';
            memcpy(out + o, s, len);
            o += len;
        }
        s = e;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return true;
}

/* Metamorphic checks: equivalent requests must get the same decision. */
static void check_equivalents(const wd_policy *p, const wd_request *req, const wd_decision *d)
{
    wd_decision d2;
    if (req->kind == WD_REQ_STORAGE) {
        /* a path and its lexical normal form decide the same; a path that climbs above "/" is
         * denied as such, however deep the climb starts */
        char *norm = malloc(strlen(req->path) + 2);
        if (!norm)
            return;
        if (!normalize(req->path, norm)) {
            if (d->reason != WD_REASON_ESCAPES_ROOT)
                abort();
        } else {
            wd_request r2 = *req;
            r2.path = norm;
            if (decide(p, &r2, &d2) != 0 || !same_decision(d, &d2))
                abort();
        }
        free(norm);
        /* a trailing "/." and a doubled leading slash change nothing lexically */
        size_t len = strlen(req->path);
        char *alt = malloc(len + 4);
        if (!alt)
            return;
        alt[0] = '/';
        memcpy(alt + 1, req->path, len);
        memcpy(alt + 1 + len, "/.", 3);
        wd_request r2 = *req;
        r2.path = alt;
        int rc = decide(p, &r2, &d2);
        /* the longer text may cross the length limit; otherwise it must agree */
        if (rc == 0 && !same_decision(d, &d2))
            abort();
        free(alt);
    } else if (req->kind == WD_REQ_NETWORK) {
        /* host names are case-insensitive */
        size_t len = strlen(req->host);
        char *alt = malloc(len + 1);
        if (!alt)
            return;
        for (size_t i = 0; i <= len; i++)
            alt[i] = req->host[i] >= 'a' && req->host[i] <= 'z' ? (char)(req->host[i] - 32)
                                                                : req->host[i];
        wd_request r2 = *req;
        r2.host = alt;
        if (decide(p, &r2, &d2) != 0 || !same_decision(d, &d2))
            abort();
        free(alt);
    }
}

static void query_text(const wd_policy *p, char *line)
{
    char *space = strchr(line, ' ');
    const char *verb = line, *target = "";
    if (space) {
        *space = '\0';
        target = space + 1;
    }
    /* wd_request_buf is large; keep it off the stack frame of the loop */
    static wd_request_buf buf;
    if (wd_request_parse(&buf, verb, target) != 0) {
        const wd_error *e = wd_error_last();
        if (!e || e->code != WD_EINVAL)
            abort();
    } else {
        wd_decision d;
        if (decide(p, &buf.request, &d) == 0)
            check_equivalents(p, &buf.request, &d);
    }
    if (space)
        *space = ' ';
}

static bool names_tool(const wd_policy *p, const char *name)
{
    for (size_t i = 0; i < wd_policy_rule_count(p); i++) {
        const wd_rule *q = wd_policy_rule(p, i);
        if (q->kind == WD_RULE_TOOL && !strcmp(q->tool, name))
            return true;
    }
    return false;
}

/* Pours one query line into wd_request structs directly, skipping wd_request_parse. */
static void query_raw(const wd_policy *p, const char *line, size_t len)
{
    const unsigned char *u = (const unsigned char *)line;
    unsigned b0 = len > 0 ? u[0] : 0, b1 = len > 1 ? u[1] : 0, b2 = len > 2 ? u[2] : 0,
             b3 = len > 3 ? u[3] : 0;
    const char *rest = len > 1 ? line + 1 : "";
    wd_decision d;

    /* storage: the access is a raw byte (0, 3, 0xff ... as well as the five valid bits) and
     * the path need not be absolute */
    wd_request r = {0};
    r.kind = WD_REQ_STORAGE;
    r.access = b0;
    r.path = rest;
    decide(p, &r, &d);
    r.access = 1u << (b0 % 8); /* mostly one valid bit, sometimes a bit no access has */
    if (decide(p, &r, &d) == 0)
        check_equivalents(p, &r, &d);
    r.access = b0 << 24 | b1; /* high bits */
    decide(p, &r, &d);

    /* network: the host is the whole line, the scheme the line up to its first space (or
     * nothing), the port any 24-bit value (0 and above 65535 included) */
    char scheme[32];
    size_t slen = 0;
    while (slen < len && slen < sizeof(scheme) - 1 && line[slen] != ' ')
        slen++;
    memcpy(scheme, line, slen);
    scheme[slen] = '\0';
    const char *host = slen < len ? line + slen + 1 : line;
    memset(&r, 0, sizeof(r));
    r.kind = WD_REQ_NETWORK;
    r.host = host;
    r.scheme = (b1 & 1) ? scheme : NULL;
    r.port = b1 << 16 | b2 << 8 | b3;
    if (decide(p, &r, &d) == 0)
        check_equivalents(p, &r, &d);
    r.port = b0 & 0x80 ? 65536u + b1 : b1 << 8 | b2;
    decide(p, &r, &d);

    /* environment: any bytes as the key, the empty key included */
    memset(&r, 0, sizeof(r));
    r.kind = WD_REQ_ENVIRONMENT;
    r.key = rest;
    decide(p, &r, &d);

    /* tool: any bytes as the name (the empty name, "*", spaces, over 128 bytes included) */
    memset(&r, 0, sizeof(r));
    r.kind = WD_REQ_TOOL;
    r.tool = rest;
    decide(p, &r, &d);
    r.tool = line;
    static const char unnamed[] = "no-rule-names-this.tool/x";
    if (decide(p, &r, &d) == 0 && !names_tool(p, line) && !names_tool(p, unnamed)) {
        /* a name without a rule of its own decides like any other such name ("*" or nothing) */
        wd_request other = {.kind = WD_REQ_TOOL, .tool = unnamed};
        wd_decision d2;
        if (decide(p, &other, &d2) != 0 || !same_decision(&d, &d2))
            abort();
    }

    /* an unknown kind, with every field set */
    r.kind = (wd_request_kind)(b0 >= 1 && b0 <= 4 ? 0 : b0);
    r.access = WD_ACCESS_READ;
    r.path = "/";
    r.host = "example.com";
    r.port = 443;
    if (decide(p, &r, &d) != WD_EINVAL)
        abort();
}

/* Requests with missing fields, and calls with missing arguments. */
static void query_null(const wd_policy *p)
{
    wd_decision d;
    wd_request r = {0};
    r.kind = WD_REQ_STORAGE;
    r.access = WD_ACCESS_READ;
    if (decide(p, &r, &d) != WD_EINVAL)
        abort();
    r.kind = WD_REQ_NETWORK;
    if (decide(p, &r, &d) != WD_EINVAL)
        abort();
    r.kind = WD_REQ_ENVIRONMENT;
    if (decide(p, &r, &d) != WD_EINVAL)
        abort();
    r.kind = WD_REQ_TOOL;
    if (decide(p, &r, &d) != WD_EINVAL)
        abort();
    r.kind = WD_REQ_STORAGE;
    r.path = "/";
    d.effect = WD_ALLOW;
    if (wd_policy_decide(NULL, &r, &d) != WD_EINVAL || d.effect != WD_DENY)
        abort();
    d.effect = WD_ALLOW;
    if (wd_policy_decide(p, NULL, &d) != WD_EINVAL || d.effect != WD_DENY)
        abort();
    if (wd_policy_decide(p, &r, NULL) != WD_EINVAL)
        abort();
    wd_request_buf buf;
    if (wd_request_parse(&buf, NULL, "/") != WD_EINVAL ||
        wd_request_parse(&buf, "read", NULL) != WD_EINVAL ||
        wd_request_parse(NULL, "read", "/") != WD_EINVAL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *queries = text;
    size_t qlen = size;
    wd_policy *policy = NULL;

    const char *m =
        size >= sizeof(marker) - 1 ? memmem(text, size, marker, sizeof(marker) - 1) : NULL;
    if (m) {
        policy = load(text, (size_t)(m - text));
        queries = m + sizeof(marker) - 1;
        qlen = size - (size_t)(queries - text);
    }
    /* The built-in policy is loaded once and kept (reachable, so not a leak): loading it for
     * every input would cost more than the decisions. */
    static wd_policy *builtin;
    if (!builtin)
        builtin = load(builtin_policy, sizeof(builtin_policy) - 1);
    if (!builtin)
        abort(); /* the built-in policy is valid */
    wd_policy *own = policy;
    if (!policy)
        policy = builtin;

    query_null(policy);

    char *line = malloc(MAX_LINE + 1);
    if (!line) {
        wd_policy_free(own);
        return 0;
    }
    size_t pos = 0;
    for (int q = 0; q < MAX_QUERIES && pos < qlen; q++) {
        const char *start = queries + pos;
        const char *nl = memchr(start, '\n', qlen - pos);
        size_t len = nl ? (size_t)(nl - start) : qlen - pos;
        pos += len + 1;
        if (len > MAX_LINE)
            len = MAX_LINE;
        memcpy(line, start, len);
        line[len] = '\0';
        /* an embedded NUL ends the line as C sees it */
        len = strlen(line);
        query_raw(policy, line, len);
        query_text(policy, line);
    }
    free(line);
    wd_policy_free(own);
    return 0;
}
