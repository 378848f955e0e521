/* broker.h (internal): the host side of wd_host_open / wd_host_connect / wd_host_getenv.
 *
 * The broker runs in the host, outside the sandbox, and is the only way a plugin reaches what
 * its policy grants beyond the directories Landlock exposes. It decides each request against
 * the compiled policy, resolves it itself (never trusting the plugin's idea of a path or an
 * address), re-decides what it actually resolved, and hands back a descriptor or a reason. */
#ifndef WD_SANDBOX_BROKER_H
#define WD_SANDBOX_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "warden/policy.h"

struct wd_audit;
struct wd_protected;
struct wd_watch;

typedef struct {
    const wd_policy *policy; /* NULL: nothing is granted */
    int pure;                /* a policy plugin: every request is refused */
    char **protected_paths;  /* resolved absolute paths, never granted */
    size_t protected_count;
    /* Optional: globs beneath which nothing is written, created or deleted (warden's own
     * files), whatever the policy grants; Landlock never exposes change beneath them either. */
    const struct wd_protected *protect_changes;
    /* Optional, applied as protect_changes: warden's own programs and libraries (the instance
     * builds it with wd_protected_new_own, whoever started it). */
    const struct wd_protected *protect_own;
    const char *const *environ; /* KEY=VALUE, NULL-terminated */
    int timeout_ms;             /* longest a connect may take */
    /* Optional: a denied request whose operation (component, verb, target: the ids
     * wd_operation_id gives) a human approved is let through once, and a denial names its
     * operation so it can be approved. NULL overrides: none. */
    const char *overrides;
    const char *component;
    struct wd_audit *audit;
    /* Optional: the integrity watch; while it reports lockdown every request is denied. */
    const struct wd_watch *watch;
    /* Process plugins: trees the contract declares its runtime needs (absolute, normalised),
     * readable and executable where no rule decides (an explicit deny still refuses, and
     * lockdown and private paths outrank them as everything else). */
    char **runtime_roots;
    size_t runtime_count;
} wd_broker;

typedef struct {
    int fd;            /* the descriptor handed over, or -1 */
    int err;           /* 0, or the errno the plugin sees */
    int allowed;       /* the decision */
    const char *value; /* getenv: the value (points into environ) */
    char target[4400]; /* what was decided, as resolved ("/srv/a/b", "1.2.3.4:443") */
    /* Why: the rule that decided, or what refused it. It never repeats the target: a record
     * carries the target beside it, and the plugin is told "WHAT TARGET: REASON". */
    char reason[768];
    char override_op[33]; /* the approval this request used, if any */
    /* The verb a refusal is about ("read", "write", "create", "open", "env"); "" when the
     * reason still names the target itself. */
    char what[16];
    /* Allowed because it lies beneath a runtime root (no rule decided): counted in the call's
     * record rather than recorded one by one. */
    int runtime;
} wd_broker_answer;

void wd_broker_open(const wd_broker *b, const char *path, int flags, wd_broker_answer *ans);
/* As wd_broker_open, deciding the accesses in need (WD_ACCESS_* bits) rather than those the
 * flags imply: an exec opens O_PATH and needs execute. */
void wd_broker_open_for(const wd_broker *b, const char *path, int flags, unsigned need,
                        wd_broker_answer *ans);
void wd_broker_connect(const wd_broker *b, const char *name, unsigned port, wd_broker_answer *ans);
/* Whether name may be resolved at all (any port): what the DNS stub answers a process plugin. */
void wd_broker_name(const wd_broker *b, const char *name, wd_broker_answer *ans);
void wd_broker_getenv(const wd_broker *b, const char *key, wd_broker_answer *ans);

/* Whether path (absolute, normalised) is, or lies under, a protected path. */
int wd_broker_is_protected(const wd_broker *b, const char *path);

/* Whether an address is loopback, link-local, unspecified, multicast or broadcast: never
 * reached through a name, only through a rule that names the address itself. */
int wd_broker_address_is_local(const void *sockaddr);

/* ---- Landlock plan ----------------------------------------------------------------------- */
typedef struct {
    char *path;
    uint64_t access; /* WD_LL_* bits */
} wd_fs_grant;

/* The directories (or files) the kernel may expose directly: every allow rule that names a
 * whole subtree (no wildcard but a final "**"), with its accesses, minus any access a deny rule
 * could take away anywhere inside it, and never a subtree that holds a protected path. Finer
 * rules are left to the broker. Returns the count (malloc'd array in *out), or -1. */
long wd_broker_plan_fs(const wd_broker *b, wd_fs_grant **out);
void wd_broker_plan_free(wd_fs_grant *grants, size_t n);

#endif
