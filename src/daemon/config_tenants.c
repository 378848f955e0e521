/* config_tenants.c: the tenants of wardend's configuration (config_tenants.h): each tenant's keys,
 * its clients and its lists, then what no two tenants may share.
 *
 * Tenants are isolated by construction: no two may share a store, a log, keys or a client, and
 * one uid or token file names one client of one tenant, so a peer's tenant and role never
 * depend on the order of the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config_tenants.h"
#include "daemon/config_value.h"
#include "util/ascii.h"
#include "util/cursor.h"
#include "util/path.h"
#include "warden/integrity.h"

#define UID_MAX_VALUE 4294967294UL /* (uid_t)-1 means "no uid" to chown() and friends */

/* The directories of tenant_nodes as messages name them. */
static const char *const dir_names[DIR_COUNT] = {"policies", "audit.log", "audit.keys",
                                                 "overrides"};

/* ---- list items ---------------------------------------------------------------------------- */

static char *dir_item(parser *p, const wd_yaml_node *v, const char *what)
{
    (void)what;
    return wdd_config_path_value(p, v, "a contracts directory");
}

/* An id prefix, with the contract id's own alphabet. */
static char *prefix_item(parser *p, const wd_yaml_node *v, const char *what)
{
    (void)what;
    if (!wdd_config_text(p, v, "an allowlist entry"))
        return NULL;
    bool ok = v->len <= ID_PREFIX_MAX && v->str[0] >= 'a' && v->str[0] <= 'z';
    for (size_t i = 0; ok && i < v->len; i++) {
        char ch = v->str[i];
        ok = (ch >= 'a' && ch <= 'z') || wd_is_digit(ch) || ch == '.' || ch == '_' || ch == '-';
    }
    if (!ok) {
        char shown[80];
        ERR(p, v, WDD_C_VALUE,
            "allowlist entry %s must be 1-128 of [a-z0-9._-], starting with a letter",
            wd_yaml_shown(v, shown, sizeof(shown)));
        return NULL;
    }
    return wdd_config_cdup(p, v->str, v->len);
}

/* A symbol a plugin's library may not import: an ELF symbol name as C and the linker write them
 * (letters, digits, '_', '.', '@' for versions, '$'). */
static char *symbol_item(parser *p, const wd_yaml_node *v, const char *what)
{
    (void)what;
    if (!wdd_config_text(p, v, "a deny_imports entry"))
        return NULL;
    bool ok = v->len <= SYMBOL_MAX_LEN && !wd_is_digit(v->str[0]);
    for (size_t i = 0; ok && i < v->len; i++) {
        char ch = v->str[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || wd_is_digit(ch) || ch == '_' ||
             ch == '.' || ch == '@' || ch == '$';
    }
    if (!ok) {
        char shown[80];
        ERR(p, v, WDD_C_VALUE,
            "deny_imports entry %s must be a symbol name: 1-256 of [A-Za-z0-9_.@$], not starting "
            "with a digit",
            wd_yaml_shown(v, shown, sizeof(shown)));
        return NULL;
    }
    return wdd_config_cdup(p, v->str, v->len);
}

/* A glob for wd_protected_new: "." and ".." are refused as written (normalising them away
 * would change what "*" and "**" next to them match). */
static char *glob_item(parser *p, const wd_yaml_node *v, const char *what)
{
    (void)what;
    if (!wdd_config_text(p, v, "a protected glob"))
        return NULL;
    char shown[80];
    for (size_t i = 0; i < v->len;) {
        size_t j = i;
        while (j < v->len && v->str[j] != '/')
            j++;
        size_t seg = j - i;
        if ((seg == 1 && v->str[i] == '.') || (seg == 2 && !memcmp(v->str + i, "..", 2))) {
            ERR(p, v, WDD_C_PATH, "protected glob %s has a \".\" or \"..\" segment",
                wd_yaml_shown(v, shown, sizeof(shown)));
            return NULL;
        }
        i = j + 1;
    }
    char norm[WD_PATH_MAX];
    const char *why = wdd_config_resolve(p->base, v->str, v->len, norm);
    if (why) {
        ERR(p, v, WDD_C_PATH, "protected glob %s %s", wd_yaml_shown(v, shown, sizeof(shown)), why);
        return NULL;
    }
    const char *globs[1] = {norm};
    wd_protected *check = NULL;
    int rc = wd_protected_new(&check, globs, 1);
    wd_protected_free(check);
    if (rc == WD_ENOMEM) {
        p->ck.oom = true;
        return NULL;
    }
    if (rc) {
        ERR(p, v, WDD_C_PATH,
            "protected glob %s is not a valid glob (\"*\" within a segment, \"**\" as a whole "
            "segment)",
            wd_yaml_shown(v, shown, sizeof(shown)));
        return NULL;
    }
    return wdd_config_cdup(p, norm, strlen(norm));
}

/* ---- tenants --------------------------------------------------------------------------------- */

static const char *const role_names[] = {NULL, "reader", "operator", "admin"};

static void client_entry(parser *p, const wd_yaml_node *m, wdd_client *cl)
{
    cl->uid = -1;
    cl->line = m->line;
    cl->column = m->column;
    int k = wd_ycheck_expect(&p->ck, m, WD_YAML_MAP, "a client");
    if (k == 0)
        ERR(p, m, WDD_C_MISSING, "a client is empty: it needs a uid or a token_file, and a role");
    if (k <= 0)
        return;
    static const char *const keys[] = {"uid", "token_file", "role", NULL};
    wd_ycheck_keys(&p->ck, m, keys, "a client");
    const wd_yaml_node *uid = wd_yaml_get(m, "uid"), *tf = wd_yaml_get(m, "token_file"),
                       *role = wd_yaml_get(m, "role");
    if (!uid == !tf)
        ERR(p, m, WDD_C_CLIENT,
            "a client has %s: it is either a local user (uid) or a bearer token (token_file)",
            uid ? "both uid and token_file" : "neither uid nor token_file");
    if (uid && wdd_config_text(p, uid, "uid")) {
        wd_cursor cur = wd_cursor_make(uid->str, uid->len);
        uint64_t u;
        if (!wd_cursor_u64(&cur, &u) || cur.p != cur.end || u > UID_MAX_VALUE) {
            char shown[80];
            ERR(p, uid, WDD_C_UID, "uid %s must be a whole number from 0 to %lu",
                wd_yaml_shown(uid, shown, sizeof(shown)), UID_MAX_VALUE);
        } else if (!tf) {
            cl->uid = (long)u;
        }
    }
    if (tf) {
        if (!p->tcp)
            ERR(p, m, WDD_C_TOKEN_NO_TCP,
                "a token_file client needs listen.tcp: tokens are only accepted over TCP");
        char *path = wdd_config_path_value(p, tf, "token_file");
        if (path && !uid) {
            cl->token_file = path;
            p->token_clients++;
        }
    }
    if (!role) {
        ERR(p, m, WDD_C_MISSING, "a client has no role (reader, operator or admin)");
    } else if (wdd_config_text(p, role, "role")) {
        for (int i = WDD_ROLE_READER; i <= WDD_ROLE_ADMIN; i++)
            if (wdd_config_is_word(role, role_names[i]))
                cl->role = (wdd_role)i;
        if (!cl->role) {
            char shown[80];
            ERR(p, role, WDD_C_VALUE, "unknown role %s (reader, operator, admin)",
                wd_yaml_shown(role, shown, sizeof(shown)));
        }
    }
}

static void clients_field(parser *p, const wd_yaml_node *t, wdd_tenant *out)
{
    const wd_yaml_node *v = wd_yaml_get(t, "clients");
    if (!v) {
        ERR(p, t, WDD_C_MISSING, "tenant has no clients: it needs at least one");
        return;
    }
    int k = wd_ycheck_expect(&p->ck, v, WD_YAML_SEQ, "clients");
    if (k < 0)
        return;
    if (k == 0 || v->count == 0) {
        ERR(p, v, WDD_C_MISSING, "clients is empty: a tenant needs at least one");
        return;
    }
    if (v->count > MAX_CLIENTS) {
        ERR(p, v, WDD_C_TOO_MANY, "a tenant has %zu clients; the limit is %d", v->count,
            MAX_CLIENTS);
        return;
    }
    out->clients = wd_arena_array(&p->box->arena, v->count, sizeof(*out->clients));
    if (!out->clients) {
        p->ck.oom = true;
        return;
    }
    for (const wd_yaml_node *m = v->child; m; m = m->next)
        client_entry(p, m, &out->clients[out->nclients++]);
}

static void name_field(parser *p, const wd_yaml_node *t, wdd_tenant *out)
{
    const wd_yaml_node *v = wd_yaml_get(t, "name");
    if (!v) {
        ERR(p, t, WDD_C_MISSING, "tenant has no name");
        return;
    }
    if (!wdd_config_text(p, v, "tenant name"))
        return;
    bool ok = v->len <= NAME_MAX_LEN;
    for (size_t i = 0; ok && i < v->len; i++) {
        char ch = v->str[i];
        ok = (ch >= 'a' && ch <= 'z') || wd_is_digit(ch) || (i > 0 && (ch == '_' || ch == '-'));
    }
    if (!ok) {
        char shown[80];
        ERR(p, v, WDD_C_NAME,
            "tenant name %s must be 1-64 of [a-z0-9_-], starting with a letter or digit",
            wd_yaml_shown(v, shown, sizeof(shown)));
        return;
    }
    out->name = wdd_config_cdup(p, v->str, v->len);
}

static void audit_field(parser *p, const wd_yaml_node *t, wdd_tenant *out, tenant_nodes *tn)
{
    const wd_yaml_node *a = wd_yaml_get(t, "audit"), *v;
    out->durability = WD_DURABILITY_BATCH;
    out->audit_decisions = WDD_AUDIT_ALL;
    if (!wdd_config_required_map(p, t, a, "audit"))
        return;
    static const char *const keys[] = {"log", "keys", "durability", "decisions", NULL};
    wd_ycheck_keys(&p->ck, a, keys, "audit");
    if (!(v = wd_yaml_get(a, "log")))
        ERR(p, a, WDD_C_MISSING, "audit.log is missing");
    else if ((out->audit_log = wdd_config_path_value(p, v, "audit.log")))
        tn->node[DIR_AUDIT_LOG] = v;
    if (!(v = wd_yaml_get(a, "keys")))
        ERR(p, a, WDD_C_MISSING, "audit.keys is missing");
    else if ((out->audit_keys = wdd_config_path_value(p, v, "audit.keys")))
        tn->node[DIR_AUDIT_KEYS] = v;
    char shown[80];
    if ((v = wd_yaml_get(a, "durability")) && wdd_config_text(p, v, "audit.durability")) {
        if (wdd_config_is_word(v, "always"))
            out->durability = WD_DURABILITY_ALWAYS;
        else if (wdd_config_is_word(v, "none"))
            out->durability = WD_DURABILITY_NONE;
        else if (!wdd_config_is_word(v, "batch"))
            ERR(p, v, WDD_C_VALUE, "unknown audit.durability %s (always, batch, none)",
                wd_yaml_shown(v, shown, sizeof(shown)));
    }
    if ((v = wd_yaml_get(a, "decisions")) && wdd_config_text(p, v, "audit.decisions")) {
        if (wdd_config_is_word(v, "deny"))
            out->audit_decisions = WDD_AUDIT_DENY;
        else if (wdd_config_is_word(v, "none"))
            out->audit_decisions = WDD_AUDIT_NONE;
        else if (!wdd_config_is_word(v, "all"))
            ERR(p, v, WDD_C_VALUE, "unknown audit.decisions %s (all, deny, none)",
                wd_yaml_shown(v, shown, sizeof(shown)));
    }
}

static void baseline_field(parser *p, const wd_yaml_node *t, wdd_tenant *out)
{
    const wd_yaml_node *b = wd_yaml_get(t, "baseline"), *v;
    if (!b || !wdd_config_required_map(p, t, b, "baseline"))
        return;
    static const char *const keys[] = {"manifest", "pubkey", NULL};
    wd_ycheck_keys(&p->ck, b, keys, "baseline");
    char *manifest = NULL, *pubkey = NULL;
    if (!(v = wd_yaml_get(b, "manifest")))
        ERR(p, b, WDD_C_MISSING, "baseline.manifest is missing: a baseline needs both files");
    else
        manifest = wdd_config_path_value(p, v, "baseline.manifest");
    if (!(v = wd_yaml_get(b, "pubkey")))
        ERR(p, b, WDD_C_MISSING, "baseline.pubkey is missing: a baseline needs both files");
    else
        pubkey = wdd_config_path_value(p, v, "baseline.pubkey");
    if (manifest && pubkey) {
        out->baseline = manifest;
        out->baseline_pubkey = pubkey;
    }
}

/* The review gate beyond trust: the same one `warden plugin list` applies. review_required
 * defaults to true with trust (what trust always meant) and means nothing without it. */
static void review_fields(parser *p, const wd_yaml_node *t, wdd_tenant *out)
{
    const wd_yaml_node *v;
    if ((v = wd_yaml_get(t, "review_required")) && wdd_config_text(p, v, "review_required")) {
        char shown[80];
        if (wdd_config_is_word(v, "false"))
            out->review_optional = true;
        else if (!wdd_config_is_word(v, "true"))
            ERR(p, v, WDD_C_VALUE, "review_required %s must be true or false",
                wd_yaml_shown(v, shown, sizeof(shown)));
        else if (!wd_yaml_get(t, "trust"))
            ERR(p, v, WDD_C_MISSING,
                "review_required needs trust: the directory of the reviewers' keys");
        if (out->review_optional && !wd_yaml_get(t, "trust"))
            ERR(p, v, WDD_C_MISSING,
                "review_required: false needs trust: without reviewers' keys there is no "
                "review to make optional");
    }
    if ((v = wd_yaml_get(t, "approved")))
        out->approved = wdd_config_path_value(p, v, "approved");
    if ((v = wd_yaml_get(t, "deny_imports"))) {
        char **list = wdd_config_list_value(p, v, "deny_imports", &out->ndeny_imports, symbol_item);
        /* NULL-terminated, as discovery takes it. */
        char **terminated =
            list ? wd_arena_array(&p->box->arena, out->ndeny_imports + 1, sizeof(*terminated))
                 : NULL;
        if (list && !terminated)
            p->ck.oom = true;
        for (size_t i = 0; terminated && i < out->ndeny_imports; i++)
            terminated[i] = list[i];
        /* An empty list denies nothing: no reason to demand readable imports. */
        out->deny_imports = out->ndeny_imports ? terminated : NULL;
    }
}

static void tenant_entry(parser *p, const wd_yaml_node *t, wdd_tenant *out, tenant_nodes *tn)
{
    out->line = t->line;
    out->column = t->column;
    int k = wd_ycheck_expect(&p->ck, t, WD_YAML_MAP, "a tenant");
    if (k == 0)
        ERR(p, t, WDD_C_MISSING, "a tenant is empty");
    if (k <= 0)
        return;
    static const char *const keys[] = {
        "name",      "contracts", "trust", "review_required", "approved", "deny_imports",
        "allowlist", "policies",  "audit", "overrides",       "baseline", "protected",
        "clients",   NULL};
    wd_ycheck_keys(&p->ck, t, keys, "a tenant");
    const wd_yaml_node *v;
    name_field(p, t, out);
    if ((v = wd_yaml_get(t, "contracts")))
        out->contracts = wdd_config_list_value(p, v, "contracts", &out->ncontracts, dir_item);
    if ((v = wd_yaml_get(t, "trust")))
        out->trust = wdd_config_path_value(p, v, "trust");
    review_fields(p, t, out);
    if ((v = wd_yaml_get(t, "allowlist"))) {
        /* Present means an allowlist, even empty (then nothing may register): fail closed. */
        out->allowlist = wdd_config_list_value(p, v, "allowlist", &out->nallowlist, prefix_item);
        out->allowlist_set = true;
    }
    if (!(v = wd_yaml_get(t, "policies")))
        ERR(p, t, WDD_C_MISSING, "tenant has no policies directory");
    else if ((out->policies = wdd_config_path_value(p, v, "policies")))
        tn->node[DIR_POLICIES] = v;
    audit_field(p, t, out, tn);
    if ((v = wd_yaml_get(t, "overrides")) &&
        (out->overrides = wdd_config_path_value(p, v, "overrides")))
        tn->node[DIR_OVERRIDES] = v;
    baseline_field(p, t, out);
    if ((v = wd_yaml_get(t, "protected")))
        out->protected_globs =
            wdd_config_list_value(p, v, "protected", &out->nprotected, glob_item);
    clients_field(p, t, out);
}

static const char *tenant_dir(const wdd_tenant *t, int which)
{
    switch (which) {
    case DIR_POLICIES:
        return t->policies;
    case DIR_AUDIT_LOG:
        return t->audit_log;
    case DIR_AUDIT_KEYS:
        return t->audit_keys;
    default:
        return t->overrides;
    }
}

/* a and b are the same directory, or one holds the other. */
static bool overlaps(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), l = la < lb ? la : lb;
    if (strncmp(a, b, l) != 0)
        return false;
    if (la == lb || l == 1) /* equal, or one of them is "/" */
        return true;
    return (la < lb ? b : a)[l] == '/';
}

static void check_sharing(parser *p)
{
    const wdd_config *c = &p->box->cfg;
    for (size_t j = 1; j < c->ntenants; j++)
        for (int dj = 0; dj < DIR_COUNT; dj++) {
            const char *b = tenant_dir(&c->tenants[j], dj);
            bool reported = false;
            for (size_t i = 0; b && !reported && i < j; i++)
                for (int di = 0; !reported && di < DIR_COUNT; di++) {
                    const char *a = tenant_dir(&c->tenants[i], di);
                    if (!a || !overlaps(a, b))
                        continue;
                    const char *ni = c->tenants[i].name, *nj = c->tenants[j].name;
                    ERR(p, p->tnodes[j].node[dj], WDD_C_SHARED,
                        "%s of tenant %s%s%s %s %s of tenant %s%s%s (line %u): tenants share "
                        "nothing",
                        dir_names[dj], nj ? "\"" : "", nj ? nj : "#", nj ? "\"" : "",
                        !strcmp(a, b)           ? "is also"
                        : strlen(a) < strlen(b) ? "lies inside"
                                                : "holds",
                        dir_names[di], ni ? "\"" : "", ni ? ni : "#", ni ? "\"" : "",
                        p->tnodes[i].node[di]->line);
                    reported = true;
                }
        }
}

typedef struct {
    const wdd_client *client;
    size_t order;
} client_ref;

static int cmp_uid(const void *x, const void *y)
{
    const client_ref *a = x, *b = y;
    if (a->client->uid != b->client->uid)
        return a->client->uid < b->client->uid ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int cmp_token_file(const void *x, const void *y)
{
    const client_ref *a = x, *b = y;
    int d = strcmp(a->client->token_file, b->client->token_file);
    return d ? d : a->order < b->order ? -1 : a->order > b->order;
}

/* One uid or token file in two clients would make a peer's tenant and role depend on the order
 * of the file. Sorted, so a large file stays cheap. */
static void check_duplicate_clients(parser *p)
{
    const wdd_config *c = &p->box->cfg;
    size_t n = 0;
    for (size_t t = 0; t < c->ntenants; t++)
        n += c->tenants[t].nclients;
    if (n < 2)
        return;
    client_ref *uids = wd_arena_array(p->scratch, n, sizeof(*uids));
    client_ref *files = wd_arena_array(p->scratch, n, sizeof(*files));
    if (!uids || !files) {
        p->ck.oom = true;
        return;
    }
    size_t nu = 0, nf = 0, order = 0;
    for (size_t t = 0; t < c->ntenants; t++)
        for (size_t i = 0; i < c->tenants[t].nclients; i++, order++) {
            const wdd_client *cl = &c->tenants[t].clients[i];
            if (cl->uid >= 0)
                uids[nu++] = (client_ref){cl, order};
            else if (cl->token_file)
                files[nf++] = (client_ref){cl, order};
        }
    qsort(uids, nu, sizeof(*uids), cmp_uid);
    for (size_t i = 1; i < nu; i++)
        if (uids[i].client->uid == uids[i - 1].client->uid)
            wd_ycheck_report(&p->ck, WD_DIAG_ERROR, WDD_C_DUP_CLIENT, uids[i].client->line,
                             uids[i].client->column,
                             "uid %ld is already a client (line %u): a uid belongs to one client "
                             "of one tenant",
                             uids[i].client->uid, uids[i - 1].client->line);
    qsort(files, nf, sizeof(*files), cmp_token_file);
    for (size_t i = 1; i < nf; i++)
        if (!strcmp(files[i].client->token_file, files[i - 1].client->token_file))
            wd_ycheck_report(&p->ck, WD_DIAG_ERROR, WDD_C_DUP_CLIENT, files[i].client->line,
                             files[i].client->column,
                             "this token_file is already a client (line %u): a token belongs to "
                             "one client of one tenant",
                             files[i - 1].client->line);
}

void wdd_config_tenants_section(parser *p, const wd_yaml_node *root)
{
    wdd_config *c = &p->box->cfg;
    const wd_yaml_node *v = wd_yaml_get(root, "tenants");
    if (!v) {
        ERR(p, root, WDD_C_MISSING, "tenants is missing: the daemon needs at least one tenant");
        return;
    }
    int k = wd_ycheck_expect(&p->ck, v, WD_YAML_SEQ, "tenants");
    if (k < 0)
        return;
    if (k == 0 || v->count == 0) {
        ERR(p, v, WDD_C_MISSING, "tenants is empty: the daemon needs at least one tenant");
        return;
    }
    if (v->count > MAX_TENANTS) {
        ERR(p, v, WDD_C_TOO_MANY, "%zu tenants; the limit is %d", v->count, MAX_TENANTS);
        return;
    }
    c->tenants = wd_arena_array(&p->box->arena, v->count, sizeof(*c->tenants));
    p->tnodes = wd_arena_array(p->scratch, v->count, sizeof(*p->tnodes));
    if (!c->tenants || !p->tnodes) {
        p->ck.oom = true;
        return;
    }
    for (const wd_yaml_node *t = v->child; t; t = t->next) {
        size_t i = c->ntenants++;
        tenant_entry(p, t, &c->tenants[i], &p->tnodes[i]);
        for (size_t j = 0; c->tenants[i].name && j < i; j++)
            if (c->tenants[j].name && !strcmp(c->tenants[i].name, c->tenants[j].name)) {
                ERR(p, wd_yaml_get(t, "name"), WDD_C_DUP_NAME,
                    "tenant \"%s\" is already defined (line %u)", c->tenants[i].name,
                    c->tenants[j].line);
                break;
            }
    }
    check_sharing(p);
    check_duplicate_clients(p);
}

const char *wdd_role_name(wdd_role role)
{
    return role >= WDD_ROLE_READER && role <= WDD_ROLE_ADMIN ? role_names[role] : "?";
}
