/* fuzz_daemon_request.c: one HTTP request as wardend's API sees it after the server has read
 * it — method, client role, path with query arguments, body — handled by wdd_api_handle()
 * against a real daemon state (the example plugins, a policy store, an audit log, overrides).
 *
 * Input: byte 0 picks the method, byte 1 the role (and whether the peer is a client at all),
 * then the path up to the first '\n' (query after '?', "k=v" pairs split on '&'), then the
 * body. Plugin invocation is left out (it spawns sandboxes; the broker protocol has its own
 * target). Aborts when a promise breaks: every answer is a known status with a JSON body (or
 * the metrics text), an error has {"error": {"code": "WD-...", "message"}}, nothing answers
 * 500, and a refused change leaves the component's policy exactly as it was. */
#include <ftw.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/api.h"
#include "warden/warden.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef WD_BINARY_DIR
#define WD_BINARY_DIR "."
#endif

static char dir[64];
static wdd_daemon *daemon_;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    wdd_daemon_free(daemon_);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void init(void)
{
    snprintf(dir, sizeof(dir), "/tmp/wd-fuzz-api.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    char path[256], keys[128];
    snprintf(keys, sizeof(keys), "%s/keys", dir);
    if (wd_audit_keygen(keys) != 0)
        abort();
    snprintf(path, sizeof(path), "%s/warden.yaml", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fprintf(f,
            "version: 1\n"
            "listen: {unix: %s/sock}\n"
            "limits: {max_batch: 1000}\n"
            "tenants:\n"
            "  - name: demo\n"
            "    contracts: [%s/examples/plugins]\n"
            "    policies: policies\n"
            "    audit: {log: audit, keys: keys, durability: none, decisions: deny}\n"
            "    overrides: overrides\n"
            "    clients: [{uid: 0, role: admin}]\n",
            dir, WD_BINARY_DIR);
    fclose(f);
    if (wdd_daemon_new(&daemon_, path, NULL, NULL) != 0) {
        fprintf(stderr, "fuzz_daemon_request: %s\n", wd_error_last()->message);
        abort();
    }
    atexit(cleanup);
}

static char *policy_text(const char *component)
{
    wdd_state *s = wdd_state_acquire(daemon_);
    char *yaml = NULL;
    size_t len;
    const char *source;
    if (wd_engine_policy_get(s->tenants[0].engine, component, &yaml, &len, &source) != 0)
        yaml = NULL;
    wdd_state_release(daemon_, s);
    return yaml;
}

static void check_answer(const wdd_response *r)
{
    static const unsigned known[] = {200, 201, 400, 401, 403, 404, 405, 409, 413, 429, 503};
    bool ok = false;
    for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
        ok |= r->status == known[i];
    if (!ok) {
        fprintf(stderr, "status %u: %.*s\n", r->status, (int)r->body.len, r->body.data);
        abort();
    }
    if (strncmp(r->content_type, "text/plain", 10) == 0)
        return;
    json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
    if (!j)
        abort();
    if (r->status >= 400) {
        const char *code = NULL, *msg = NULL;
        if (json_unpack(j, "{s:{s:s, s:s}}", "error", "code", &code, "message", &msg) != 0 ||
            strncmp(code, "WD-", 3) != 0)
            abort();
    }
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!daemon_)
        init();
    if (size < 2)
        return 0;
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"};
    const char *method = methods[data[0] % 6];
    wdd_role role = (wdd_role)(data[1] % 4);
    const char *rest = (const char *)data + 2;
    size_t n = size - 2;
    const char *nl = memchr(rest, '\n', n);
    size_t plen = nl ? (size_t)(nl - rest) : n;
    /* Not strndup: the input has no terminating NUL, and strict string checking reads one. */
    char *path = malloc(plen + 1);
    const char *body = nl ? nl + 1 : "";
    size_t blen = nl ? n - plen - 1 : 0;
    if (!path)
        return 0;
    memcpy(path, rest, plen);
    path[plen] = '\0';
    if (strlen(path) != plen || strstr(path, "/invoke")) {
        free(path);
        return 0;
    }
    const char *args[34] = {NULL};
    char *q = strchr(path, '?');
    if (q) {
        *q++ = '\0';
        size_t a = 0;
        for (char *save = NULL, *kv = strtok_r(q, "&", &save); kv && a < 32;
             kv = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(kv, '=');
            if (eq)
                *eq++ = '\0';
            args[a++] = kv;
            args[a++] = eq;
        }
    }
    bool changes = strcmp(method, "GET") != 0 && strncmp(path, "/v1/components/", 15) == 0;
    char *before = changes ? policy_text("examples.reader") : NULL;

    wdd_request req = {method, path, args, body, blen, role ? "demo" : NULL, role, NULL, NULL};
    wdd_response resp = {0, "application/json", WD_BUF_INIT};
    wdd_api_handle(daemon_, &req, &resp);
    check_answer(&resp);

    if (changes && resp.status >= 400) {
        char *after = policy_text("examples.reader");
        if ((before || after) && (!before || !after || strcmp(before, after) != 0))
            abort(); /* a refused request changed state */
        free(after);
    }
    free(before);
    wd_buf_free(&resp.body);
    free(path);
    return 0;
}
