/* config.h (daemon): wardend's configuration file, warden.yaml.
 *
 * Lifecycle: wdd_config_load(path) (or wdd_config_parse(buffer) for tests and fuzzing) ->
 * read-only use -> wdd_config_free(). A loaded configuration is immutable; a reload loads a
 * new one beside it. Every problem is reported with file:line:col and a WD-C id, and any error
 * fails the whole load: nothing is half-applied. */
#ifndef WDD_CONFIG_H
#define WDD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/audit.h"
#include "warden/diag.h"

typedef enum { WDD_ROLE_READER = 1, WDD_ROLE_OPERATOR = 2, WDD_ROLE_ADMIN = 3 } wdd_role;

/* Which decisions are written to the tenant's audit log. */
typedef enum { WDD_AUDIT_ALL = 1, WDD_AUDIT_DENY = 2, WDD_AUDIT_NONE = 3 } wdd_audit_decisions;

enum { WDD_TOKEN_MAX = 256 };

/* A client is either a local user (Unix socket, matched by the peer's uid) or a bearer token
 * (loopback TCP). */
typedef struct {
    long uid;         /* -1: a token client */
    char *token_file; /* NULL: a uid client */
    uint8_t token[WDD_TOKEN_MAX];
    size_t token_len; /* filled by wdd_config_load (never by parse) */
    wdd_role role;
    unsigned line, column; /* where the client was written */
} wdd_client;

typedef struct {
    char *name;       /* [a-z0-9][a-z0-9_-]{0,63} */
    char **contracts; /* contract directories (absolute) */
    size_t ncontracts;
    char *trust;          /* reviewer keys; NULL: contracts need no review signature */
    bool review_optional; /* review_required: false (only with trust): unsigned may load */
    char *approved;       /* approved library hashes (one hex SHA-256 a line); NULL: none */
    char **deny_imports;  /* symbols a library may not import, NULL-terminated; NULL: none */
    size_t ndeny_imports;
    char **allowlist; /* id prefixes; allowlist_set false: no allowlist */
    size_t nallowlist;
    bool allowlist_set;
    char *policies;   /* policy store directory */
    char *audit_log;  /* audit log directory */
    char *audit_keys; /* audit keys directory */
    wd_durability durability;
    wdd_audit_decisions audit_decisions;
    char *overrides;        /* approver store; NULL: no overrides */
    char *baseline;         /* signed manifest; NULL: none */
    char *baseline_pubkey;  /* required with baseline */
    char **protected_globs; /* beyond the defaults and the tenant's own locations */
    size_t nprotected;
    wdd_client *clients;
    size_t nclients;
    unsigned line, column;
} wdd_tenant;

typedef struct {
    char *path; /* the file it came from (absolute) */
    char *unix_path;
    unsigned unix_mode; /* default 0660 */
    char *unix_group;   /* NULL: the daemon's group */
    char *tcp_host;     /* NULL: no TCP listener; else a loopback address */
    unsigned tcp_port;
    size_t max_body;          /* default 1 MiB */
    size_t max_header;        /* default 16 KiB, at most 64 KiB */
    unsigned timeout_s;       /* a whole request, from the connection opening; default 10 */
    unsigned max_connections; /* default 256 */
    unsigned max_connections_per_peer; /* per uid (Unix) or address (TCP); default 64 */
    uint64_t head_timeout_ms;          /* a whole request head; default 5000 */
    size_t max_batch;                  /* requests in one /v1/check/batch, default 100000 */
    unsigned invoke_timeout_ms;        /* default 10000 */
    char *runner;                      /* NULL: beside wardend, else the installed one */
    wdd_tenant *tenants;
    size_t ntenants;
} wdd_config;

/* Parses data (a warden.yaml) without touching the file system: relative paths are resolved
 * against base_dir (absolute). Token files are not read. 0, or WD_EPOLICY with every problem
 * in diags (each "file:line:col: error WD-Cnnn: message"). */
int wdd_config_parse(wdd_config **out, const char *data, size_t len, const char *file,
                     const char *base_dir, wd_diagnostics *diags);
/* Reads and parses path, then reads each token file (which must be a regular file, 0600 or
 * stricter, owned by the daemon's user, holding at least 32 bytes after trimming one trailing
 * newline). */
int wdd_config_load(wdd_config **out, const char *path, wd_diagnostics *diags);
void wdd_config_free(wdd_config *cfg);

/* The tenant and role for a peer uid (Unix socket), or for a bearer token (TCP, compared in
 * constant time); NULL when none matches. */
const wdd_tenant *wdd_config_by_uid(const wdd_config *cfg, long uid, wdd_role *role);
const wdd_tenant *wdd_config_by_token(const wdd_config *cfg, const char *token, size_t len,
                                      wdd_role *role);
const char *wdd_role_name(wdd_role role);

#endif
