/* process.h (internal): process plugins (process.c prepares and starts them, process_call.c
 * runs a call). */
#ifndef WD_SANDBOX_PROCESS_H
#define WD_SANDBOX_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "warden/contract.h"
#include "warden/sandbox.h"

struct wd_instance;

/* Whether a protocol is one request line in, one answer line out, on a warm process
 * (json-lines, and the mcp and python protocols built on it) rather than stdio's one process
 * per call. */
static inline int wd_process_one_line(int protocol)
{
    return protocol == WD_PROTOCOL_JSON_LINES || protocol == WD_PROTOCOL_MCP ||
           protocol == WD_PROTOCOL_PYTHON;
}

/* The protocol's name as contracts write it. */
static inline const char *wd_process_protocol_name(int protocol)
{
    return protocol == WD_PROTOCOL_JSON_LINES ? "json-lines"
           : protocol == WD_PROTOCOL_MCP      ? "mcp"
           : protocol == WD_PROTOCOL_PYTHON   ? "python"
                                              : "stdio";
}

/* Whether a kernel release string ("6.18.44-fc", "5.14.0-rc1") is at least major.minor; 0 for
 * anything that does not start with two numbers and a dot (probe.c). */
int wd_kernel_at_least(const char *release, unsigned major, unsigned minor);

/* At instance start: the program's verified copy, the interpreter, the runtime roots, the
 * setup's process entries. 0 or a WD_E* code (wd_error_last says why). */
int wd_process_prepare(struct wd_instance *in);
void wd_process_release(struct wd_instance *in);

/* The pieces of a prepare that process_python.c shares: a runtime root; the base roots, the
 * contract's and the interpreter's (interp_real: NULL for none); the setup's Landlock rules,
 * protocol and argv; src copied into the sealed program copy (compared with want unless NULL or
 * all zero); the path a descriptor was opened at. 0 or a WD_E* code. */
int wd_process_add_root(struct wd_instance *in, const char *path);
int wd_process_roots(struct wd_instance *in, const char *interp_real);
int wd_process_setup(struct wd_instance *in, const char *const *argv, size_t argc);
int wd_process_seal(struct wd_instance *in, int src, const uint8_t *want);
int wd_process_fd_real(int fd, char *out, size_t size);

/* process_python.c: a Python handler (runtime: python). prepare: the handler tree read and
 * checked, the load message built, the bootstrap sealed as the program, the interpreter's
 * argv. load: the first exchange with a started instance (the handler imported, checked and
 * described): 0 or a WD_S_* code (WD_S_LOAD, WD_S_ASYNC, WD_S_INIT...). answer: a call's answer
 * line turned into the output (0) or the handler's failure (a WD_S_* code, res->message). */
int wd_python_prepare(struct wd_instance *in);
int wd_python_load(struct wd_instance *in, wd_call_result *res, uint64_t deadline);
int wd_python_answer(struct wd_instance *in, wd_call_result *res, wd_buf *out);

/* Spawns the runner and takes the listener it hands over. 0 or a WD_S_* code. */
int wd_process_start(struct wd_instance *in, wd_call_result *res, uint64_t deadline);

/* Forgets the running program's pipes and listener (the runner is reaped by spawn.c). */
void wd_process_forget(struct wd_instance *in);

/* One call: the input in, the output into out, the broker serving the program meanwhile.
 * 0 (res->status is the exit status, or 0 for a json-lines answer) or a WD_S_* code with
 * res->message set. */
int wd_process_call(struct wd_instance *in, const char *input, size_t len, uint64_t deadline,
                    wd_call_result *res, wd_buf *out);

/* A conversation's protocol: called with each line the program writes on stdout (without its
 * '\n'). Returns 0 to go on, 1 when the line is the answer awaited, or a WD_S_* code with msg
 * set. What it appends to reply is written to the program's stdin. */
typedef int (*wd_process_line_fn)(void *ctx, const char *line, size_t len, wd_buf *reply, char *msg,
                                  size_t msg_size);

/* Writes send (whole lines) to the running program's stdin and hands each line it writes to fn
 * until fn has its answer, the broker serving the program meanwhile, within the deadline. rx
 * carries what the program wrote after an answer to the next conversation (which reads it
 * first). 0, or a WD_S_* code with res->message set (the program is then reaped). */
int wd_process_converse(struct wd_instance *in, const char *send, size_t len, wd_buf *rx,
                        wd_process_line_fn fn, void *ctx, uint64_t deadline, wd_call_result *res);

/* Closes a warm program's input and gives it a moment to end (then spawn.c kills it). */
void wd_process_retire(struct wd_instance *in);

#endif
