/* request.c: "VERB TARGET" text -> wd_request. Strict like the policy parser: a request that
 * could be read two ways is refused, not guessed at. */
#include <stdio.h>
#include <string.h>

#include "policy/netaddr.h"
#include "policy/policy_int.h"
#include "util/error.h"
#include "warden/policy.h"

int wd_request_parse(wd_request_buf *out, const char *verb, const char *target)
{
    if (!out || !verb || !target)
        return wd_fail(WD_EINVAL, "request needs a verb and a target");
    memset(&out->request, 0, sizeof(out->request));
    size_t len = strlen(target);
    if (len == 0)
        return wd_fail(WD_EINVAL, "%s needs a target", verb);
    if (len >= sizeof(out->text))
        return wd_fail(WD_EINVAL, "target is longer than %zu bytes", sizeof(out->text) - 1);

    unsigned access;
    if (wd_access_parse(verb, &access) == 0) {
        if (target[0] != '/')
            return wd_fail(WD_EINVAL, "%s needs an absolute path, not \"%.200s\"", verb, target);
        memcpy(out->text, target, len + 1);
        out->request.kind = WD_REQ_STORAGE;
        out->request.access = access;
        out->request.path = out->text;
        return 0;
    }
    if (!strcmp(verb, "env")) {
        memcpy(out->text, target, len + 1);
        out->request.kind = WD_REQ_ENVIRONMENT;
        out->request.key = out->text;
        return 0;
    }
    if (!strcmp(verb, "call")) {
        long bad = wd_tool_name_check(target, len);
        if (bad >= 0)
            return wd_fail(WD_EINVAL,
                           "call needs a tool name of at most %d letters, digits, '_', '-', '.' "
                           "or '/', not \"%.200s\"",
                           WD_TOOL_NAME_MAX, target);
        memcpy(out->text, target, len + 1);
        out->request.kind = WD_REQ_TOOL;
        out->request.tool = out->text;
        return 0;
    }
    if (!strcmp(verb, "connect")) {
        wd_host_spec spec;
        const char *why;
        if (!wd_host_spec_parse(target, len, false, &spec, &why))
            return wd_fail(WD_EINVAL, "bad connect target \"%.200s\": %s", target, why);
        char *host = out->text, *scheme = out->text + WD_HOST_NAME_MAX + 64;
        if (spec.kind == WD_HOST_IP) {
            wd_ip_format(&spec.ip, host);
        } else {
            snprintf(host, WD_HOST_NAME_MAX + 1, "%s", spec.name);
        }
        snprintf(scheme, WD_SCHEME_MAX + 1, "%s", spec.scheme);
        out->request.kind = WD_REQ_NETWORK;
        out->request.host = host;
        out->request.scheme = scheme[0] ? scheme : NULL;
        out->request.port = spec.port;
        return 0;
    }
    return wd_fail(WD_EINVAL,
                   "unknown verb \"%.40s\" (expected read, write, execute, create, delete, "
                   "connect, env or call)",
                   verb);
}
