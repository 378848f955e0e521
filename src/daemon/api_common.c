/* api_common.c: what the endpoints share (api_common.h): error answers and the one table from
 * an error's kind to an HTTP status, the JSON body and argument readers, the JSON answer. It
 * sits under the routing file and the endpoint files and calls neither. */
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api_common.h"
#include "daemon/args.h"
#include "util/json.h"
#include "util/utf8.h"

void wdd_api_error(wdd_response *resp, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wd_buf_free(&resp->body); /* a fresh buffer: one that ran out of memory stays failed */
    resp->status = status;
    resp->content_type = "application/json";
    wd_buf_puts(&resp->body, "{\"error\":{\"code\":");
    wd_json_quote(&resp->body, code, strlen(code));
    wd_buf_puts(&resp->body, ",\"message\":");
    /* Messages quote what the client sent (an id from the path, say), which need not be
     * UTF-8, and truncation may cut a character: the answer is valid JSON either way. */
    size_t bad;
    if (wd_utf8_valid(msg, strlen(msg), &bad)) {
        wd_json_quote(&resp->body, msg, strlen(msg));
    } else {
        wd_buf esc = WD_BUF_INIT;
        wd_utf8_escape(&esc, msg, strlen(msg));
        wd_json_quote(&resp->body, esc.data ? esc.data : "", esc.len);
        wd_buf_free(&esc);
    }
    wd_buf_puts(&resp->body, "}}\n");
}

/* The one place an error's kind becomes an HTTP status (docs/api.md). */
static const unsigned kind_status[WD_KIND_COUNT] = {
    [WD_KIND_INVALID] = 400,     [WD_KIND_NOT_FOUND] = 404, [WD_KIND_FORBIDDEN] = 403,
    [WD_KIND_CONFLICT] = 409,    [WD_KIND_TOO_LARGE] = 413, [WD_KIND_THROTTLED] = 429,
    [WD_KIND_UNAVAILABLE] = 503, [WD_KIND_INTERNAL] = 500,
};

unsigned wdd_api_status(wd_error_kind kind)
{
    return (unsigned)kind < WD_KIND_COUNT && kind_status[kind] ? kind_status[kind] : 500;
}

void wdd_api_engine_error(wdd_response *resp, int rc)
{
    const wd_error *e = wd_error_last();
    const char *id = e->id && e->id[0] ? e->id : NULL;
    /* A code returned without being recorded has its code's kind, not the last error's. */
    unsigned status = wdd_api_status(e->code == rc ? e->kind : wd_error_kind_of(rc));
    if (!id)
        id = status == 404 ? WDD_E_NOT_FOUND : status == 500 ? WDD_E_INTERNAL : WDD_E_INVALID;
    if (e->file && e->file[0] && e->line)
        wdd_api_error(resp, status, id, "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
    else
        wdd_api_error(resp, status, id, "%s", e->message);
}

json_t *wdd_api_parse_json(const wdd_request *req, wdd_response *resp)
{
    json_error_t err;
    json_t *j = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        wdd_api_error(resp, 400, WDD_E_JSON, "malformed JSON at line %d column %d: %s", err.line,
                      err.column, err.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        wdd_api_error(resp, 400, WDD_E_JSON, "the body must be a JSON object");
        return NULL;
    }
    return j;
}

const char *wdd_check_bounds(const char *component, const char *verb, const char *target)
{
    if (strlen(component) > WDD_COMPONENT_MAX)
        return "component";
    if (strlen(verb) > WDD_VERB_MAX)
        return "verb";
    if (strlen(target) > WDD_FIELD_MAX)
        return "target";
    return NULL;
}

bool wdd_audit_failed(wd_audit *log)
{
    int broken = 0;
    wd_audit_next_seq(log, &broken);
    return broken != 0;
}

const char *wdd_api_string(json_t *obj, const char *key, bool required, wdd_response *resp)
{
    wdd_arg_error e;
    const char *v = wdd_arg_string(obj, key, required, &e);
    if (e.fault) {
        if (e.fault == WDD_ARG_TOO_LONG)
            wdd_api_error(resp, 400, WDD_E_FIELD_TOO_LONG, "\"%s\" is longer than %zu bytes", key,
                          e.max);
        else
            wdd_api_error(resp, 400, WDD_E_FIELD, "\"%s\" must be a non-empty string without NUL",
                          key);
    }
    return v;
}

bool wdd_api_only_keys(json_t *obj, const char *const *allowed, wdd_response *resp)
{
    wdd_arg_error e;
    if (wdd_arg_only_keys(obj, allowed, &e))
        return true;
    char shown[80];
    snprintf(shown, sizeof(shown), "%s", e.key);
    wdd_api_error(resp, 400, WDD_E_FIELD, "unknown field \"%s\"", shown);
    return false;
}

void wdd_api_json(wdd_response *resp, unsigned status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII |
                                       JSON_REAL_PRECISION(6))
                   : NULL;
    json_decref(j);
    if (!text) {
        wdd_api_error(resp, 500, WDD_E_INTERNAL, "out of memory");
        return;
    }
    wd_buf_clear(&resp->body);
    wd_buf_puts(&resp->body, text);
    wd_buf_putc(&resp->body, '\n');
    free(text);
    resp->status = status;
    resp->content_type = "application/json";
}

void wdd_api_set_output(json_t *obj, const char *data, size_t len)
{
    json_t *text = json_stringn(data ? data : "", data ? len : 0);
    if (text) {
        json_object_set_new(obj, "output", text);
        return;
    }
    size_t n = 4 * ((len + 2) / 3) + 1;
    unsigned char *b64 = len <= (64u << 20) ? malloc(n) : NULL;
    if (b64) {
        EVP_EncodeBlock(b64, (const unsigned char *)data, (int)len);
        json_object_set_new(obj, "output_base64", json_string((const char *)b64));
        free(b64);
    }
}

const char *wdd_api_arg(const wdd_request *req, const char *key)
{
    for (const char *const *a = req->args; a && a[0]; a += 2)
        if (strcmp(a[0], key) == 0)
            return a[1] ? a[1] : "";
    return NULL;
}

const char *wdd_api_unauthenticated(const wdd_peer *peer, char *msg, size_t size)
{
    static const char bearer[] = "Bearer realm=\"warden\"";
    switch (peer ? peer->kind : WDD_PEER_UNKNOWN) {
    case WDD_PEER_UID:
        snprintf(msg, size, "unauthenticated: uid %ld is not a client of any tenant", peer->uid);
        return bearer;
    case WDD_PEER_NO_TOKEN:
        snprintf(msg, size, "unauthenticated: no bearer token was given (Authorization: Bearer)");
        return bearer;
    case WDD_PEER_NOT_BEARER:
        snprintf(msg, size, "unauthenticated: the Authorization header holds no bearer token");
        return bearer;
    case WDD_PEER_TOKEN:
        /* The token itself is never quoted: it may be another client's, mistyped. */
        snprintf(msg, size, "unauthenticated: the bearer token is not known");
        return "Bearer realm=\"warden\", error=\"invalid_token\"";
    case WDD_PEER_UNKNOWN:
        break;
    }
    snprintf(msg, size, "unauthenticated: the peer's credentials could not be read");
    return bearer;
}
