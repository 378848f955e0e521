/* filter.h (internal): the seccomp programs plugins run under, compiled once per host
 * process with libseccomp and handed to each runner as a ready BPF program, so the runner
 * neither links libseccomp nor compiles anything on the cold path. */
#ifndef WD_SANDBOX_FILTER_H
#define WD_SANDBOX_FILTER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The program for a runner whose pid is pid (signals may go to that pid only), as raw struct
 * sock_filter instructions in *out (malloc'd, *len bytes). Returns 0, or -1 with a one-line
 * reason in why (256 bytes). Thread-safe. */
int wd_filter_program(pid_t pid, uint8_t **out, size_t *len, char *why);

/* The program of a process plugin (an unmodified program the runner executes), compiled from
 * the mediation table (syscalls.h, filter_process.c): path and address calls return
 * SECCOMP_RET_USER_NOTIF for the broker, refused calls their errno, anything unclassified or
 * from another architecture kills the process. Load it with SECCOMP_FILTER_FLAG_NEW_LISTENER.
 * Same contract as wd_filter_program; pid is accepted for symmetry, the program does not
 * depend on it. */
int wd_filter_process_program(pid_t pid, uint8_t **out, size_t *len, char *why);

/* The number of the system call name on this architecture as the process program places it
 * (libseccomp's, else the number of a call newer than libseccomp), or -1 when it has none. */
int wd_filter_syscall_number(const char *name);

/* A malloc'd copy of a compiled program (n instructions), or NULL with why (256 bytes) set to
 * not_compiled (when program is NULL: the reason it could not be compiled) or to the lack of
 * memory. Shared by both programs' accessors. */
struct sock_filter;
struct sock_filter *wd_filter_dup(const struct sock_filter *program, size_t n,
                                  const char *not_compiled, char *why);

#endif
