/* onex.c: converting an ONEX handler contract into a warden contract for runtime: python
 * (registry/onex.h, docs/onex.md).
 *
 * Two passes over one strict YAML tree: the first checks every field, records what the output
 * needs and notes (in document order) everything that is changed or not carried over; the
 * second, only when there was no error, writes the contract. Everything written is ASCII: names,
 * types, versions, classes and tags are checked to be plain tokens, and every other text (the
 * handler root, config strings, anything quoted in a comment) goes through one escaper, so no
 * input can add a line, a key or a comment to the output. */
#include "registry/onex.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "registry/codes.h"
#include "registry/semver.h"
#include "util/arena.h"
#include "util/ascii.h"
#include "util/cursor.h"
#include "util/diag.h"
#include "util/json.h"
#include "util/text.h"
#include "warden/common.h"
#include "warden/contract.h"
#include "yaml/yaml_check.h"
#include "yaml/yaml_tree.h"

enum {
    SHOWN_MAX = 72,        /* a value quoted in a message */
    NOTE_MAX = 480,        /* one note's text */
    CLASS_MAX = 1024,      /* handler_class */
    VERSION_TEXT = 80,     /* a version as written after padding */
    TAG_MAX = 64,          /* warden: 1-64 of [a-z0-9-] */
    TAGS_MAX = 32,         /* warden: at most 32 */
    CONFIG_KEYS_MAX = 256, /* warden: at most 256 config properties */
    CONFIG_DEPTH_MAX = 16  /* warden: config nests at most 16 levels */
};

enum { T_NONE = 0, T_STRING, T_INTEGER, T_NUMBER, T_BOOLEAN, T_ARRAY, T_OBJECT };
static const char *const json_types[] = {NULL,      "string", "integer", "number",
                                         "boolean", "array",  "object"};

static const char *const type_names[] = {"compute", "effect", "nondeterministic_compute",
                                         "orchestrator", "reducer"};
static const char *const level_names[] = {"UNOFFICIAL", "OFFICIAL", "OFFICIAL_SENSITIVE",
                                          "PROTECTED", "SECRET"};
/* Author-owned (ADR-002-B): config may not set them at any depth (WD-L015, as in a contract). */
static const char *const forbidden_fields[] = {"security_level", "allow_downgrade",
                                               "max_operating_level"};

typedef struct {
    wd_ycheck ck;
    const wd_onex_options *o;
    wd_buf *notes;
    wd_buf comments; /* the notes again, as comment lines for the top of the output */
    /* what the output needs */
    char name[WD_PLUGIN_ID_MAX + 1];
    const char *type;
    const wd_yaml_node *klass;
    char version[VERSION_TEXT];
    const char *level;
    bool allow_downgrade;
    char tags[TAGS_MAX][TAG_MAX + 1];
    size_t ntags;
    const wd_yaml_node *config;
    /* which fields were seen, for the required ones and the aliases */
    const wd_yaml_node *seen_name, *seen_class, *seen_type, *seen_version, *seen_tags,
        *seen_security, *seen_level;
} conv;

#define ERR(c, node, id, ...) WD_YERR(&(c)->ck, node, id, __VA_ARGS__)

/* ---- rendering ------------------------------------------------------------------------- */

/* Appends s[0..len) as a YAML double-quoted scalar in printable ASCII: '"' and '\\' escaped,
 * every other byte outside 0x20-0x7e as the code point it belongs to (\xNN, \uNNNN or
 * \UNNNNNNNN; the text was checked to be UTF-8 before it was parsed). */
static void yaml_quote(wd_buf *b, const char *s, size_t len)
{
    wd_buf_putc(b, '"');
    for (size_t i = 0; i < len;) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch < 0x7f) {
            if (ch == '"' || ch == '\\')
                wd_buf_putc(b, '\\');
            wd_buf_putc(b, (char)ch);
            i++;
            continue;
        }
        size_t n = ch < 0x80 ? 1 : ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : ch >= 0xC0 ? 2 : 1;
        if (i + n > len)
            n = 1;
        unsigned long cp = n == 1 ? ch : ch & (0x7fu >> n);
        for (size_t k = 1; k < n; k++)
            cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3fu);
        if (cp < 0x100)
            wd_buf_printf(b, "\\x%02lx", cp);
        else if (cp < 0x10000)
            wd_buf_printf(b, "\\u%04lx", cp);
        else
            wd_buf_printf(b, "\\U%08lx", cp);
        i += n;
    }
    wd_buf_putc(b, '"');
}

/* A scalar quoted for a message or a comment: printable ASCII, cut with "..." past SHOWN_MAX. */
static const char *shown(const wd_yaml_node *n, char buf[static SHOWN_MAX + 16])
{
    size_t o = 0;
    buf[o++] = '"';
    for (size_t i = 0; i < n->len; i++) {
        unsigned char ch = (unsigned char)n->str[i];
        if (o + 8 > SHOWN_MAX) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
            buf[o++] = (char)ch;
        else
            o += (size_t)snprintf(buf + o, 5, "\\x%02x", ch);
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

static bool plain_token(const wd_yaml_node *k)
{
    if (k->len == 0 || k->len > 64)
        return false;
    for (size_t i = 0; i < k->len; i++) {
        char ch = k->str[i];
        if (!wd_is_alpha(ch) && !wd_is_digit(ch) && ch != '_' && ch != '-' && ch != '.')
            return false;
    }
    return true;
}

/* A field's name for a note: bare when it is a plain token, quoted otherwise. */
static const char *field_name(const char *prefix, const wd_yaml_node *k, char *buf, size_t size)
{
    char q[SHOWN_MAX + 16];
    if (plain_token(k))
        snprintf(buf, size, "%s%.*s", prefix, (int)k->len, k->str);
    else
        snprintf(buf, size, "%s%s", prefix, shown(k, q));
    return buf;
}

/* One note: a line on stderr (through notes) and a comment line for the output. The message is
 * printable ASCII: whatever came from the input went through shown() or a checked token. */
static void note(conv *c, const wd_yaml_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(conv *c, const wd_yaml_node *at, const char *fmt, ...)
{
    char msg[NOTE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wd_buf_printf(c->notes, "%s:%u:%u: note: %s\n", c->o->file, at->line, at->column, msg);
    wd_buf_printf(&c->comments, "#   %u:%u: %s\n", at->line, at->column, msg);
}

static void not_carried(conv *c, const char *prefix, const wd_yaml_node *k, const char *why)
{
    char f[SHOWN_MAX + 80];
    note(c, k, "%s not carried over: %s", field_name(prefix, k, f, sizeof(f)), why);
}

static bool is_named(const wd_yaml_node *k, const char *name)
{
    return k->kind == WD_YAML_SCALAR && strlen(name) == k->len && !memcmp(k->str, name, k->len);
}

/* ASCII case-insensitive equality of a scalar with name; *exact says whether the case matched. */
static bool is_named_nocase(const wd_yaml_node *k, const char *name, bool *exact)
{
    if (k->kind != WD_YAML_SCALAR || strlen(name) != k->len)
        return false;
    *exact = true;
    for (size_t i = 0; i < k->len; i++) {
        char a = k->str[i], b = name[i];
        if (a != b)
            *exact = false;
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

/* ---- the fields ------------------------------------------------------------------------ */

static bool is_upper(char ch)
{
    return ch >= 'A' && ch <= 'Z';
}

static bool is_lower_or_digit(char ch)
{
    return (ch >= 'a' && ch <= 'z') || wd_is_digit(ch);
}

/* handler_name: a warden id is 1-128 of [a-z0-9._-] starting with a letter. A CamelCase name
 * maps deterministically (AuthHandler -> auth_handler, HTTPClient -> http_client); anything
 * else outside the id's characters is refused rather than guessed at. */
static void name_field(conv *c, const wd_yaml_node *k, const wd_yaml_node *v)
{
    char q[SHOWN_MAX + 16];
    if (c->seen_name) {
        ERR(c, k, WD_L_SCHEMA, "both handler_name and name: ONEX reads them as one field");
        return;
    }
    c->seen_name = k;
    if (!wd_ycheck_scalar(&c->ck, v, "handler_name"))
        return;
    size_t o = 0;
    const char *s = v->str;
    for (size_t i = 0; i < v->len; i++) {
        char ch = s[i];
        bool boundary = is_upper(ch) && i > 0 &&
                        (is_lower_or_digit(s[i - 1]) || (is_upper(s[i - 1]) && i + 1 < v->len &&
                                                         s[i + 1] >= 'a' && s[i + 1] <= 'z'));
        if (o + 1 + boundary > WD_PLUGIN_ID_MAX) {
            ERR(c, v, WD_L_SCHEMA, "handler_name %s is too long for a warden id (1-128 bytes)",
                shown(v, q));
            return;
        }
        if (is_upper(ch)) {
            if (boundary)
                c->name[o++] = '_';
            c->name[o++] = (char)(ch - 'A' + 'a');
        } else if (is_lower_or_digit(ch) || ch == '.' || ch == '_' || ch == '-') {
            c->name[o++] = ch;
        } else {
            WD_YERR_AT(&c->ck, v, i, WD_L_SCHEMA,
                       "handler_name %s cannot become a warden id: only letters, digits, '.', "
                       "'_' and '-' map to one (rename the handler)",
                       shown(v, q));
            return;
        }
    }
    c->name[o] = '\0';
    if (!(c->name[0] >= 'a' && c->name[0] <= 'z')) {
        ERR(c, v, WD_L_SCHEMA,
            "handler_name %s cannot become a warden id: it must start with a "
            "letter",
            shown(v, q));
        c->name[0] = '\0';
        return;
    }
    if (o != v->len || memcmp(c->name, s, o) != 0)
        note(c, v,
             "handler_name %s becomes name \"%s\" (warden ids are lower case: "
             "[a-z][a-z0-9._-]*)",
             shown(v, q), c->name);
}

static bool python_keyword(const char *s, size_t len)
{
    static const char *const kw[] = {
        "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
        "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
        "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
        "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};
    for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
        if (strlen(kw[i]) == len && !memcmp(kw[i], s, len))
            return true;
    return false;
}

/* handler_class: module path and class, every part an (ASCII) Python identifier. */
static void class_field(conv *c, const wd_yaml_node *v)
{
    char q[SHOWN_MAX + 16];
    if (!wd_ycheck_scalar(&c->ck, v, "handler_class"))
        return;
    if (v->len > CLASS_MAX) {
        ERR(c, v, WD_L_SCHEMA, "handler_class is longer than %d bytes", CLASS_MAX);
        return;
    }
    size_t parts = 0;
    for (size_t i = 0; i <= v->len; parts++) {
        size_t start = i;
        while (i < v->len && v->str[i] != '.')
            i++;
        const char *p = v->str + start;
        size_t n = i - start;
        bool ok = n > 0 && (wd_is_alpha(p[0]) || p[0] == '_');
        for (size_t k = 1; ok && k < n; k++)
            ok = wd_is_alpha(p[k]) || wd_is_digit(p[k]) || p[k] == '_';
        if (!ok || python_keyword(p, n)) {
            WD_YERR_AT(&c->ck, v, start, WD_L_SCHEMA,
                       "handler_class %s must be a dotted Python path (package.module.Class): "
                       "part %zu is %s",
                       shown(v, q), parts + 1,
                       !ok ? "not an ASCII Python identifier" : "a Python keyword");
            return;
        }
        i++; /* past the '.', or past the end */
    }
    if (parts < 2) {
        ERR(c, v, WD_L_SCHEMA,
            "handler_class %s must name a module and a class (package.module.Class)", shown(v, q));
        return;
    }
    c->klass = v;
    note(c, v,
         "handler_class: warden calls initialize(config), execute(input), describe() and "
         "shutdown() synchronously in the sandbox; ONEX's async methods "
         "(execute(request, operation_config)) must be ported: an async def is refused "
         "at load");
}

static void type_field(conv *c, const wd_yaml_node *v)
{
    char q[SHOWN_MAX + 16];
    if (!wd_ycheck_scalar(&c->ck, v, "handler_type"))
        return;
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
        bool exact;
        if (!is_named_nocase(v, type_names[i], &exact))
            continue;
        c->type = type_names[i];
        if (!exact)
            note(c, v, "handler_type %s becomes type %s", shown(v, q), c->type);
        if (i >= 3)
            note(c, v,
                 "handler_type %s: a warden %s is a policy plugin, which decides and "
                 "never acts: its policy may grant nothing",
                 c->type, c->type);
        return;
    }
    ERR(c, v, WD_L_SCHEMA,
        "unknown handler_type %s (compute, effect, nondeterministic_compute, orchestrator, "
        "reducer)",
        shown(v, q));
}

/* One number of a version: 0 or digits without a leading zero, at most 19 of them. */
static bool version_number(const char *s, size_t len)
{
    if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!wd_is_digit(s[i]))
            return false;
    return true;
}

/* "1" or "1.2": what SemVer calls incomplete, padded with ".0" (and said so). */
static bool paddable(const char *s, size_t len)
{
    const char *dot = memchr(s, '.', len);
    if (!dot)
        return version_number(s, len);
    size_t a = (size_t)(dot - s);
    return version_number(s, a) && version_number(dot + 1, len - a - 1);
}

static void version_text(conv *c, const wd_yaml_node *v)
{
    char q[SHOWN_MAX + 16];
    wd_semver sv;
    const char *why;
    if (v->len < sizeof(c->version) && wd_semver_parse(v->str, v->len, &sv, &why)) {
        memcpy(c->version, v->str, v->len);
        c->version[v->len] = '\0';
        return;
    }
    if (v->len <= 40 && paddable(v->str, v->len)) {
        snprintf(c->version, sizeof(c->version), "%.*s%s", (int)v->len, v->str,
                 memchr(v->str, '.', v->len) ? ".0" : ".0.0");
        note(c, v, "handler_version %s becomes version %s (SemVer is MAJOR.MINOR.PATCH)",
             shown(v, q), c->version);
        return;
    }
    if (v->len >= sizeof(c->version))
        why = "too long";
    ERR(c, v, WD_L_SCHEMA, "handler_version %s is not SemVer 2.0.0: %s", shown(v, q), why);
}

/* ONEX's structured version {major, minor, patch}. */
static void version_map(conv *c, const wd_yaml_node *v)
{
    static const char *const keys[] = {"major", "minor", "patch", NULL};
    wd_ycheck_keys(&c->ck, v, keys, "handler_version");
    const wd_yaml_node *part[3];
    for (size_t i = 0; i < 3; i++) {
        part[i] = wd_yaml_get(v, keys[i]);
        if (!part[i]) {
            ERR(c, v, WD_L_MISSING, "handler_version has no %s", keys[i]);
            return;
        }
        if (part[i]->kind != WD_YAML_SCALAR || !part[i]->plain ||
            !version_number(part[i]->str, part[i]->len)) {
            ERR(c, part[i], WD_L_SCHEMA,
                "handler_version.%s must be a whole number without leading zeros", keys[i]);
            return;
        }
    }
    snprintf(c->version, sizeof(c->version), "%s.%s.%s", part[0]->str, part[1]->str, part[2]->str);
}

static void version_field(conv *c, const wd_yaml_node *k, const wd_yaml_node *v)
{
    if (c->o->version) {
        char why[80];
        snprintf(why, sizeof(why), "--version %s was given", c->o->version);
        not_carried(c, "", k, why);
        return;
    }
    if (v->kind == WD_YAML_MAP)
        version_map(c, v);
    else if (wd_ycheck_scalar(&c->ck, v, "handler_version"))
        version_text(c, v);
}

static void level_value(conv *c, const wd_yaml_node *k, const wd_yaml_node *v)
{
    char q[SHOWN_MAX + 16], f[SHOWN_MAX + 80];
    if (c->o->level) {
        char why[80];
        snprintf(why, sizeof(why), "--level %s was given", c->o->level);
        not_carried(c, "security.", k, why);
        return;
    }
    if (wd_yaml_is_null(v)) {
        ERR(c, v, WD_L_LEVEL_MISSING, "%s is empty: a level is never defaulted",
            field_name("security.", k, f, sizeof(f)));
        return;
    }
    if (!wd_ycheck_scalar(&c->ck, v, "security level"))
        return;
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        bool exact;
        if (!is_named_nocase(v, level_names[i], &exact))
            continue;
        c->level = level_names[i];
        if (!exact)
            note(c, v, "security level %s becomes %s", shown(v, q), c->level);
        return;
    }
    ERR(c, v, WD_L_SCHEMA,
        "unknown security level %s (UNOFFICIAL, OFFICIAL, OFFICIAL_SENSITIVE, PROTECTED, "
        "SECRET)",
        shown(v, q));
}

static void security_field(conv *c, const wd_yaml_node *v)
{
    if (wd_yaml_is_null(v))
        return;
    if (wd_ycheck_expect(&c->ck, v, WD_YAML_MAP, "security") <= 0)
        return;
    for (const wd_yaml_node *k = v->child; k && k->next; k = k->next->next) {
        const wd_yaml_node *val = k->next;
        if (is_named(k, "security_level") || is_named(k, "level")) {
            if (c->seen_level) {
                ERR(c, k, WD_L_SCHEMA, "both security.security_level and security.level");
                continue;
            }
            c->seen_level = k;
            level_value(c, k, val);
        } else if (is_named(k, "allow_downgrade")) {
            bool plain = val->kind == WD_YAML_SCALAR && val->plain;
            bool t = plain && (is_named(val, "true") || is_named(val, "True"));
            bool f = plain && (is_named(val, "false") || is_named(val, "False"));
            if (!t && !f)
                ERR(c, val, WD_L_SCHEMA, "security.allow_downgrade must be true or false");
            c->allow_downgrade = t;
        } else {
            not_carried(c, "security.", k,
                        "warden's security section holds only the author's level and "
                        "allow_downgrade; what the handler may touch is its policy's to grant");
        }
    }
}

/* A capability tag as a warden tag (1-64 of [a-z0-9-]): lower case, and '_', '.', ' ', '/'
 * and ':' as '-'. A tag that does not map is a note, not an error: tags only describe. */
static void tag_item(conv *c, const wd_yaml_node *t)
{
    char q[SHOWN_MAX + 16], tag[TAG_MAX + 1];
    if (!wd_ycheck_scalar(&c->ck, t, "a capability tag"))
        return;
    bool ok = t->len >= 1 && t->len <= TAG_MAX;
    for (size_t i = 0; ok && i < t->len; i++) {
        char ch = t->str[i];
        if (is_upper(ch))
            ch = (char)(ch - 'A' + 'a');
        else if (ch == '_' || ch == '.' || ch == ' ' || ch == '/' || ch == ':')
            ch = '-';
        ok = is_lower_or_digit(ch) || ch == '-';
        tag[i] = ch;
    }
    if (!ok) {
        note(c, t, "capability tag %s not carried over: warden tags are 1-64 of [a-z0-9-]",
             shown(t, q));
        return;
    }
    tag[t->len] = '\0';
    for (size_t i = 0; i < c->ntags; i++)
        if (!strcmp(c->tags[i], tag)) {
            note(c, t, "capability tag %s not carried over: it is the tag \"%s\" again",
                 shown(t, q), tag);
            return;
        }
    if (c->ntags == TAGS_MAX) {
        note(c, t, "capability tag %s not carried over: a warden contract has at most %d tags",
             shown(t, q), TAGS_MAX);
        return;
    }
    if (memcmp(tag, t->str, t->len) != 0)
        note(c, t, "capability tag %s becomes \"%s\"", shown(t, q), tag);
    memcpy(c->tags[c->ntags++], tag, t->len + 1);
}

static void tags_field(conv *c, const wd_yaml_node *k, const wd_yaml_node *v)
{
    if (c->seen_tags) {
        ERR(c, k, WD_L_SCHEMA, "both capability_tags and tags: ONEX reads them as one field");
        return;
    }
    c->seen_tags = k;
    if (wd_yaml_is_null(v))
        return;
    if (v->kind == WD_YAML_SCALAR) { /* ONEX reads one string as a list of one */
        tag_item(c, v);
        return;
    }
    if (wd_ycheck_expect(&c->ck, v, WD_YAML_SEQ, "capability_tags") <= 0)
        return;
    for (const wd_yaml_node *t = v->child; t; t = t->next)
        tag_item(c, t);
}

/* ---- config ---------------------------------------------------------------------------- */

static bool null_scalar(const wd_yaml_node *v)
{
    return v->kind == WD_YAML_SCALAR && v->plain &&
           (wd_yaml_is_null(v) || is_named(v, "Null") || is_named(v, "NULL"));
}

/* -?(0|[1-9][0-9]*): an integer JSON and YAML read the same way. */
static bool json_integer(const wd_yaml_node *v)
{
    size_t i = v->len && v->str[0] == '-' ? 1 : 0;
    if (i == v->len || (v->str[i] == '0' && v->len > i + 1))
        return false;
    for (; i < v->len; i++)
        if (!wd_is_digit(v->str[i]))
            return false;
    return true;
}

static bool json_number(const wd_yaml_node *v)
{
    wd_cursor cur = wd_cursor_make(v->str, v->len);
    return v->len && (v->str[0] == '-' || wd_is_digit(v->str[0])) && wd_json_skip(&cur) &&
           cur.p == cur.end;
}

/* The booleans of ONEX's YAML 1.1 loader: 1 true, 0 false, -1 not a boolean. */
static int yaml11_bool(const wd_yaml_node *v)
{
    static const char *const truth[] = {"true", "True", "TRUE", "yes", "Yes",
                                        "YES",  "on",   "On",   "ON"};
    static const char *const lies[] = {"false", "False", "FALSE", "no", "No",
                                       "NO",    "off",   "Off",   "OFF"};
    if (v->kind != WD_YAML_SCALAR || !v->plain)
        return -1;
    for (size_t i = 0; i < sizeof(truth) / sizeof(truth[0]); i++) {
        if (is_named(v, truth[i]))
            return 1;
        if (is_named(v, lies[i]))
            return 0;
    }
    return -1;
}

static int scalar_type(const wd_yaml_node *v)
{
    if (!v->plain)
        return T_STRING;
    if (yaml11_bool(v) >= 0)
        return T_BOOLEAN;
    if (json_integer(v))
        return T_INTEGER;
    if (json_number(v))
        return T_NUMBER;
    return null_scalar(v) ? T_NONE : T_STRING;
}

/* Refuses author-owned fields at any depth and nesting deeper than warden reads; says whether
 * anything nested below v is a number, boolean or null (warden passes those as strings). */
static bool config_walk(conv *c, const wd_yaml_node *v, int depth, bool *typed)
{
    if (depth > CONFIG_DEPTH_MAX) {
        ERR(c, v, WD_L_SCHEMA, "config nests deeper than %d levels", CONFIG_DEPTH_MAX);
        return false;
    }
    if (v->kind == WD_YAML_SCALAR) {
        if (depth > 1 && scalar_type(v) != T_STRING)
            *typed = true;
        return true;
    }
    bool map = v->kind == WD_YAML_MAP;
    for (const wd_yaml_node *k = v->child; k;
         k = map ? (k->next ? k->next->next : NULL) : k->next) {
        if (map) {
            for (size_t i = 0; i < sizeof(forbidden_fields) / sizeof(forbidden_fields[0]); i++)
                if (is_named(k, forbidden_fields[i])) {
                    ERR(c, k, WD_L_FORBIDDEN,
                        "config sets \"%s\", which only the plugin's author sets (in security)",
                        forbidden_fields[i]);
                    return false;
                }
            if (k->next && !config_walk(c, k->next, depth + 1, typed))
                return false;
        } else if (!config_walk(c, k, depth + 1, typed)) {
            return false;
        }
    }
    return true;
}

static void config_field(conv *c, const wd_yaml_node *v)
{
    char f[SHOWN_MAX + 80], q[SHOWN_MAX + 16];
    if (wd_ycheck_expect(&c->ck, v, WD_YAML_MAP, "config") <= 0)
        return;
    if (v->count > CONFIG_KEYS_MAX) {
        ERR(c, v, WD_L_SCHEMA, "config has more than %d keys", CONFIG_KEYS_MAX);
        return;
    }
    c->config = v;
    for (const wd_yaml_node *k = v->child; k && k->next; k = k->next->next) {
        const wd_yaml_node *val = k->next;
        bool typed = false;
        if (!config_walk(c, val, 1, &typed)) {
            c->config = NULL;
            return;
        }
        for (size_t j = 0; j < sizeof(forbidden_fields) / sizeof(forbidden_fields[0]); j++)
            if (is_named(k, forbidden_fields[j])) {
                ERR(c, k, WD_L_FORBIDDEN,
                    "config sets \"%s\", which only the plugin's author sets (in security)",
                    forbidden_fields[j]);
                c->config = NULL;
                return;
            }
        int t = val->kind == WD_YAML_MAP   ? T_OBJECT
                : val->kind == WD_YAML_SEQ ? T_ARRAY
                                           : scalar_type(val);
        if (t == T_NONE)
            not_carried(c, "config.", k,
                        "a null value has no type in a warden config_schema (give it a value)");
        if (t == T_BOOLEAN && !is_named(val, "true") && !is_named(val, "false"))
            note(c, val, "%s: %s is a boolean to ONEX's YAML loader: written as %s",
                 field_name("config.", k, f, sizeof(f)), shown(val, q),
                 yaml11_bool(val) ? "true" : "false");
        if (typed)
            note(c, val,
                 "%s: warden hands numbers, booleans and nulls inside an object or "
                 "array to the handler as strings",
                 field_name("config.", k, f, sizeof(f)));
    }
}

/* ---- the whole contract ---------------------------------------------------------------- */

static const struct {
    const char *key, *why;
} reasons[] = {
    {"description", "a warden contract has no description (the handler's describe() can say it)"},
    {"dependencies", "a handler imports only what is inside its handler_root (hashed into the "
                     "contract) and the interpreter's standard library: put what it needs there"},
    {"version", "ONEX's old version string is not read: the version is handler_version's (or "
                "--version)"},
    {"runtime", "a warden key in an ONEX contract is not trusted: import-onex writes its own"},
    {"policy", "a warden key in an ONEX contract is not trusted: import-onex writes its own"},
    {"sha256", "a warden key in an ONEX contract is not trusted: import-onex writes its own"},
    {"handler_root", "a warden key in an ONEX contract is not trusted: give --handler-root"},
    {"config_schema", "a warden key in an ONEX contract is not trusted: import-onex writes the "
                      "schema from config's values"},
};

static void other_field(conv *c, const wd_yaml_node *k)
{
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (is_named(k, reasons[i].key)) {
            not_carried(c, "", k, reasons[i].why);
            return;
        }
    not_carried(c, "", k, "no warden contract field holds it");
}

static void check_fields(conv *c, const wd_yaml_node *root)
{
    for (const wd_yaml_node *k = root->child; k && k->next; k = k->next->next) {
        const wd_yaml_node *v = k->next;
        if (is_named(k, "handler_name") || is_named(k, "name")) {
            name_field(c, k, v);
        } else if (is_named(k, "handler_class")) {
            c->seen_class = k;
            class_field(c, v);
        } else if (is_named(k, "handler_type")) {
            c->seen_type = k;
            type_field(c, v);
        } else if (is_named(k, "handler_version")) {
            c->seen_version = k;
            version_field(c, k, v);
        } else if (is_named(k, "capability_tags") || is_named(k, "tags")) {
            tags_field(c, k, v);
        } else if (is_named(k, "security")) {
            c->seen_security = k;
            security_field(c, v);
        } else if (is_named(k, "config")) {
            config_field(c, v);
        } else {
            other_field(c, k);
        }
    }
    const wd_yaml_node *seen[] = {c->seen_name, c->seen_class, c->seen_type};
    static const char *const required[] = {"handler_name", "handler_class", "handler_type"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (!seen[i])
            ERR(c, root, WD_L_MISSING, "the ONEX contract has no %s", required[i]);
    if (!c->seen_version && !c->o->version)
        ERR(c, root, WD_L_MISSING,
            "the ONEX contract has no handler_version: give the version with --version");
    if (!c->seen_level && !c->o->level)
        ERR(c, c->seen_security ? c->seen_security : root, WD_L_LEVEL_MISSING,
            "the ONEX contract declares no security level (security.security_level): give the "
            "author's level with --level; a missing level is never read as the lowest");
}

/* ---- writing --------------------------------------------------------------------------- */

static void write_value(wd_buf *b, const wd_yaml_node *v)
{
    if (v->kind == WD_YAML_SCALAR) {
        int t = scalar_type(v), bv = yaml11_bool(v);
        if (t == T_INTEGER || t == T_NUMBER)
            wd_buf_append(b, v->str, v->len);
        else if (t == T_BOOLEAN)
            wd_buf_puts(b, bv ? "true" : "false");
        else if (t == T_NONE)
            wd_buf_puts(b, "null");
        else
            yaml_quote(b, v->str, v->len);
        return;
    }
    bool map = v->kind == WD_YAML_MAP;
    wd_buf_putc(b, map ? '{' : '[');
    bool first = true;
    for (const wd_yaml_node *k = v->child; k;
         k = map ? (k->next ? k->next->next : NULL) : k->next) {
        if (!first)
            wd_buf_puts(b, ", ");
        first = false;
        if (map) {
            yaml_quote(b, k->str, k->len);
            wd_buf_puts(b, ": ");
            if (k->next)
                write_value(b, k->next);
        } else {
            write_value(b, k);
        }
    }
    wd_buf_putc(b, map ? '}' : ']');
}

static void write_config(conv *c, wd_buf *b)
{
    const wd_yaml_node *cfg = c->config;
    bool any = false;
    for (const wd_yaml_node *k = cfg->child; k && k->next; k = k->next->next) {
        const wd_yaml_node *v = k->next;
        int t = v->kind == WD_YAML_MAP   ? T_OBJECT
                : v->kind == WD_YAML_SEQ ? T_ARRAY
                                         : scalar_type(v);
        if (t == T_NONE)
            continue;
        if (!any)
            wd_buf_puts(b, "config_schema:\n  type: object\n  properties:\n");
        any = true;
        wd_buf_puts(b, "    ");
        yaml_quote(b, k->str, k->len);
        wd_buf_printf(b, ": {type: %s}\n", json_types[t]);
    }
    if (!any)
        return;
    wd_buf_puts(b, "config:\n");
    for (const wd_yaml_node *k = cfg->child; k && k->next; k = k->next->next) {
        const wd_yaml_node *v = k->next;
        if (v->kind == WD_YAML_SCALAR && scalar_type(v) == T_NONE)
            continue;
        wd_buf_puts(b, "  ");
        yaml_quote(b, k->str, k->len);
        wd_buf_puts(b, ": ");
        write_value(b, v);
        wd_buf_putc(b, '\n');
    }
}

static void write_contract(conv *c, wd_buf *b)
{
    const wd_onex_options *o = c->o;
    const char *policy = o->policy ? o->policy : "policy.yaml";
    size_t pkg = strcspn(c->klass->str, ".");
    wd_buf_puts(b, "# A warden contract (runtime: python) converted from the ONEX handler "
                   "contract\n# ");
    yaml_quote(b, o->file, strlen(o->file));
    wd_buf_puts(b, " by `warden plugin import-onex` (docs/onex.md).\n");
    if (c->comments.len) {
        wd_buf_puts(b, "# Changed or not carried over (the notes it printed):\n");
        wd_buf_append(b, c->comments.data, c->comments.len);
    }
    wd_buf_puts(b, "# Before it can load:\n");
    wd_buf_printf(b,
                  "#   - write %s beside it: everything the handler may touch. Until you "
                  "do, the\n#     smallest policy is the one that grants nothing: "
                  "version: \"1.0\"\n",
                  policy);
    if (!o->handler_root)
        wd_buf_puts(b, "#   - fill in handler_root and sha256 below (import-onex --handler-root "
                       "DIR does both)\n");
    wd_buf_puts(b, "#   - port the handler to warden's synchronous interface, review, sign\n");
    wd_buf_printf(b, "name: %s\ntype: %s\nversion: %s\nruntime: python\nhandler_class: %.*s\n",
                  c->name, c->type, o->version ? o->version : c->version, (int)c->klass->len,
                  c->klass->str);
    if (o->handler_root) {
        wd_buf_puts(b, "handler_root: ");
        yaml_quote(b, o->handler_root, strlen(o->handler_root));
        wd_buf_printf(b, "\nsha256: %s\n", o->tree_sha256);
    } else {
        wd_buf_printf(b,
                      "# handler_root: DIR   # fill in: the directory holding package %.*s, "
                      "relative to this file\n",
                      (int)pkg, c->klass->str);
        wd_buf_puts(b, "# sha256: HASH        # fill in: the tree hash of handler_root "
                       "(docs/onex.md)\n");
    }
    wd_buf_printf(b, "security: {level: %s%s}\n", o->level ? o->level : c->level,
                  c->allow_downgrade ? ", allow_downgrade: true" : "");
    if (c->config)
        write_config(c, b);
    wd_buf_puts(b, "policy: ");
    yaml_quote(b, policy, strlen(policy));
    wd_buf_puts(b, "   # write it: deny-all until you do (see above)\n");
    if (c->ntags) {
        wd_buf_puts(b, "tags: [");
        for (size_t i = 0; i < c->ntags; i++)
            wd_buf_printf(b, "%s%s", i ? ", " : "", c->tags[i]);
        wd_buf_puts(b, "]\n");
    }
}

/* ---- entry ----------------------------------------------------------------------------- */

static bool hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!wd_is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return false;
    return true;
}

static bool options_valid(const wd_onex_options *o)
{
    wd_semver sv;
    const char *why;
    bool level_ok = !o->level;
    for (size_t i = 0; !level_ok && i < sizeof(level_names) / sizeof(level_names[0]); i++)
        level_ok = !strcmp(o->level, level_names[i]);
    return o->file && level_ok &&
           (!o->version || (strlen(o->version) < VERSION_TEXT &&
                            wd_semver_parse(o->version, strlen(o->version), &sv, &why))) &&
           (!o->handler_root == !o->tree_sha256) && (!o->tree_sha256 || hex64(o->tree_sha256));
}

/* The tree builder speaks in policy ids; here every such problem is "not valid (safe) YAML",
 * as for a contract (WD-L004 with the builder's id in the message). */
static int relabel_yaml(const wd_diagnostics *from, wd_diagnostics *to)
{
    for (size_t i = 0; i < wd_diagnostics_count(from); i++) {
        const wd_diag *d = wd_diagnostics_get(from, i);
        if (wd_diag_add(to, d->severity, WD_L_YAML, d->file, d->line, d->column, "%s (%s)",
                        d->message, d->id))
            return WD_ENOMEM;
    }
    return 0;
}

static int parse(wd_arena *arena, const char *data, size_t len, const char *file,
                 wd_diagnostics *errors, wd_yaml_node **root)
{
    if (len > WD_CONTRACT_MAX_FILE_SIZE) {
        return wd_diag_add(errors, WD_DIAG_ERROR, WD_L_SIZE, file, 0, 0, "larger than %u bytes",
                           WD_CONTRACT_MAX_FILE_SIZE)
                   ? WD_ENOMEM
                   : WD_EPOLICY;
    }
    const wd_text_source src = {.id = WD_L_YAML, .display = file, .what = NULL};
    if (wd_text_check(&data, &len, &src, errors) != 0)
        return WD_EPOLICY;
    wd_diagnostics *yd = NULL;
    int rc = wd_diagnostics_new(&yd);
    if (!rc && wd_yaml_parse(arena, data, len, file, yd, root) != 0)
        rc = relabel_yaml(yd, errors) ? WD_ENOMEM : WD_EPOLICY;
    wd_diagnostics_free(yd);
    if (!rc && (!*root || (*root)->kind != WD_YAML_MAP)) {
        rc = wd_diag_add(errors, WD_DIAG_ERROR, WD_L_SCHEMA, file, *root ? (*root)->line : 0,
                         *root ? (*root)->column : 0,
                         "an ONEX handler contract is a mapping (handler_name, handler_class, "
                         "handler_type, ...)")
                 ? WD_ENOMEM
                 : WD_EPOLICY;
    }
    return rc;
}

int wd_onex_convert(const char *data, size_t len, const wd_onex_options *opts,
                    wd_diagnostics *errors, wd_buf *out, wd_buf *notes)
{
    if (!data || !opts || !errors || !out || !notes || !options_valid(opts))
        return WD_EINVAL;
    wd_arena arena = WD_ARENA_INIT;
    wd_yaml_node *root = NULL;
    int rc = parse(&arena, data, len, opts->file, errors, &root);
    if (!rc) {
        conv c = {.ck = {.diags = errors,
                         .file = opts->file,
                         .id_type = WD_L_SCHEMA,
                         .id_missing = WD_L_MISSING,
                         .id_unknown_key = WD_L_SCHEMA},
                  .o = opts,
                  .notes = notes,
                  .comments = WD_BUF_INIT};
        size_t first = wd_diagnostics_count(errors);
        check_fields(&c, root);
        wd_diag_sort(errors, first);
        if (!c.ck.errors)
            write_contract(&c, out);
        rc = c.ck.oom || c.comments.oom || out->oom || notes->oom ? WD_ENOMEM
             : c.ck.errors                                        ? WD_EPOLICY
                                                                  : 0;
        wd_buf_free(&c.comments);
    }
    wd_arena_free(&arena);
    return rc;
}
