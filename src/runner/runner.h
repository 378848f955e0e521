/* runner.h (internal): the sandbox runner, warden-runner. It is the only code between the
 * host's posix_spawn and the plugin: it confines itself (confine.c), loads the verified library
 * from the descriptor it was given, and serves calls, reaching the host only through the broker
 * socket (services.c). It links nothing of libwarden but the protocol. */
#ifndef WD_RUNNER_H
#define WD_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/proto.h"
#include "warden/sys/plugin.h"

/* The broker socket is always this descriptor; every other one is closed at start. */
#define WD_RUNNER_SOCK 3
/* A network namespace to enter, when the setup says so; closed before any plugin code. */
#define WD_RUNNER_NETNS 4
#define WD_RUNNER_MAX_FS_RULES 256
#define WD_RUNNER_MAX_ARGS 66
/* A process plugin's DNS stub in its own network namespace: 127.0.0.53:53. */
#define WD_RUNNER_STUB_ADDRESS 0x7f000035u
#define WD_RUNNER_STUB_PORT 53

typedef struct {
    uint64_t access;
    const char *path; /* points into the setup message */
} wd_fs_rule;

typedef struct {
    uint64_t rlimit_as, rlimit_cpu, rlimit_nofile, rlimit_nproc, rlimit_fsize;
    uint64_t output_max;
    uint64_t landlock_min;
    uint64_t netns;
    uint64_t host_pid;
    uint64_t netns_fd;
    uint64_t uid, gid; /* a root host: who the plugin runs as */
    uint64_t process;  /* a process plugin: its protocol (0: a native plugin) */
    char *argv[WD_RUNNER_MAX_ARGS + 1];
    size_t argc;
    const char *config;  /* NUL-terminated copy */
    const void *seccomp; /* struct sock_filter[], seccomp_len bytes */
    size_t seccomp_len;
    wd_fs_rule fs[WD_RUNNER_MAX_FS_RULES];
    size_t fs_count;
} wd_runner_setup;

/* confine.c, called in this order: each returns 0, or -1 with a one-line reason in why (size
 * 256). The Landlock rules are planned (their directories opened) with the host's identity,
 * before the plugin's user exists; the ruleset is applied after the limits. *ruleset is -1
 * when the kernel has no Landlock. */
int wd_confine_landlock_plan(const wd_runner_setup *s, int *ruleset, char *why);
/* A process plugin's runner also gets *stub: its DNS stub's socket (127.0.0.53:53, loopback up),
 * made in the network namespace while the runner may still configure it, or -1. */
int wd_confine_namespaces(const wd_runner_setup *s, int *stub, char *why);
int wd_confine_rlimits(const wd_runner_setup *s, char *why);
int wd_confine_landlock(int *ruleset, char *why); /* closes it, *ruleset = -1 */
int wd_confine_seccomp(const wd_runner_setup *s, char *why);
/* A process plugin: loads the filter with a user-notification listener (*listener, for the
 * host's broker). */
int wd_confine_seccomp_listener(const wd_runner_setup *s, int *listener, char *why);

/* memory.c: telling a memory limit from a crash. The runner's malloc, calloc and realloc note
 * a failed allocation; a fatal signal (SIGSEGV, SIGBUS, SIGABRT) after one, or with the address
 * space within 1/16 of its limit, ends the runner with WD_RUNNER_EXIT_MEMORY. */
int wd_memory_watch(uint64_t address_space_limit, char *why);
/* A new call: allocation failures of earlier calls no longer count. */
void wd_memory_call_start(void);

/* services.c: the host table handed to the plugin, and the output of the current call. */
typedef struct wd_output {
    uint64_t total; /* bytes the plugin asked to write */
    uint64_t max;
    uint8_t chunk[WD_PROTO_MAX_DATA];
    size_t used;
    int overflow, broken;
} wd_output_state;

void wd_services_init(wd_host *host);
int wd_services_flush(wd_output_state *out);
/* Sends a message and waits for the REPLY; the descriptor it carried goes to *fd. */
int wd_services_ask(uint32_t type, int32_t a, const char *data, size_t len, int *fd);

/* The runner's receive buffer (shared: one call at a time). */
extern uint8_t wd_runner_buf[WD_PROTO_MAX_MSG];

#endif
