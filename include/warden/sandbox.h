/* sandbox.h: what the running kernel lets warden enforce.
 *
 * Lifecycle: wd_sandbox_probe() fills a wd_sandbox_caps; nothing to free. The probe changes
 * nothing in the calling process: namespace checks run in a short-lived child. */
#ifndef WARDEN_SANDBOX_H
#define WARDEN_SANDBOX_H

#include <stdbool.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    /* Landlock ABI version (1 filesystem, 2 refer, 3 truncate, 4 TCP bind/connect, 5 ioctl on
     * devices, 6 signal and abstract-socket scoping, 7 audit flags), or 0 when unavailable;
     * landlock_why then says why ("disabled at boot", "not available to this process"). */
    int landlock_abi;
    const char *landlock_why;
    bool seccomp_filter;     /* seccomp(2) filter mode with SECCOMP_RET_KILL_PROCESS */
    bool seccomp_active;     /* this process already runs under a seccomp filter */
    bool no_new_privs;       /* PR_SET_NO_NEW_PRIVS is supported */
    bool user_namespaces;    /* this process can create a user namespace (how warden runs as
                              * an ordinary user) */
    bool network_namespaces; /* a new network namespace can be created (as root, or inside a
                              * new user namespace) */
    bool root;               /* effective uid 0 */
} wd_sandbox_caps;

/* Probes the kernel. Always succeeds on Linux (a missing feature is a false field, not an
 * error); returns WD_EINVAL only for a NULL argument. */
WD_EXPORT int wd_sandbox_probe(wd_sandbox_caps *caps);

#ifdef __cplusplus
}
#endif

#endif
