/* syscalls.h (internal): the mediation table of process plugins. Every system call the kernel
 * knows is classified here, by name: allowed, performed by the broker (user notification),
 * refused with an errno, or fatal. filter_process.c compiles the table into the seccomp program
 * a process plugin runs under, and the build fails when the kernel headers define a system call
 * the table does not classify (cmake/syscall_check.cmake), so a new kernel can never add a call
 * that plugins reach unexamined. */
#ifndef WD_SANDBOX_SYSCALLS_H
#define WD_SANDBOX_SYSCALLS_H

#include <stddef.h>

typedef enum {
    WD_SYS_ALLOW,  /* the kernel performs it; Landlock and the namespaces still apply */
    WD_SYS_NOTIFY, /* the broker performs it (SECCOMP_RET_USER_NOTIF) */
    WD_SYS_REFUSE, /* fails with err, never reaching the kernel */
    WD_SYS_KILL,   /* never legitimate for a plugin: the process is killed */
} wd_sys_class;

typedef struct {
    const char *name;
    wd_sys_class cls;
    int err;         /* REFUSE: the errno the program sees */
    const char *why; /* one line, for docs and `warden sandbox syscalls` */
    /* NULL, or when the call is allowed despite cls: the argument test the filter compiles
     * (filter_process.c has exactly one rule set per such entry). cls is what the other
     * argument values get. */
    const char *allow_if;
} wd_sys_entry;

/* The whole table, sorted by name; *count entries. */
const wd_sys_entry *wd_syscall_table(size_t *count);

/* The entry for a system call name, or NULL when the table does not classify it. */
const wd_sys_entry *wd_syscall_find(const char *name);

/* "allow", "notify", "refuse", "kill". */
const char *wd_syscall_class_name(wd_sys_class cls);

/* The names the kernel headers this build used define (asm/unistd.h, generated at build time);
 * each is classified, or the build failed. */
const char *const *wd_syscall_header_names(size_t *count);

#endif
