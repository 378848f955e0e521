/* instance_int.h (internal): what the files of a plugin instance share. instance.c prepares an
 * instance (the sealed library, the environment, the setup) and frees it; spawn.c starts,
 * reaps and classifies the runner process; call.c runs the call loop that serves the broker.
 * They share the instance structure and nothing else. */
#ifndef WD_SANDBOX_INSTANCE_INT_H
#define WD_SANDBOX_INSTANCE_INT_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "sandbox/broker.h"
#include "sandbox/mediate.h"
#include "warden/audit.h"
#include "sandbox/proto.h"
#include "util/buf.h"
#include "warden/contract.h"
#include "warden/integrity.h"
#include "warden/policy.h"
#include "warden/sandbox.h"

#define DEFAULT_TIMEOUT_MS 10000u
#define DEFAULT_MEMORY (256u << 20)
#define DEFAULT_OPEN_FILES 64u
#define DEFAULT_PROCESSES 64u
#define DEFAULT_FILE_SIZE (64u << 20)
#define DEFAULT_OUTPUT (1u << 20)
#define MAX_LOGS_PER_CALL 64u
#define MAX_REQUESTS_PER_CALL 4096u /* each is an audit record */
#define INPUT_MAX (64u << 20)
#define RETIRE_GRACE_MS 10

struct wd_instance {
    const wd_contract *contract;
    wd_sandbox_options opts;
    char *runner;
    int memfd; /* the verified library, sealed */
    wd_broker broker;
    char **env;  /* the allowed KEY=VALUE entries, copied at start (the broker's source) */
    char **envp; /* the runner's environment: those, minus loader-sensitive ones */
    uint8_t *setup;
    size_t setup_len;
    uint64_t timeout_ms, output_max;
    uint64_t cpu_limit_s; /* RLIMIT_CPU given to runners */
    uint64_t last_cpu_s;  /* CPU seconds the last reaped runner used */
    pid_t pid;
    pid_t retired; /* a runner told to stop, not yet reaped */
    int sock;
    unsigned served;
    char *describe;
    wd_buf notes;
    wd_policy *held; /* opts.policy, referenced for the instance's lifetime */
    /* The runner, opened (O_PATH) and checked once at start: a regular file that only root or
     * the host's user can change, in a directory the same holds for. spawn.c executes this
     * descriptor, never the path again. -1: the runner did not exist at start. */
    int runner_fd;
    wd_protected *own; /* warden's own files (wd_protected_new_own), never changed by a plugin */
    /* A process plugin (process.c): its protocol (0: native), what the runner executes (the
     * interpreter or the program's verified copy), that copy and the path the plugin knows it
     * by, the running program's listener and pipes, its DNS stub, the mediator. */
    int process;
    int exec_fd, program_fd;
    char *program_path;
    char *python_load; /* a Python handler's load line (process_python.c), or NULL */
    size_t python_load_len;
    uint64_t python_seq; /* the number of the request the running handler answers next */
    int listener, std_in, std_out, std_err;
    struct wd_dns_stub *stub;
    wd_mediator med;
    unsigned runtime_reads;     /* reads beneath runtime roots in the last call */
    struct wd_mcp_session *mcp; /* protocol mcp: the client's state (process_mcp.c) */
    int stdio_child[3];         /* spawn.c: the runner's ends of the pipes, during a spawn */
    uint8_t buf[WD_PROTO_MAX_MSG];
};

/* ---- the runner process (spawn.c) -------------------------------------------------------- */

/* Starts a runner and hands it its setup. Returns 0 or a WD_S_* code (res->message says why). */
int wd_runner_spawn(wd_instance *in, wd_call_result *res);

/* Ends the current runner (grace_ms to exit on its own) and forgets it. Returns 1 when it
 * exited on its own (*status is then its wait status). */
int wd_runner_reap(wd_instance *in, int *status, int grace_ms);

/* A retired runner still finishing shutdown(): reaped within grace_ms, then killed. */
void wd_runner_finish_retired(wd_instance *in, int grace_ms);

/* Asks a healthy runner to shut its plugin down; nothing of it outlives a short grace. */
void wd_runner_retire(wd_instance *in);

/* How a runner that was reaped (own: it exited by itself, with wait status `status`) ended,
 * as a WD_S_* code and a message. */
int wd_runner_outcome(const wd_instance *in, int own, int status, char *msg, size_t size);

/* ---- call.c: what process_call.c shares ---------------------------------------------------- */

/* One BROKER_DECISION record's details (flags < 0: none). */
json_t *wd_call_decision_details(const char *op, long flags, const wd_broker_answer *ans);
int wd_call_audit(wd_instance *in, const char *type, wd_severity sev, const char *corr,
                  json_t *details);
/* A PLUGIN_LOG record (level 0-3); last: say further lines of the call are dropped. */
void wd_call_log(wd_instance *in, const char *corr, int level, const char *text, size_t len,
                 int last);

/* ---- instance.c -------------------------------------------------------------------------- */

/* Test-only fault switch (never exported, never set by warden itself): the broker answers
 * every notification of this instance's process plugin "continue", as a broken broker would.
 * The Landlock backstop test shows nothing outside the granted roots is reachable then. */
void wd_instance_fault_continue_all(wd_instance *in);

/* Copies src (a library or a program: what names it in messages) into a sealed memory file,
 * hashing what was copied: nothing else can write the copy, so what is hashed is what will be
 * mapped or executed. 0 with *out (rewound) and digest set, or a WD_E* code. */
int wd_instance_seal(int src, const char *what, int *out, uint8_t digest[32]);

/* Adds a line to the instance's notes (once). */
void wd_instance_note(wd_instance *in, const char *text);

#endif
