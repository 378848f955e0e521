/* fuzz_policy_parse.c: arbitrary bytes as a policy file. Exercises the UTF-8 check, the YAML
 * tree builder, every validation path of parse.c, compile.c, diagnostic formatting and the
 * inspection API. A loaded policy and every diagnostic must be readable and freed cleanly. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "warden/diag.h"
#include "warden/error.h"
#include "warden/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A one-line string: no line breaks. */
static bool one_line(const char *s)
{
    return !strpbrk(s, "\n\r");
}

/* Reads every byte of a string so ASan sees an unterminated or dangling one. */
static size_t touch(const char *s)
{
    return s ? strlen(s) : 0;
}

static void check_diagnostics(const wd_diagnostics *diags)
{
    char buf[512], tiny[1];
    size_t n = wd_diagnostics_count(diags);
    if (wd_diagnostics_errors(diags) > n)
        abort();
    for (size_t i = 0; i < n; i++) {
        const wd_diag *d = wd_diagnostics_get(diags, i);
        if (!d || !d->id || !d->file || !d->message)
            abort();
        if (d->severity != WD_DIAG_ERROR && d->severity != WD_DIAG_WARNING)
            abort();
        size_t need = wd_diag_format(d, buf, sizeof(buf));
        if (strlen(buf) != (need < sizeof(buf) ? need : sizeof(buf) - 1))
            abort(); /* always NUL-terminated, truncated like snprintf */
        if (wd_diag_format(d, tiny, sizeof(tiny)) != need || tiny[0] != '\0')
            abort();
        if (!one_line(d->message) || !one_line(d->file))
            abort();
    }
    if (wd_diagnostics_get(diags, n) != NULL)
        abort();
}

/* 1..128 of [A-Za-z0-9_.-/], or exactly "*": written independently of the parser's check. */
static bool tool_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 1 && s[0] == '*')
        return true;
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/", s[i]))
            return false;
    return true;
}

static void inspect(const wd_policy *policy)
{
    size_t sum = touch(wd_policy_version(policy)) + touch(wd_policy_description(policy)) +
                 touch(wd_policy_data_dir(policy));
    size_t count = wd_policy_rule_count(policy);
    for (size_t i = 0; i < count; i++) {
        const wd_rule *r = wd_policy_rule(policy, i);
        if (!r || !r->text || !r->file)
            abort();
        if (r->effect != WD_ALLOW && r->effect != WD_DENY)
            abort();
        if (!one_line(r->text))
            abort(); /* policy.h: "the rule as a one-line string" */
        sum += touch(r->file) + touch(r->text) + r->line + r->column;
        switch (r->kind) {
        case WD_RULE_STORAGE:
            if (!r->pattern || r->pattern[0] != '/' || r->access == 0 || (r->access & ~0x1Fu))
                abort();
            sum += touch(r->pattern);
            break;
        case WD_RULE_NETWORK:
            if (!r->host == !r->cidr)
                abort(); /* exactly one of host and cidr */
            if (r->port_count && !r->ports)
                abort();
            for (size_t k = 0; k < r->port_count; k++)
                if (r->ports[k] == 0 || (k && r->ports[k - 1] >= r->ports[k]))
                    abort(); /* ports are sorted, distinct and non-zero */
            sum += touch(r->host) + touch(r->cidr) + touch(r->scheme);
            break;
        case WD_RULE_ENVIRONMENT:
            if (!r->key || !r->key[0])
                abort(); /* an empty key can never be requested: the rule is dead */
            sum += touch(r->key);
            break;
        case WD_RULE_TOOL:
            if (!r->tool || !tool_name(r->tool))
                abort(); /* MCP's name characters, or "*" alone */
            if (!wd_policy_lists_tools(policy))
                abort(); /* a tool rule means the policy has a list */
            sum += touch(r->tool);
            break;
        default:
            abort();
        }
    }
    if (wd_policy_rule(policy, count) != NULL)
        abort();
    const wd_resources *res = wd_policy_resources(policy);
    if (!res)
        abort();
    sum += (size_t)(res->cpu_millicores + res->memory_bytes + res->timeout_ms + res->pids +
                    res->open_files + res->output_bytes);
    if (wd_policy_memory(policy) == 0)
        abort();
    /* keep sum alive without printing */
    volatile size_t sink = sum;
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wd_diagnostics *diags = NULL;
    if (wd_diagnostics_new(&diags) != 0)
        return 0;
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.data_dir = "/data";
    opts.display_name = "fuzz.yaml";
    opts.diagnostics = diags;

    wd_policy *policy = NULL;
    int rc = wd_policy_load_buffer(&policy, (const char *)data, size, &opts);
    if (rc == 0) {
        if (!policy)
            abort();
        if (wd_diagnostics_errors(diags) != 0)
            abort(); /* a policy with errors must not load */
        inspect(policy);
        wd_policy_free(policy);
    } else {
        if (policy)
            abort(); /* on failure *out is NULL */
        if (rc != WD_EPOLICY && rc != WD_ENOMEM)
            abort(); /* the options are valid: EINVAL and EIO cannot happen */
        if (rc == WD_EPOLICY && wd_diagnostics_errors(diags) == 0)
            abort(); /* an invalid policy says why */
    }
    check_diagnostics(diags);
    wd_diagnostics_free(diags);
    return 0;
}
