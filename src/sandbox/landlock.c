/* landlock.c: thin wrappers around the three Landlock system calls (landlock.h). */
#include "sandbox/landlock.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

/* struct landlock_ruleset_attr as of ABI 6; older kernels get a shorter prefix of it. */
struct ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

struct path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

#define LL_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)

int wd_landlock_abi(void)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_VERSION);
    return abi > 0 ? (int)abi : 0;
}

int wd_landlock_create(int abi, uint64_t *handled)
{
    uint64_t fs = (WD_LL_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */
    if (abi >= 2)
        fs |= WD_LL_REFER;
    if (abi >= 3)
        fs |= WD_LL_TRUNCATE;
    if (abi >= 5)
        fs |= WD_LL_IOCTL_DEV;
    struct ruleset_attr attr = {fs, 0, 0};
    size_t size = sizeof(uint64_t);
    if (abi >= 4) {
        attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
        size = 2 * sizeof(uint64_t);
    }
    if (abi >= 6) {
        attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
        size = sizeof(attr);
    }
    *handled = fs;
    return (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
}

int wd_landlock_add_path(int ruleset, int fd, uint64_t access)
{
    if (!access)
        return 0;
    struct path_beneath_attr rule = {access, fd};
    return (int)syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &rule, 0);
}

int wd_landlock_restrict(int ruleset)
{
    return (int)syscall(SYS_landlock_restrict_self, ruleset, 0);
}
