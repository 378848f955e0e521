/* process.c: process plugins (runtime: process): any program, unmodified, under the same
 * policy. The instance keeps a verified copy of the program (and the interpreter's checked
 * descriptor); the runner confines itself as for a native plugin, loads a filter whose path and
 * network calls notify the broker, hands the host that listener and executes the program. A
 * call is then this file's loop: the input on the program's stdin, its stdout the output
 * (stdio: one process per call, exit status 0 is success; json-lines: a warm process, one line
 * in and one line out), its stderr the call's log, and every mediated call answered by the
 * broker (mediate.c). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "sandbox/codes.h"
#include "sandbox/dns_stub.h"
#include "sandbox/instance_int.h"
#include "sandbox/landlock.h"
#include "sandbox/process.h"
#include "sandbox/process_mcp.h"
#include "util/error.h"
#include "util/file.h"
#include "util/path.h"
#include "util/timeutil.h"

/* Trees every dynamically linked program reads and maps: the loader, its cache, libc. */
static const char *const base_roots[] = {"/lib",     "/lib64",     "/lib32",
                                         "/usr/lib", "/usr/lib64", "/etc/ld.so.cache"};
/* Merged-/usr spellings: /bin is /usr/bin on most systems; a root given as one is reached by
 * programs through the other. */
static const char *const aliases[] = {"/bin", "/sbin", "/lib", "/lib32", "/lib64"};

int wd_process_add_root(wd_instance *in, const char *path)
{
    char **r = realloc(in->broker.runtime_roots, (in->broker.runtime_count + 1) * sizeof(*r));
    if (!r)
        return wd_fail(WD_ENOMEM, "out of memory");
    in->broker.runtime_roots = r;
    if (!(r[in->broker.runtime_count] = strdup(path)))
        return wd_fail(WD_ENOMEM, "out of memory");
    in->broker.runtime_count++;
    return 0;
}

/* A root and, when a merged-/usr alias leads into it, the alias too. */
static int add_root_and_aliases(wd_instance *in, const char *root)
{
    int rc = wd_process_add_root(in, root);
    size_t n = strlen(root);
    for (size_t i = 0; !rc && i < sizeof(aliases) / sizeof(*aliases); i++) {
        char real[PATH_MAX];
        if (!realpath(aliases[i], real) || strcmp(real, aliases[i]) == 0)
            continue;
        if (strncmp(real, root, n) == 0 && (real[n] == 0 || real[n] == '/'))
            rc = wd_process_add_root(in, aliases[i]);
    }
    return rc;
}

int wd_process_fd_real(int fd, char *out, size_t size)
{
    char link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, out, size - 1);
    if (n <= 0 || (size_t)n >= size - 1 || out[0] != '/')
        return -1;
    out[n] = 0;
    return 0;
}

int wd_process_seal(wd_instance *in, int src, const uint8_t *want)
{
    int mfd = -1;
    uint8_t digest[WD_SHA256_LEN];
    int rc = wd_instance_seal(src, "program", &mfd, digest);
    static const uint8_t none[WD_SHA256_LEN];
    if (!rc && want && !wd_ct_equal(want, none, sizeof(none)) &&
        !wd_ct_equal(digest, want, sizeof(digest)))
        rc = wd_error_set(WD_EPOLICY, "WD-L009", wd_contract_program(in->contract), 0, 0,
                          "program changed while it was being loaded: refused");
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", mfd);
    if (!rc && (in->program_fd = open(proc, O_RDONLY | O_CLOEXEC)) < 0)
        rc = wd_fail(WD_EIO, "cannot reopen the program copy: %s", strerror(errno));
    if (mfd >= 0)
        close(mfd);
    return rc;
}

static void put_rule(wd_setup_writer *w, const char *path, uint64_t access)
{
    uint8_t rule[8 + WD_PATH_MAX];
    size_t len = strlen(path);
    if (len >= WD_PATH_MAX)
        return;
    for (int b = 0; b < 8; b++)
        rule[b] = (uint8_t)(access >> (8 * b));
    memcpy(rule + 8, path, len);
    wd_setup_put(w, WD_SETUP_FS_RULE, rule, 8 + len);
}

int wd_process_roots(wd_instance *in, const char *interp_real)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof(base_roots) / sizeof(*base_roots); i++)
        rc = wd_process_add_root(in, base_roots[i]);
    for (size_t i = 0; !rc && i < wd_contract_runtime_root_count(in->contract); i++)
        rc = add_root_and_aliases(in, wd_contract_runtime_root(in->contract, i));
    if (!rc && interp_real)
        rc = wd_process_add_root(in, interp_real);
    return rc;
}

int wd_process_setup(wd_instance *in, const char *const *argv, size_t argc)
{
    /* Landlock: the runtime roots readable and executable (the exec the broker lets through
     * reaches nothing else), the interpreter itself, and what the policy grants whole. */
    wd_setup_writer w = {
        .data = in->setup, .len = in->setup_len, .cap = in->setup_len, .failed = 0};
    for (size_t i = 0; i < in->broker.runtime_count; i++)
        put_rule(&w, in->broker.runtime_roots[i], WD_LL_READ_FILE | WD_LL_READ_DIR | WD_LL_EXECUTE);
    wd_setup_put_u64(&w, WD_SETUP_PROCESS, (uint64_t)in->process);
    for (size_t i = 0; i < argc; i++)
        wd_setup_put(&w, WD_SETUP_ARG, argv[i], strlen(argv[i]));
    if (w.failed) {
        free(w.data);
        in->setup = NULL;
        return wd_fail(WD_ERANGE, "the sandbox setup is larger than the protocol allows");
    }
    in->setup = w.data;
    in->setup_len = w.len;
    return 0;
}

int wd_process_prepare(wd_instance *in)
{
    in->process = (int)wd_contract_protocol(in->contract);
    if (wd_contract_runtime(in->contract) == WD_RUNTIME_PYTHON)
        return wd_python_prepare(in);
    int src = -1, interp = -1;
    int rc = wd_contract_open_program(in->contract, &src);
    if (!rc)
        rc = wd_contract_open_interpreter(in->contract, &interp);
    char real[PATH_MAX], interp_real[PATH_MAX];
    if (!rc && wd_process_fd_real(src, real, sizeof(real)) != 0)
        rc = wd_fail(WD_EIO, "cannot tell where the program is");
    if (!rc && interp >= 0 && wd_process_fd_real(interp, interp_real, sizeof(interp_real)) != 0)
        rc = wd_fail(WD_EIO, "cannot tell where the interpreter is");
    if (!rc && !(in->program_path = strdup(real)))
        rc = wd_fail(WD_ENOMEM, "out of memory");
    if (!rc)
        rc = wd_process_seal(in, src, wd_contract_sha256(in->contract));
    if (src >= 0)
        close(src);
    if (!rc && interp < 0) {
        char head[2] = {0, 0};
        if (pread(in->program_fd, head, 2, 0) == 2 && head[0] == '#' && head[1] == '!')
            rc = wd_error_set(WD_EPOLICY, "WD-L026", wd_contract_program(in->contract), 0, 0,
                              "the program is a script (#!): name its interpreter in the "
                              "contract (interpreter:)");
    }
    /* What the runner executes: the interpreter, or the verified copy itself. */
    if (!rc)
        in->exec_fd = interp >= 0 ? interp : dup(in->program_fd);
    else if (interp >= 0)
        close(interp);
    if (!rc)
        rc = wd_process_roots(in, interp >= 0 ? interp_real : NULL);
    if (rc)
        return rc;
    const char *argv[3 + WD_CONTRACT_MAX_ARGS];
    size_t argc = 0;
    const char *slash = strrchr(in->program_path, '/');
    if (interp >= 0) {
        argv[argc++] = interp_real;
        argv[argc++] = in->program_path;
    } else {
        argv[argc++] = slash ? slash + 1 : in->program_path;
    }
    for (size_t i = 0; i < wd_contract_arg_count(in->contract); i++)
        argv[argc++] = wd_contract_arg(in->contract, i);
    rc = wd_process_setup(in, argv, argc);
    if (rc)
        return rc;
    /* A program has no describe(): say what it is, from the contract. */
    json_t *d = json_pack("{s:s, s:s, s:s, s:s?}", "runtime", "process", "protocol",
                          wd_process_protocol_name(in->process), "program", in->program_path,
                          "interpreter", interp >= 0 ? interp_real : NULL);
    in->describe = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    return in->describe ? 0 : wd_fail(WD_ENOMEM, "out of memory");
}

void wd_process_release(wd_instance *in)
{
    if (in->program_fd >= 0)
        close(in->program_fd);
    if (in->exec_fd >= 0)
        close(in->exec_fd);
    for (int i = 0; i < WD_SYNTH_COUNT; i++)
        if (in->med.synth[i] >= 0)
            close(in->med.synth[i]);
    wd_dns_stub_close(in->stub);
    wd_mediator_free(&in->med);
    for (size_t i = 0; i < in->broker.runtime_count; i++)
        free(in->broker.runtime_roots[i]);
    free(in->broker.runtime_roots);
    free(in->program_path);
    free(in->python_load);
}

/* ---- a running program ------------------------------------------------------------------- */

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void wd_process_forget(wd_instance *in)
{
    close_fd(&in->listener);
    close_fd(&in->std_in);
    close_fd(&in->std_out);
    close_fd(&in->std_err);
    in->med.listener = -1;
    /* The stub (and the resolver files naming it) lived in that runner's namespace. */
    wd_dns_stub_close(in->stub);
    in->stub = in->med.stub = NULL;
    for (int i = 0; i < WD_SYNTH_COUNT; i++)
        close_fd(&in->med.synth[i]);
    wd_mcp_forget(in);
}

/* The DNS stub's socket the runner made in its network namespace (or none): adopted, or a note
 * that names will not resolve for the plugin. */
static void adopt_stub(wd_instance *in, int fd)
{
    if (fd < 0 || wd_dns_stub_adopt(&in->stub, fd) != 0)
        wd_instance_note(in, "no DNS stub in the plugin's network namespace: host names do "
                             "not resolve for it (connect by address still works)");
}

/* Waits for the runner's READY and the listener that comes with it. 0 or a WD_S_* code. */
static int take_listener(wd_instance *in, wd_call_result *res, uint64_t deadline)
{
    for (;;) {
        uint64_t now = wd_time_mono_ns();
        if (now >= deadline) {
            snprintf(res->message, sizeof(res->message), "the runner did not start in time");
            return WD_S_TIMEOUT;
        }
        struct pollfd p = {in->sock, POLLIN, 0};
        if (poll(&p, 1, (int)((deadline - now) / 1000000 + 1)) <= 0)
            continue;
        int fd = -1;
        long len = wd_proto_recv(in->sock, in->buf, &fd);
        wd_msg m;
        const char *why;
        if (len <= 0 || wd_proto_decode(in->buf, (size_t)len, 1, &m, &why) != 0) {
            if (fd >= 0)
                close(fd);
            snprintf(res->message, sizeof(res->message), "the runner ended before the program");
            return WD_S_RUNNER;
        }
        if (m.type == WD_MSG_FAIL) {
            if (fd >= 0)
                close(fd);
            snprintf(res->message, sizeof(res->message), "%.*s", (int)m.len, (const char *)m.data);
            return m.a == WD_S_SETUP || m.a == WD_S_RUNNER || m.a == WD_S_PROTOCOL ? m.a
                                                                                   : WD_S_SETUP;
        }
        if (m.type == WD_MSG_STUB && in->listener >= 0) {
            adopt_stub(in, fd);
            return 0;
        }
        if (m.type != WD_MSG_READY || fd < 0) {
            if (fd >= 0)
                close(fd);
            snprintf(res->message, sizeof(res->message), "the runner sent no listener");
            return WD_S_PROTOCOL;
        }
        if (in->listener < 0) {
            in->listener = fd;
            continue; /* the stub's socket comes next */
        }
        close(fd);
        snprintf(res->message, sizeof(res->message), "the runner sent two listeners");
        return WD_S_PROTOCOL;
    }
}

int wd_process_start(wd_instance *in, wd_call_result *res, uint64_t deadline)
{
    int code = wd_runner_spawn(in, res);
    if (!code)
        code = take_listener(in, res, deadline);
    if (!code) {
        if (wd_mediator_synth(&in->med, in->stub ? wd_dns_stub_address(in->stub) : NULL) != 0) {
            snprintf(res->message, sizeof(res->message), "cannot make the resolver files");
            code = WD_S_SETUP;
        }
        in->med.broker = &in->broker;
        in->med.listener = in->listener;
        in->med.started = 0;
        in->med.program = in->program_path;
        in->med.program_fd = in->program_fd;
        in->med.stub = in->stub;
    }
    /* A Python handler is loaded before its first call: the import runs confined, mediated
     * and recorded, under the correlation id of the call (or start) that needed it. */
    if (!code && in->process == WD_PROTOCOL_PYTHON)
        code = wd_python_load(in, res, deadline);
    return code;
}
