/* process_call.c: one call of a process plugin (process.h): the input on the program's stdin,
 * its stdout the output, its stderr the call's log lines, and the broker answering every
 * mediated call meanwhile, all in one poll loop bounded by the call's deadline. The same loop
 * carries a conversation (wd_process_converse): lines written to the program and each line it
 * answers handed to the protocol (an MCP server's, process_mcp.c), until it has its answer. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/codes.h"
#include "sandbox/dns_stub.h"
#include "sandbox/instance_int.h"
#include "sandbox/process.h"
#include "sandbox/process_mcp.h"
#include "util/timeutil.h"

enum { CHUNK = 65536, LOG_LINE = 4096, GRACE_MS = 100 };

typedef struct {
    wd_instance *in;
    wd_call_result *res;
    wd_buf *out;
    const char *input;
    size_t len, sent;
    int code;
    unsigned logs;
    char err[LOG_LINE + 1];
    size_t err_len;
    int out_eof, exited, answered;
    int newline_due; /* json-lines: the input's line end is still to be written */
    /* A conversation: every stdout line goes to on_line; what it queues in tx is written. */
    wd_process_line_fn on_line;
    void *line_ctx;
    wd_buf *rx; /* what came of the current line, and anything after the answer */
    wd_buf tx;
    size_t tx_off;
    int done;
} run;

static int failed(run *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int failed(run *r, int code, const char *fmt, ...)
{
    if (r->code)
        return r->code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->res->message, sizeof(r->res->message), fmt, ap);
    va_end(ap);
    r->code = code;
    return code;
}

/* write(2) to the program's stdin with SIGPIPE held back: a program that closed its input (or
 * died) makes it fail with EPIPE, never kill the host; a SIGPIPE left pending is taken. */
static ssize_t pipe_write(int fd, const void *data, size_t len)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t n = write(fd, data, len);
    int e = errno;
    if (n < 0 && e == EPIPE && !sigismember(&old, SIGPIPE)) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return n;
}

static int record(void *ctx, const char *op, uint64_t flags, const wd_broker_answer *ans)
{
    run *r = ctx;
    /* Without a log there is nothing to record: the details would be built only to be freed. */
    if (!r->in->opts.audit)
        return 0;
    return wd_call_audit(r->in, "BROKER_DECISION",
                         ans->allowed ? WD_SEVERITY_LOW : WD_SEVERITY_MEDIUM,
                         r->res->correlation_id, wd_call_decision_details(op, (long)flags, ans));
}

/* A line the program wrote to stderr: a PLUGIN_LOG record (at most MAX_LOGS_PER_CALL). */
static void log_line(run *r)
{
    if (!r->err_len)
        return;
    r->err[r->err_len] = 0;
    r->err_len = 0;
    if (++r->logs > MAX_LOGS_PER_CALL)
        return;
    wd_call_log(r->in, r->res->correlation_id, 1, r->err, strlen(r->err),
                r->logs == MAX_LOGS_PER_CALL);
}

static void read_stderr(run *r)
{
    char chunk[CHUNK];
    ssize_t n = read(r->in->std_err, chunk, sizeof(chunk));
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            log_line(r);
            close(r->in->std_err);
            r->in->std_err = -1;
        }
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (chunk[i] == '\n' || r->err_len == LOG_LINE) {
            log_line(r);
            if (chunk[i] == '\n')
                continue;
        }
        r->err[r->err_len++] = chunk[i];
    }
}

/* A conversation: hands every whole line in rx to the protocol, until it has its answer; what
 * follows the answer stays in rx. */
static void take_lines(run *r)
{
    wd_buf *rx = r->rx;
    size_t start = 0;
    if (!rx->len)
        return;
    while (!r->done && !r->code) {
        char *nl = memchr(rx->data + start, '\n', rx->len - start);
        if (!nl)
            break;
        size_t len = (size_t)(nl - (rx->data + start));
        char msg[sizeof(r->res->message)];
        msg[0] = 0;
        int rc = r->on_line(r->line_ctx, rx->data + start, len, &r->tx, msg, sizeof(msg));
        start += len + 1;
        if (rc == 1)
            r->done = 1;
        else if (rc)
            failed(r, rc, "%s", msg);
    }
    if (r->tx.oom)
        failed(r, WD_S_SETUP, "out of memory");
    memmove(rx->data, rx->data + start, rx->len - start);
    rx->len -= start;
    if (rx->data)
        rx->data[rx->len] = 0;
}

static void read_lines(run *r, const char *chunk, size_t n)
{
    /* A line may be as long as the output limit, and no longer. */
    const char *nl = memchr(chunk, '\n', n);
    size_t line_part = nl ? (size_t)(nl - chunk) : n;
    const char *prev = r->rx->len ? memrchr(r->rx->data, '\n', r->rx->len) : NULL;
    size_t open = prev ? r->rx->len - (size_t)(prev + 1 - r->rx->data) : r->rx->len;
    if (open + line_part > r->in->output_max) {
        failed(r, WD_S_OUTPUT, "a line from the program exceeded the output limit of %llu bytes",
               (unsigned long long)r->in->output_max);
        return;
    }
    wd_buf_append(r->rx, chunk, n);
    if (r->rx->oom) {
        failed(r, WD_S_SETUP, "out of memory");
        return;
    }
    take_lines(r);
}

static void read_stdout(run *r)
{
    char chunk[CHUNK];
    ssize_t n = read(r->in->std_out, chunk, sizeof(chunk));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        r->out_eof = 1;
        close(r->in->std_out);
        r->in->std_out = -1;
        return;
    }
    if (r->on_line) {
        read_lines(r, chunk, (size_t)n);
        return;
    }
    if (r->out->len + (size_t)n > r->in->output_max) {
        failed(r, WD_S_OUTPUT, "output exceeded its limit of %llu bytes",
               (unsigned long long)r->in->output_max);
        return;
    }
    if (wd_process_one_line(r->in->process)) {
        char *nl = memchr(chunk, '\n', (size_t)n);
        if (nl && nl != chunk + n - 1) {
            failed(r, WD_S_PROTOCOL, "the program answered more than one line to one request");
            return;
        }
        if (nl) {
            wd_buf_append(r->out, chunk, (size_t)(nl - chunk));
            r->answered = 1;
            return;
        }
    }
    wd_buf_append(r->out, chunk, (size_t)n);
}

static void write_stdin(run *r)
{
    if (r->on_line) {
        ssize_t n = r->tx_off < r->tx.len
                        ? pipe_write(r->in->std_in, r->tx.data + r->tx_off, r->tx.len - r->tx_off)
                        : 0;
        if (n > 0)
            r->tx_off += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            r->tx_off = r->tx.len; /* closed its input: how it ends says the rest */
        return;
    }
    if (r->sent < r->len) {
        size_t want = r->len - r->sent < CHUNK ? r->len - r->sent : CHUNK;
        ssize_t n = pipe_write(r->in->std_in, r->input + r->sent, want);
        if (n > 0)
            r->sent += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            r->sent = r->len, r->newline_due = 0; /* closed its input: it may still answer */
    }
    if (r->sent < r->len)
        return;
    if (wd_process_one_line(r->in->process)) {
        /* The line's end, retried until it is taken: the program answers once it has it. */
        ssize_t n = r->newline_due ? pipe_write(r->in->std_in, "\n", 1) : 0;
        if (n == 1 || (n < 0 && errno != EAGAIN && errno != EINTR))
            r->newline_due = 0;
        return;
    }
    close(r->in->std_in);
    r->in->std_in = -1;
}

/* A warm json-lines program must be silent between calls: a line it wrote since its last
 * answer would otherwise be taken for the next call's. */
static int quiet_since_last_call(run *r)
{
    struct pollfd p = {r->in->std_out, POLLIN, 0};
    if (r->in->std_out < 0 || poll(&p, 1, 0) <= 0)
        return 1;
    char c;
    ssize_t n = read(r->in->std_out, &c, 1);
    if (n <= 0)
        return 1; /* end of output: how the program ended says the rest */
    failed(r, WD_S_PROTOCOL, "the program wrote output between calls: refused");
    return 0;
}

/* Builds the poll set; returns its size. */
static nfds_t poll_set(run *r, struct pollfd *p, int pidfd)
{
    wd_instance *in = r->in;
    nfds_t n = 0;
    p[n++] = (struct pollfd){in->listener, POLLIN, 0};
    p[n++] = (struct pollfd){in->std_out, POLLIN, 0};
    p[n++] = (struct pollfd){in->std_err, POLLIN, 0};
    int writing = r->on_line ? r->tx_off < r->tx.len : r->sent < r->len || r->newline_due;
    p[n++] = (struct pollfd){writing ? in->std_in : -1, POLLOUT, 0};
    p[n++] = (struct pollfd){in->stub ? wd_dns_stub_fd(in->stub) : -1, POLLIN, 0};
    p[n++] = (struct pollfd){pidfd, POLLIN, 0};
    return n;
}

static int finished(const run *r)
{
    if (r->code)
        return 1;
    if (r->on_line)
        return r->done || r->exited || r->out_eof;
    if (wd_process_one_line(r->in->process))
        return r->answered || r->exited;
    return r->exited && r->out_eof;
}

static void loop(run *r, uint64_t deadline)
{
    wd_instance *in = r->in;
    int pidfd = (int)syscall(SYS_pidfd_open, in->pid, 0);
    while (!finished(r)) {
        uint64_t now = wd_time_mono_ns();
        if (now >= deadline) {
            failed(r, WD_S_TIMEOUT,
                   "the call ran past its %llu ms timeout; the plugin's processes were killed",
                   (unsigned long long)in->timeout_ms);
            break;
        }
        /* A connect the broker makes for the program ends by the call's deadline too. */
        uint64_t left_ms = (deadline - now) / 1000000;
        in->broker.timeout_ms = (int)(left_ms < 5000 ? (left_ms ? left_ms : 1) : 5000);
        struct pollfd p[6];
        nfds_t n = poll_set(r, p, pidfd);
        int ready = poll(p, n, (int)((deadline - now) / 1000000 + 1));
        if (ready <= 0)
            continue;
        if (p[0].revents & POLLIN)
            wd_mediate_one(&in->med);
        else if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
            /* No process is left under the filter. */
            close(in->listener);
            in->listener = in->med.listener = -1;
        }
        if (p[4].revents & POLLIN)
            wd_mediate_dns(&in->med);
        if (p[3].revents & (POLLOUT | POLLERR | POLLHUP))
            write_stdin(r);
        if (p[2].revents)
            read_stderr(r);
        if (p[1].revents)
            read_stdout(r);
        if (p[5].revents & POLLIN) {
            r->exited = 1;
            /* Whatever the program left running must not keep its output open. */
            kill(-in->pid, SIGKILL);
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    while (in->std_err >= 0 && !r->code) {
        struct pollfd p = {in->std_err, POLLIN, 0};
        if (poll(&p, 1, 0) <= 0)
            break;
        read_stderr(r);
    }
}

/* How the program ended, for a stdio call (or a json-lines program that died). */
static int outcome(run *r)
{
    wd_instance *in = r->in;
    int status = 0;
    int own = wd_runner_reap(in, &status, r->code ? 0 : GRACE_MS);
    if (r->code)
        return r->code;
    if (own && WIFEXITED(status)) {
        r->res->status = WEXITSTATUS(status);
        if (wd_process_one_line(in->process))
            return failed(r, WD_S_EXITED, "the program exited with status %d mid-call",
                          WEXITSTATUS(status));
        if (WEXITSTATUS(status) != 0)
            return failed(r, WD_S_FAILED, "the program exited with status %d", WEXITSTATUS(status));
        return 0;
    }
    char msg[sizeof(r->res->message)];
    int code = wd_runner_outcome(in, own, status, msg, sizeof(msg));
    return failed(r, code, "%s", msg);
}

/* The program's output ended before its answer: most often it is exiting, and how it ended
 * says more than the end of its output. */
static int closed_output(run *r)
{
    int status = 0;
    int own = wd_runner_reap(r->in, &status, GRACE_MS);
    if (own && WIFEXITED(status)) {
        r->res->status = WEXITSTATUS(status);
        return failed(r, WD_S_EXITED, "the program exited with status %d mid-call",
                      WEXITSTATUS(status));
    }
    if (own) {
        char msg[sizeof(r->res->message)];
        int code = wd_runner_outcome(r->in, own, status, msg, sizeof(msg));
        return failed(r, code, "%s", msg);
    }
    return failed(r, WD_S_EXITED, "the program closed its output mid-call");
}

int wd_process_converse(wd_instance *in, const char *send, size_t len, wd_buf *rx,
                        wd_process_line_fn fn, void *ctx, uint64_t deadline, wd_call_result *res)
{
    run r = {.in = in, .res = res, .on_line = fn, .line_ctx = ctx, .rx = rx, .tx = WD_BUF_INIT};
    wd_buf_append(&r.tx, send, len);
    /* Lines that came after the last answer are the program's first words now. */
    take_lines(&r);
    in->med.record = record;
    in->med.record_ctx = &r;
    fcntl(in->std_in, F_SETFL, O_NONBLOCK);
    if (!r.done && !r.code)
        loop(&r, deadline);
    res->requests = in->med.requests;
    res->denied = in->med.denied;
    in->runtime_reads = in->med.runtime;
    in->med.record = NULL;
    wd_buf_free(&r.tx);
    if (r.done && !r.code)
        return 0;
    if (!r.code && r.out_eof && !r.exited)
        return closed_output(&r);
    return outcome(&r);
}

static int one_line_call(wd_instance *in, const char *input, size_t len, uint64_t deadline,
                         wd_call_result *res, wd_buf *out);

int wd_process_call(wd_instance *in, const char *input, size_t len, uint64_t deadline,
                    wd_call_result *res, wd_buf *out)
{
    if (in->process == WD_PROTOCOL_MCP)
        return wd_mcp_call(in, input, len, deadline, res, out);
    /* A Python handler's input is JSON, where a line end between tokens is only whitespace:
     * pretty-printed input goes on one line with spaces, meaning the same. One inside a string
     * is not JSON (it must be escaped there) and is refused as it stands. */
    char *flat = NULL;
    if (in->process == WD_PROTOCOL_PYTHON &&
        (memchr(input, '\n', len) || memchr(input, '\r', len))) {
        if (!(flat = malloc(len))) {
            snprintf(res->message, sizeof(res->message), "out of memory");
            return WD_S_INPUT;
        }
        bool in_string = false, escaped = false;
        for (size_t i = 0; i < len; i++) {
            char ch = input[i];
            if (in_string && (ch == '\n' || ch == '\r')) {
                free(flat);
                snprintf(res->message, sizeof(res->message),
                         "the input is not JSON: a line end inside a string (byte %zu)", i + 1);
                return WD_S_INPUT;
            }
            flat[i] = ch == '\n' || ch == '\r' ? ' ' : ch;
            if (escaped)
                escaped = false;
            else if (in_string && ch == '\\')
                escaped = true;
            else if (ch == '"')
                in_string = !in_string;
        }
        input = flat;
    }
    int code = one_line_call(in, input, len, deadline, res, out);
    free(flat);
    return code;
}

static int one_line_call(wd_instance *in, const char *input, size_t len, uint64_t deadline,
                         wd_call_result *res, wd_buf *out)
{
    run r = {.in = in,
             .res = res,
             .out = out,
             .input = input,
             .len = len,
             .newline_due = wd_process_one_line(in->process)};
    if (wd_process_one_line(in->process) && memchr(input, '\n', len))
        return failed(&r, WD_S_INPUT, "a json-lines plugin takes its input on one line");
    if (in->pid < 0) {
        int code = wd_process_start(in, res, deadline);
        if (code) {
            int st;
            wd_runner_reap(in, &st, 0);
            return code;
        }
    } else if (wd_process_one_line(in->process) && !quiet_since_last_call(&r)) {
        return outcome(&r);
    }
    in->med.record = record;
    in->med.record_ctx = &r;
    in->med.requests = in->med.denied = in->med.runtime = 0;
    in->med.limit = MAX_REQUESTS_PER_CALL;
    fcntl(in->std_in, F_SETFL, O_NONBLOCK);
    if (len == 0)
        write_stdin(&r);
    loop(&r, deadline);
    res->requests = in->med.requests;
    res->denied = in->med.denied;
    in->runtime_reads = in->med.runtime;
    in->med.record = NULL;
    if (wd_process_one_line(in->process) && r.answered && !r.code)
        return in->process == WD_PROTOCOL_PYTHON ? wd_python_answer(in, res, out) : 0;
    return outcome(&r);
}

void wd_process_retire(wd_instance *in)
{
    if (in->std_in >= 0) {
        close(in->std_in);
        in->std_in = -1;
    }
    int st;
    wd_runner_reap(in, &st, GRACE_MS);
}
