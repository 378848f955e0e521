/* sandbox.h: what the running kernel lets warden enforce, and plugins run inside it.
 *
 * Probe: wd_sandbox_probe() fills a wd_sandbox_caps; nothing to free. The probe changes nothing
 * in the calling process: namespace checks run in a short-lived child.
 *
 * Instances: wd_instance_start() spawns the runner for one contract (docs/sandbox.md says what
 * confines it) -> wd_instance_call() any number of times from one thread at a time (a warm
 * instance serves up to max_calls calls, then is replaced; a contained failure replaces it
 * too) -> wd_instance_stop(). The contract (and the audit log) must outlive the instance.
 * A runner dies with the thread that spawned it (PR_SET_PDEATHSIG follows the thread): a host
 * that calls a warm instance from several threads should spawn it (the first call, or
 * wd_instance_prepare) from a thread that lives as long as the instance.
 * Every broker request gets the one final verdict (lockdown > protected > policy > one-shot
 * approval) and is audited under the call's correlation id; so is every call and every failure
 * (WD-Snnn). warden's own files (its programs, the runner, every file the host has mapped) are
 * never changed by a plugin, whatever its policy grants. */
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

/* Whether process plugins (runtime: process) can run here: the kernel must hand their calls to
 * the broker (seccomp user notification) and let it inject descriptors in one step (Linux
 * 5.14). 1, or 0 with *why (may be NULL) saying what is missing; wd_instance_start refuses a
 * process plugin then (WD-S015). */
WD_EXPORT int wd_sandbox_mediation(const char **why);

struct wd_contract;
struct wd_audit;
struct wd_protected;
struct wd_watch;
typedef struct wd_instance wd_instance;

typedef struct {
    unsigned version;
    /* The runner executable; NULL: $WARDEN_RUNNER, else the installed one. */
    const char *runner_path;
    /* Every broker decision, call and failure is recorded here when set. */
    struct wd_audit *audit;
    /* Lowest Landlock ABI to run under: -1 (default) requires 1; 0 runs without Landlock
     * (said in the instance's notes). A kernel below it refuses the call (WD-S001). */
    int min_landlock_abi;
    /* Require a new network namespace (default 1). */
    int require_netns;
    /* Paths (files or directories) the broker never grants and Landlock never exposes, beyond
     * the contract, its policy and its library, which are always protected. */
    const char *const *protected_paths;
    size_t protected_count;
    /* Wall-clock limit of one call; 0: the policy's timeout, else 10 s. */
    uint64_t timeout_ms;
    /* Calls one instance serves before it is replaced: 0 or 1 a fresh process per call. */
    unsigned max_calls;
    /* Where environment values come from (NULL-terminated KEY=VALUE); NULL: environ. */
    const char *const *environ;
    /* The policy the broker decides by; NULL: the contract's own. The instance holds a
     * reference, so the caller may release its own at once. */
    const struct wd_policy *policy;
    /* Approvals (wd_override_approve) the broker may use: a denied open, connect or getenv
     * whose operation (the contract's id, the verb, the target) a human approved is let
     * through once, and every denial names its operation id. NULL: no overrides. */
    const char *overrides_dir;
    /* Globs beneath which the plugin may never write, create or delete (warden's own files),
     * whatever its policy grants; Landlock never exposes change there either. NULL: none. */
    const struct wd_protected *protect_changes;
    /* The integrity watch (version 2): once it reports lockdown, every broker request is
     * denied with its reason, including the requests of a call already running. NULL: none. */
    const struct wd_watch *watch;
} wd_sandbox_options;

/* Version 1 is the same without watch. */
#define WD_SANDBOX_OPTIONS_VERSION 2
#define WD_SANDBOX_OPTIONS_INIT                                                                    \
    {                                                                                              \
        WD_SANDBOX_OPTIONS_VERSION, NULL, NULL, -1, 1, NULL, 0, 0, 1, NULL, NULL, NULL, NULL, NULL \
    }

typedef struct {
    int ok;               /* 1: execute() returned 0 and nothing was contained */
    const char *code;     /* "" or the failure's id: "WD-S003" */
    char message[512];    /* what happened, one line */
    int status;           /* execute()'s return value (when it returned) */
    char *output;         /* what the plugin wrote (NUL-terminated, malloc'd) */
    size_t output_len;    /* its length */
    uint64_t duration_ns; /* wall clock of the call, spawning included */
    unsigned requests;    /* broker requests during the call */
    unsigned denied;      /* of which refused */
    char correlation_id[40];
    int failure; /* 0, or code's number (3 for "WD-S003"): what callers branch on */
} wd_call_result;

/* Checks the library against the contract, copies the verified bytes to a sealed memory file
 * and starts an instance (the runner is spawned on the first call, or at once when warm).
 * Returns WD_OK, WD_EPOLICY/WD_ENOTFOUND (the library, WD-L ids), WD_EPERM (WD-S013: a runner
 * that someone other than root or this user could change), WD_EINVAL, WD_ENOMEM. */
WD_EXPORT int wd_instance_start(wd_instance **out, const struct wd_contract *contract,
                                const wd_sandbox_options *opts);
/* Runs one call. Returns WD_OK when the plugin succeeded; otherwise a negative code with the
 * failure in result (code, message) and in wd_error_last(): WD_ESANDBOX for a contained
 * failure or an error execute() returned. result->output is set either way; release it with
 * wd_call_result_clear(). correlation_id NULL: a fresh UUIDv4. */
WD_EXPORT int wd_instance_call(wd_instance *inst, const char *input, size_t len,
                               const char *correlation_id, wd_call_result *result);
/* Starts the runner now rather than at the first call (a warm instance ready to serve, or to
 * read describe()). 0, or WD_ESANDBOX with result's code and message set as for a call. */
WD_EXPORT int wd_instance_prepare(wd_instance *inst, wd_call_result *result);
/* As wd_instance_prepare, under the caller's correlation id (NULL: a fresh one): what starting
 * records (an MCP server's handshake, PLUGIN_START) carries that id, so a call that had to
 * start its instance has one id for all of it. */
WD_EXPORT int wd_instance_prepare_as(wd_instance *inst, const char *correlation_id,
                                     wd_call_result *result);
/* 1 while the instance's runner is running (a warm instance ready to serve its next call
 * without a spawn), else 0. */
WD_EXPORT int wd_instance_running(const wd_instance *inst);
/* describe() of the plugin ("" until the runner has started once). */
WD_EXPORT const char *wd_instance_describe(const wd_instance *inst);
/* An MCP server plugin (protocol: mcp): the tools it listed when it started, as a JSON array
 * of {name, description, inputSchema} (checked and bounded; "" until it has started), or NULL
 * for any other plugin. A call's input is {"tool": NAME, "arguments": {...}}; its output the
 * server's tools/call result. */
WD_EXPORT const char *wd_instance_tools(const wd_instance *inst);
/* Protections the instance could not apply, one line each ("" when none). */
WD_EXPORT const char *wd_instance_notes(const wd_instance *inst);
WD_EXPORT void wd_instance_stop(wd_instance *inst);
WD_EXPORT void wd_call_result_clear(wd_call_result *result);

#ifdef __cplusplus
}
#endif

#endif
