/* filter_process.c: the seccomp program of process plugins (filter.h), compiled from the
 * mediation table (syscalls.h). A call the table does not name, or that libseccomp cannot
 * place on this architecture, meets the default action and kills the process: the filter
 * fails closed when the table and the kernel disagree. */
#include "sandbox/filter.h"

#include <errno.h>
#include <linux/filter.h>
#include <pthread.h>
#include <sched.h>
#include <linux/fs.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/syscalls.h"

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

/* The kernel reads these arguments as int or unsigned int: only the low half counts, so the
 * filter compares it alone (an upper half set by the caller must not dodge a refusal). */
#define LOW32 0xffffffffu

/* System calls newer than the libseccomp this was built with, by number. Since Linux 5.1
 * (424) new calls have one number on every architecture but alpha. */
static const struct {
    const char *name;
    int nr;
} late[] = {
#if defined(__x86_64__) || defined(__aarch64__)
    {"cachestat", 451},         {"fchmodat2", 452},        {"map_shadow_stack", 453},
    {"futex_wake", 454},        {"futex_wait", 455},       {"futex_requeue", 456},
    {"statmount", 457},         {"listmount", 458},        {"lsm_get_self_attr", 459},
    {"lsm_set_self_attr", 460}, {"lsm_list_modules", 461}, {"mseal", 462},
    {"setxattrat", 463},        {"getxattrat", 464},       {"listxattrat", 465},
    {"removexattrat", 466},     {"open_tree_attr", 467},   {"file_getattr", 468},
    {"file_setattr", 469},
#endif
#if defined(__x86_64__)
    {"uretprobe", 335},         {"uprobe", 336},
#endif
};

int wd_filter_syscall_number(const char *name)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr != __NR_SCMP_ERROR)
        return nr >= 0 ? nr : -1; /* negative: a pseudo-number, absent here */
    for (size_t i = 0; i < sizeof(late) / sizeof(*late); i++)
        if (!strcmp(late[i].name, name))
            return late[i].nr;
    return -1;
}

static int add(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned n,
               const struct scmp_arg_cmp *cmp)
{
    return seccomp_rule_add_array(ctx, action, nr, n, cmp);
}

static int add_masked(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned arg, scmp_datum_t mask,
                      scmp_datum_t value)
{
    struct scmp_arg_cmp cmp = {
        .arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask, .datum_b = value};
    return add(ctx, action, nr, 1, &cmp);
}

/* action for the 32-bit values of arg with the bits in mask equal to prefix and none of
 * values[]: libseccomp has no "otherwise", so the complement of a set is spelt out as the
 * subtrees of a binary trie that hold no listed value (at most 32 rules per value). */
static int add_outside_from(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned arg,
                            uint32_t mask, uint32_t prefix, int bit, const uint32_t *values,
                            size_t n)
{
    int any = 0;
    for (size_t i = 0; i < n && !any; i++)
        any = (values[i] & mask) == prefix;
    if (!any)
        return add_masked(ctx, action, nr, arg, mask, prefix);
    if (bit < 0)
        return 0; /* exactly a listed value */
    uint32_t b = 1u << bit;
    int rc = add_outside_from(ctx, action, nr, arg, mask | b, prefix, bit - 1, values, n);
    return rc ? rc
              : add_outside_from(ctx, action, nr, arg, mask | b, prefix | b, bit - 1, values, n);
}

/* in for the listed 32-bit values of arg, out for every other value. */
static int add_split(scmp_filter_ctx ctx, int nr, unsigned arg, const uint32_t *values, size_t n,
                     uint32_t in, uint32_t out)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++)
        rc = add_masked(ctx, in, nr, arg, LOW32, values[i]);
    return rc ? rc : add_outside_from(ctx, out, nr, arg, 0, 0, 31, values, n);
}

#define COUNT(a) (sizeof(a) / sizeof(*(a)))

/* One function per table entry with an allow_if; refused is what the table says the other
 * argument values get. */
typedef int (*arg_rules)(scmp_filter_ctx ctx, int nr, uint32_t refused);

static int sendto_rules(scmp_filter_ctx ctx, int nr, uint32_t refused)
{
    struct scmp_arg_cmp no_address = SCMP_A4(SCMP_CMP_EQ, 0, 0);
    struct scmp_arg_cmp address = SCMP_A4(SCMP_CMP_NE, 0, 0);
    int rc = add(ctx, SCMP_ACT_ALLOW, nr, 1, &no_address);
    return rc ? rc : add(ctx, refused, nr, 1, &address);
}

/* AF_INET and AF_INET6 (their sockets live in the plugin's own empty network namespace, and
 * every connect is the broker's); AF_UNIX streams only (their connect is the broker's, and it
 * refuses them): a unix datagram socket could sendmsg to any socket file of the host, which no
 * namespace separates. The type is arg 1's low four bits (the rest are SOCK_NONBLOCK and
 * SOCK_CLOEXEC). */
static int socket_rules(scmp_filter_ctx ctx, int nr, uint32_t refused)
{
    static const uint32_t families[] = {AF_UNIX, AF_INET, AF_INET6};
    int rc = add_masked(ctx, SCMP_ACT_ALLOW, nr, 0, LOW32, AF_INET);
    if (!rc)
        rc = add_masked(ctx, SCMP_ACT_ALLOW, nr, 0, LOW32, AF_INET6);
    for (uint32_t type = 0; !rc && type < 16; type++) {
        struct scmp_arg_cmp cmp[2] = {
            {.arg = 0, .op = SCMP_CMP_MASKED_EQ, .datum_a = LOW32, .datum_b = AF_UNIX},
            {.arg = 1, .op = SCMP_CMP_MASKED_EQ, .datum_a = 0xf, .datum_b = type}};
        rc = add(ctx, type == SOCK_STREAM ? SCMP_ACT_ALLOW : refused, nr, 2, cmp);
    }
    return rc ? rc : add_outside_from(ctx, refused, nr, 0, 0, 0, 31, families, COUNT(families));
}

/* A connected unix pair (a stream or seqpacket: sendmsg to an address is refused on either); a
 * datagram pair could sendmsg to any socket file of the host. */
static int socketpair_rules(scmp_filter_ctx ctx, int nr, uint32_t refused)
{
    static const uint32_t families[] = {AF_UNIX};
    int rc = 0;
    for (uint32_t type = 0; !rc && type < 16; type++) {
        struct scmp_arg_cmp cmp[2] = {
            {.arg = 0, .op = SCMP_CMP_MASKED_EQ, .datum_a = LOW32, .datum_b = AF_UNIX},
            {.arg = 1, .op = SCMP_CMP_MASKED_EQ, .datum_a = 0xf, .datum_b = type}};
        rc = add(ctx, type == SOCK_STREAM || type == SOCK_SEQPACKET ? SCMP_ACT_ALLOW : refused, nr,
                 2, cmp);
    }
    return rc ? rc : add_outside_from(ctx, refused, nr, 0, 0, 0, 31, families, COUNT(families));
}

static int ioctl_rules(scmp_filter_ctx ctx, int nr, uint32_t refused)
{
    /* Terminal input injection; inode flags (immutable, append-only...) set on a descriptor
     * the broker opened for reading, past every decision. */
    static const uint32_t requests[] = {TIOCSTI, TIOCLINUX, FS_IOC_SETFLAGS, FS_IOC32_SETFLAGS,
                                        FS_IOC_FSSETXATTR};
    return add_split(ctx, nr, 1, requests, COUNT(requests), refused, SCMP_ACT_ALLOW);
}

static int prctl_rules(scmp_filter_ctx ctx, int nr, uint32_t refused)
{
    static const uint32_t options[] = {PR_SET_SECCOMP};
    return add_split(ctx, nr, 0, options, COUNT(options), refused, SCMP_ACT_ALLOW);
}

static int prlimit64_rules(scmp_filter_ctx ctx, int nr, uint32_t refused)
{
    static const uint32_t self[] = {0};
    return add_split(ctx, nr, 0, self, COUNT(self), SCMP_ACT_ALLOW, refused);
}

/* clone reads its flags from the low half (the exit signal shares it, which is why
 * CLONE_NEWTIME, 0x80, is no flag here). One refusing rule per namespace bit, and the
 * allowing rule wants them all clear: together they cover every value once. */
static int clone_rules(scmp_filter_ctx ctx, int nr, uint32_t refused)
{
    /* CLONE_PARENT too: a child of the host would be one the host never reaps. */
    static const uint32_t ns[] = {CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                  CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET, CLONE_PARENT};
    uint32_t all = 0;
    int rc = 0;
    for (size_t i = 0; !rc && i < COUNT(ns); i++) {
        all |= ns[i];
        rc = add_masked(ctx, refused, nr, 0, ns[i], ns[i]);
    }
    return rc ? rc : add_masked(ctx, SCMP_ACT_ALLOW, nr, 0, all, 0);
}

static const struct {
    const char *name;
    arg_rules rules;
} by_argument[] = {
    {"clone", clone_rules},           {"ioctl", ioctl_rules},   {"prctl", prctl_rules},
    {"prlimit64", prlimit64_rules},   {"sendto", sendto_rules}, {"socket", socket_rules},
    {"socketpair", socketpair_rules},
};

static uint32_t action_of(const wd_sys_entry *e)
{
    switch (e->cls) {
    case WD_SYS_ALLOW:
        return SCMP_ACT_ALLOW;
    case WD_SYS_NOTIFY:
        return SCMP_ACT_NOTIFY;
    case WD_SYS_REFUSE:
        return SCMP_ACT_ERRNO((uint16_t)e->err);
    case WD_SYS_KILL:
        break;
    }
    return SCMP_ACT_KILL_PROCESS;
}

static arg_rules rules_for(const char *name)
{
    for (size_t i = 0; i < COUNT(by_argument); i++)
        if (!strcmp(by_argument[i].name, name))
            return by_argument[i].rules;
    return NULL;
}

/* The table and the argument rules must name the same calls: a rule set nobody asks for, or
 * an allow_if nothing compiles, is a bug the build of the program reports. */
static int consistent(const wd_sys_entry *t, size_t n, char *why, size_t whylen)
{
    for (size_t i = 0; i < n; i++)
        if (!t[i].allow_if != !rules_for(t[i].name)) {
            snprintf(why, whylen, "seccomp: the mediation table and the filter disagree on %s",
                     t[i].name);
            return -1;
        }
    for (size_t i = 0; i < COUNT(by_argument); i++) {
        const wd_sys_entry *e = wd_syscall_find(by_argument[i].name);
        if (!e || !e->allow_if) {
            snprintf(why, whylen, "seccomp: the mediation table and the filter disagree on %s",
                     by_argument[i].name);
            return -1;
        }
    }
    return 0;
}

static int build(scmp_filter_ctx ctx, const wd_sys_entry *t, size_t n, char *why, size_t whylen)
{
    for (size_t i = 0; i < n; i++) {
        const wd_sys_entry *e = &t[i];
        int nr = wd_filter_syscall_number(e->name);
        if (nr < 0 || e->cls == WD_SYS_KILL)
            continue; /* the default action */
        arg_rules rules = rules_for(e->name);
        int rc = rules ? rules(ctx, nr, action_of(e)) : add(ctx, action_of(e), nr, 0, NULL);
        if (rc) {
            snprintf(why, whylen, "seccomp: cannot add the rule for %s: %s", e->name,
                     strerror(-rc));
            return -1;
        }
    }
    return 0;
}

static struct sock_filter *program;
static size_t program_len; /* instructions */
static char program_why[256];

static int export(scmp_filter_ctx ctx, struct sock_filter **out, size_t *count)
{
    int mfd = memfd_create("warden-filter-process", MFD_CLOEXEC);
    if (mfd < 0)
        return -errno;
    int rc = seccomp_export_bpf(ctx, mfd);
    off_t size = rc ? 0 : lseek(mfd, 0, SEEK_END);
    if (!rc && (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
                size > (off_t)(BPF_MAXINSNS * sizeof(struct sock_filter))))
        rc = -EPROTO;
    struct sock_filter *p = rc ? NULL : malloc((size_t)size);
    if (!rc && (!p || pread(mfd, p, (size_t)size, 0) != size))
        rc = -EIO;
    close(mfd);
    if (rc) {
        free(p);
        return rc;
    }
    *out = p;
    *count = (size_t)size / sizeof(struct sock_filter);
    return 0;
}

static void compile_once(void)
{
    size_t n;
    const wd_sys_entry *t = wd_syscall_table(&n);
    if (consistent(t, n, program_why, sizeof(program_why)) != 0)
        return;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) {
        snprintf(program_why, sizeof(program_why), "seccomp: cannot create a filter");
        return;
    }
    /* Another architecture's numbers mean other calls: kill rather than guess. A binary tree
     * keeps the kernel's per-number cache build cheap (see filter.c). */
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (!rc)
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (rc)
        snprintf(program_why, sizeof(program_why),
                 "seccomp: cannot set the filter's attributes: %s", strerror(-rc));
    else if (build(ctx, t, n, program_why, sizeof(program_why)) == 0) {
        rc = export(ctx, &program, &program_len);
        if (rc)
            snprintf(program_why, sizeof(program_why), "seccomp: cannot compile the filter: %s",
                     strerror(-rc));
    }
    seccomp_release(ctx);
}

int wd_filter_process_program(pid_t pid, uint8_t **out, size_t *len, char *why)
{
    (void)pid; /* the program is the same for every runner: signals are scoped by Landlock */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, compile_once);
    struct sock_filter *copy = wd_filter_dup(program, program_len, program_why, why);
    if (!copy)
        return -1;
    *out = (uint8_t *)copy;
    *len = program_len * sizeof(*copy);
    return 0;
}
