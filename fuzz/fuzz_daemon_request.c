/* fuzz_daemon_request.c: one HTTP request as wardend's API sees it after the server has read
 * it — method, client role, path with query arguments, body — handled by wdd_api_handle()
 * against a real daemon state (the example plugins, a policy store, an audit log, overrides).
 *
 * Input: byte 0 picks the method, byte 1 the role (and whether the peer is a client at all;
 * its high bits, how a peer that is none identified itself),
 * then the path up to the first '\n' (query after '?', "k=v" pairs split on '&'), then the
 * body. Plugin invocation is left out (it spawns sandboxes; the broker protocol has its own
 * target). Aborts when a promise breaks: every answer is a known status with a JSON body (or
 * the metrics text), an error has {"error": {"code": "WD-...", "message"}}, nothing answers
 * 500, a 405 names the methods the path does accept (Allow) and a 401 carries a Bearer
 * challenge, and a refused change leaves the component's policy exactly as it was. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/api.h"
#include "fuzz_daemon.h"
#include "warden/warden.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *policy_text(const char *component)
{
    wdd_state *s = wdd_state_acquire(wd_fuzz_daemon());
    char *yaml = NULL;
    size_t len;
    const char *source;
    if (wd_engine_policy_get(s->tenants[0].engine, component, &yaml, &len, &source) != 0)
        yaml = NULL;
    wdd_state_release(wd_fuzz_daemon(), s);
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
    if ((r->status == 405) != (r->allow[0] != '\0') ||
        (r->status == 401 && (!r->challenge || strncmp(r->challenge, "Bearer realm=", 13) != 0)))
        abort();
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
    wdd_daemon *daemon_ = wd_fuzz_daemon();
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

    wdd_request req = {.method = method,
                       .path = path,
                       .args = args,
                       .body = body,
                       .body_len = blen,
                       .tenant = role ? "demo" : NULL,
                       .role = role,
                       .peer = {.kind = (wdd_peer_kind)((data[1] >> 2) % 5), .uid = 4242}};
    wdd_response resp = {.status = 0, .content_type = "application/json", .body = WD_BUF_INIT};
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
