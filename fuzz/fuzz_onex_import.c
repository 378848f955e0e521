/* fuzz_onex_import.c: arbitrary bytes as an ONEX handler contract for `warden plugin
 * import-onex`'s conversion (registry/onex.c). The first byte picks the options (--level,
 * --version, a handler root and its hash); the rest is the file. A refusal must carry WD-L errors
 * of one line each; a conversion must be printable ASCII that warden's strict YAML reads back as
 * one mapping with the contract's keys, valid values, and one comment line per note; the same
 * input must convert the same way twice. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/onex.h"
#include "registry/semver.h"
#include "util/arena.h"
#include "util/buf.h"
#include "warden/common.h"
#include "warden/contract.h"
#include "warden/diag.h"
#include "yaml/yaml_check.h"
#include "yaml/yaml_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_NAME "onex.yaml"
static const char hash[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void check(bool ok)
{
    if (!ok)
        abort();
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static const char *scalar(const wd_yaml_node *root, const char *key)
{
    const wd_yaml_node *v = wd_yaml_get(root, key);
    return v && v->kind == WD_YAML_SCALAR ? v->str : NULL;
}

/* The converted text read back by warden's own strict YAML. */
static void check_output(const wd_buf *out, const wd_buf *notes, const wd_onex_options *o)
{
    check(out->len > 0);
    for (size_t i = 0; i < out->len; i++)
        check(out->data[i] == '\n' || (out->data[i] >= 0x20 && out->data[i] < 0x7f));
    for (size_t i = 0; i < notes->len; i++)
        check(notes->data[i] == '\n' || (unsigned char)notes->data[i] >= 0x20);
    /* every note line is FILE:LINE:COL: note: ..., and is a comment line of the output too */
    size_t lines = count(notes->data ? notes->data : "", "\n");
    check(count(notes->data ? notes->data : "", ": note: ") == lines);
    check(!notes->len || !strncmp(notes->data, FILE_NAME ":", strlen(FILE_NAME) + 1));
    check(count(out->data, "\n#   ") >= lines);

    wd_arena arena = WD_ARENA_INIT;
    wd_diagnostics *d = NULL;
    wd_yaml_node *root = NULL;
    check(wd_diagnostics_new(&d) == 0);
    check(wd_yaml_parse(&arena, out->data, out->len, "out.yaml", d, &root) == 0);
    check(wd_diagnostics_count(d) == 0 && root && root->kind == WD_YAML_MAP);

    const char *name = scalar(root, "name"), *version = scalar(root, "version");
    check(name && name[0] >= 'a' && name[0] <= 'z' && strlen(name) <= WD_PLUGIN_ID_MAX);
    check(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(name));
    wd_semver sv;
    const char *why;
    check(version && wd_semver_parse(version, strlen(version), &sv, &why));
    check(!o->version || !strcmp(version, o->version));
    check(scalar(root, "type") && scalar(root, "handler_class"));
    check(!strcmp(scalar(root, "runtime"), "python"));
    check(!strcmp(scalar(root, "policy"), "policy.yaml"));
    check(!o->handler_root || (!strcmp(scalar(root, "handler_root"), o->handler_root) &&
                               !strcmp(scalar(root, "sha256"), hash)));
    check(o->handler_root || (!wd_yaml_get(root, "handler_root") && !wd_yaml_get(root, "sha256")));
    const wd_yaml_node *sec = wd_yaml_get(root, "security");
    check(sec && sec->kind == WD_YAML_MAP);
    wd_security_level lv;
    check(scalar(sec, "level") && wd_security_level_parse(scalar(sec, "level"), &lv) == 0);
    check(!o->level || !strcmp(scalar(sec, "level"), o->level));
    static const char *const keys[] = {"name",          "type",         "version", "runtime",
                                       "handler_class", "handler_root", "sha256",  "security",
                                       "config_schema", "config",       "policy",  "tags"};
    for (const wd_yaml_node *k = root->child; k && k->next; k = k->next->next) {
        bool known = false;
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            known |= !strcmp(k->str, keys[i]);
        check(known);
    }
    const wd_yaml_node *cfg = wd_yaml_get(root, "config"),
                       *schema = wd_yaml_get(root, "config_schema");
    check(!cfg == !schema);
    if (cfg) {
        const wd_yaml_node *props = wd_yaml_get(schema, "properties");
        check(cfg->kind == WD_YAML_MAP && props && props->count == cfg->count);
    }
    wd_diagnostics_free(d);
    wd_arena_free(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned pick = size ? data[0] : 0;
    const char *text = size ? (const char *)data + 1 : "";
    size_t len = size ? size - 1 : 0;
    const wd_onex_options o = {
        .file = FILE_NAME,
        .level = pick & 1 ? "PROTECTED" : NULL,
        .version = pick & 2 ? "2.0.0-rc.1+b" : NULL,
        .handler_root = pick & 4 ? (pick & 8 ? "src/a \"b\"\n#c: d" : "src") : NULL,
        .tree_sha256 = pick & 4 ? hash : NULL,
    };
    wd_diagnostics *errors = NULL;
    check(wd_diagnostics_new(&errors) == 0);
    wd_buf out = WD_BUF_INIT, notes = WD_BUF_INIT;
    int rc = wd_onex_convert(text, len, &o, errors, &out, &notes);
    check(rc == 0 || rc == WD_EPOLICY);
    if (rc == WD_EPOLICY) {
        check(wd_diagnostics_errors(errors) > 0);
        for (size_t i = 0; i < wd_diagnostics_count(errors); i++) {
            const wd_diag *e = wd_diagnostics_get(errors, i);
            check(e->severity == WD_DIAG_ERROR && !strncmp(e->id, "WD-L0", 5));
            check(!strcmp(e->file, FILE_NAME) && !strchr(e->message, '\n'));
        }
    } else {
        check(wd_diagnostics_count(errors) == 0);
        check_output(&out, &notes, &o);
        /* the same input converts the same way */
        wd_buf again = WD_BUF_INIT, notes2 = WD_BUF_INIT;
        check(wd_onex_convert(text, len, &o, errors, &again, &notes2) == 0);
        check(again.len == out.len && !memcmp(again.data, out.data, out.len));
        check(notes2.len == notes.len &&
              (!notes.len || !memcmp(notes2.data, notes.data, notes.len)));
        wd_buf_free(&again);
        wd_buf_free(&notes2);
    }
    wd_buf_free(&out);
    wd_buf_free(&notes);
    wd_diagnostics_free(errors);
    return 0;
}
