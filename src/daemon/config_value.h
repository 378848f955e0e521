/* config_value.h (daemon): what every part of the configuration reader shares: the stable ids,
 * the bounds, the parser's state and the checks of values (config_value.c). The reader is
 * layered, each part calling only down:
 *   config_load.c     a buffer or a file (and its token files) into a wdd_config; lookups
 *   config.c          the walk of the top level (config_int.h)
 *   config_tenants.c  the tenants, and what no two may share (config_tenants.h)
 *   config_value.c    (this header) text, mappings, paths, lists */
#ifndef WDD_CONFIG_VALUE_H
#define WDD_CONFIG_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/config.h"
#include "util/arena.h"
#include "yaml/yaml_check.h"
#include "yaml/yaml_tree.h"

/* Stable ids (docs/config.md): once released, an id keeps its meaning. */
#define WDD_C_IO "WD-C001"           /* the file cannot be opened or read */
#define WDD_C_TOO_LARGE "WD-C002"    /* larger than 1 MiB */
#define WDD_C_UTF8 "WD-C003"         /* not UTF-8, or a NUL byte */
#define WDD_C_YAML "WD-C004"         /* not valid (safe) YAML */
#define WDD_C_UNKNOWN_KEY "WD-C005"  /* a key the format does not define */
#define WDD_C_TYPE "WD-C006"         /* mapping / sequence / scalar expected */
#define WDD_C_MISSING "WD-C007"      /* required value missing or empty */
#define WDD_C_VERSION "WD-C008"      /* version other than 1 */
#define WDD_C_MODE "WD-C009"         /* listen.mode is not a permission mode */
#define WDD_C_MODE_OTHERS "WD-C010"  /* listen.mode grants others access */
#define WDD_C_TCP "WD-C011"          /* listen.tcp malformed or not loopback */
#define WDD_C_LIMIT "WD-C012"        /* a limit malformed or out of range */
#define WDD_C_NAME "WD-C013"         /* tenant name malformed */
#define WDD_C_DUP_NAME "WD-C014"     /* two tenants with one name */
#define WDD_C_VALUE "WD-C015"        /* a value outside its set or malformed */
#define WDD_C_UID "WD-C016"          /* uid not 0..4294967294 */
#define WDD_C_CLIENT "WD-C017"       /* a client needs exactly one of uid and token_file */
#define WDD_C_DUP_CLIENT "WD-C018"   /* one uid, token file or token in two clients */
#define WDD_C_TOKEN_NO_TCP "WD-C019" /* a token client but no listen.tcp */
#define WDD_C_TCP_NO_TOKEN "WD-C020" /* listen.tcp but no token client */
#define WDD_C_SHARED "WD-C021"       /* tenants share (or nest) a directory */
#define WDD_C_PATH "WD-C022"         /* path too long, above "/", or a bad glob */
#define WDD_C_TOO_MANY "WD-C023"     /* more tenants, clients or list items than allowed */
#define WDD_C_TOKEN_READ "WD-C024"   /* token file missing, unreadable or not a regular file */
#define WDD_C_TOKEN_PERM "WD-C025"   /* token file readable by others or owned by another user */
#define WDD_C_TOKEN_LEN "WD-C026"    /* token too short, too long or not visible ASCII */

enum {
    MAX_FILE = 1 << 20,
    MAX_TENANTS = 256,
    MAX_CLIENTS = 4096, /* per tenant */
    MAX_LIST = 1024,    /* contracts, allowlist, protected */
    TOKEN_MIN = 32,
    NAME_MAX_LEN = 64,
    GROUP_MAX_LEN = 32,
    ID_PREFIX_MAX = 128,
    SYMBOL_MAX_LEN = 256, /* a deny_imports entry */
};

/* The public struct first, so wdd_config_free can find the arena that owns every field. */
typedef struct {
    wdd_config cfg;
    wd_arena arena;
} config_box;

/* Where each directory a tenant must not share was written, for the cross-tenant check. */
enum { DIR_POLICIES, DIR_AUDIT_LOG, DIR_AUDIT_KEYS, DIR_OVERRIDES, DIR_COUNT };

typedef struct {
    const wd_yaml_node *node[DIR_COUNT];
} tenant_nodes;

typedef struct {
    wd_ycheck ck;
    config_box *box;
    wd_arena *scratch;
    const char *base; /* normalised absolute base directory */
    const wd_yaml_node *tcp;
    size_t token_clients;
    tenant_nodes *tnodes;
} parser;

#define ERR(p, node, id, ...) WD_YERR(&(p)->ck, node, id, __VA_ARGS__)

/* An arena copy of s; NULL (and ck.oom set) when memory ran out. */
char *wdd_config_cdup(parser *p, const char *s, size_t len);
/* v is the scalar w. */
bool wdd_config_is_word(const wd_yaml_node *v, const char *w);
/* v is a non-empty scalar; false after reporting. */
bool wdd_config_text(parser *p, const wd_yaml_node *v, const char *what);
/* v is a mapping that holds something; false after reporting. */
bool wdd_config_required_map(parser *p, const wd_yaml_node *parent, const wd_yaml_node *v,
                             const char *what);
/* s resolved against base and normalised into out[WD_PATH_MAX]; NULL, else why not. */
const char *wdd_config_resolve(const char *base, const char *s, size_t len, char *out);
/* v as a resolved, normalised path in the arena; NULL after reporting. */
char *wdd_config_path_value(parser *p, const wd_yaml_node *v, const char *what);
/* v as a list of at most MAX_LIST items, each checked by item. */
char **wdd_config_list_value(parser *p, const wd_yaml_node *v, const char *what, size_t *n,
                             char *(*item)(parser *, const wd_yaml_node *, const char *));

#endif
