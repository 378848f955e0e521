/* main.c: warden-runner. Started by the host with the broker socket on descriptor 3 and an
 * environment of the allowed keys only; everything else arrives in the SETUP message.
 *
 * Order matters and is the point of this file: nothing of the plugin is mapped until the
 * process has no new privileges, its own network namespace, its own user namespace with an
 * unprivileged uid, no capabilities, its limits, Landlock and seccomp. Only then is the library
 * loaded, from the sealed descriptor the host copied the verified bytes into, so its constructors
 * already run confined. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/codes.h"
#include "runner/runner.h"

uint8_t wd_runner_buf[WD_PROTO_MAX_MSG];
static uint8_t setup_copy[WD_PROTO_MAX_DATA + 1];
static wd_runner_setup setup;

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wd_proto_write(WD_RUNNER_SOCK, WD_MSG_FAIL, code, 0, msg, strlen(msg));
    return 1;
}

static void close_other_fds(void)
{
    if (syscall(SYS_close_range, WD_RUNNER_NETNS + 1, ~0U, 0) == 0)
        return;
    for (int fd = WD_RUNNER_NETNS + 1; fd < 65536; fd++)
        close(fd);
}

/* Makes sure descriptor fd is open (on /dev/null when it was not). */
static int hold_descriptor(int fd)
{
    if (fcntl(fd, F_GETFD) >= 0)
        return 0;
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || null == fd)
        return null < 0 ? -1 : 0;
    int rc = dup3(null, fd, O_CLOEXEC) < 0 ? -1 : 0;
    close(null);
    return rc;
}

static int parse_setup(const wd_msg *m, wd_runner_setup *s)
{
    memcpy(setup_copy, m->data, m->len);
    wd_setup_reader r = {setup_copy, setup_copy + m->len};
    uint16_t tag;
    const uint8_t *v;
    size_t len;
    int rc;
    *s = (wd_runner_setup){.config = "{}"};
    while ((rc = wd_setup_next(&r, &tag, &v, &len)) == 1) {
        if (tag == WD_SETUP_PROCESS) {
            if (len != 8)
                return -1;
            s->process = wd_setup_u64(v);
        } else if (tag == WD_SETUP_ARG) {
            if (s->argc == WD_RUNNER_MAX_ARGS || memchr(v, 0, len))
                return -1;
            char *a = malloc(len + 1);
            if (!a)
                return -1;
            memcpy(a, v, len);
            a[len] = 0;
            s->argv[s->argc++] = a;
        } else if (tag >= WD_SETUP_RLIMIT_AS && tag <= WD_SETUP_GID) {
            if (len != 8)
                return -1;
            uint64_t x = wd_setup_u64(v);
            uint64_t *dst[] = {NULL,
                               &s->rlimit_as,
                               &s->rlimit_cpu,
                               &s->rlimit_nofile,
                               &s->rlimit_nproc,
                               &s->rlimit_fsize,
                               &s->output_max,
                               &s->landlock_min,
                               &s->netns,
                               &s->host_pid,
                               &s->netns_fd,
                               &s->uid,
                               &s->gid};
            *dst[tag] = x;
        } else if (tag == WD_SETUP_CONFIG) {
            char *c = malloc(len + 1);
            if (!c)
                return -1;
            memcpy(c, v, len);
            c[len] = 0;
            s->config = c;
        } else if (tag == WD_SETUP_SECCOMP) {
            s->seccomp = v;
            s->seccomp_len = len;
        } else if (tag == WD_SETUP_FS_RULE) {
            if (len < 10 || s->fs_count == WD_RUNNER_MAX_FS_RULES)
                return -1;
            char *p = malloc(len - 8 + 1);
            if (!p)
                return -1;
            memcpy(p, v + 8, len - 8);
            p[len - 8] = 0;
            s->fs[s->fs_count++] = (wd_fs_rule){wd_setup_u64(v), p};
        } else {
            return -1;
        }
    }
    return rc;
}

/* Receives the next message from the host; the host is trusted, but its messages are checked
 * like any other. Returns the type, 0 at EOF, -1 on error. */
static int next(wd_msg *m, int *fd)
{
    long n = wd_proto_recv(WD_RUNNER_SOCK, wd_runner_buf, fd);
    if (n <= 0)
        return n == 0 ? 0 : -1;
    const char *why;
    if (wd_proto_decode(wd_runner_buf, (size_t)n, 0, m, &why) != 0)
        return -1;
    return (int)m->type;
}

static wd_output_state output;

/* The next message, with any descriptor that came along closed: after the setup, the host
 * sends the runner none. */
static int next_plain(wd_msg *m)
{
    int fd;
    int t = next(m, &fd);
    if (fd >= 0)
        close(fd);
    return t;
}

/* Reads a call's input: the CALL message's chunk, then INPUT messages up to its total. The
 * previous call's input (*input) lives until this one replaces it. Returns 0 (*input then
 * holds *len bytes and a NUL) or the runner's exit status. */
static int read_input(const wd_msg *call, char **input, size_t *len)
{
    size_t total = call->b, have = call->len;
    *len = total;
    free(*input);
    *input = malloc(total + 1);
    if (!*input)
        return fail(WD_S_INPUT, "runner: no memory for %zu bytes of input", total);
    if (have > total)
        return fail(WD_S_PROTOCOL, "runner: input chunk longer than the input");
    memcpy(*input, call->data, have);
    while (have < total) {
        wd_msg m;
        int t = next_plain(&m);
        if (t != WD_MSG_INPUT || m.len > total - have)
            return fail(WD_S_PROTOCOL, "runner: broken input stream");
        memcpy(*input + have, m.data, m.len);
        have += m.len;
    }
    (*input)[total] = 0;
    return 0;
}

/* Runs one call on its input and reports it done. Returns 0 or the runner's exit status. */
static int run_call(const wd_plugin_descriptor *d, wd_host *host, const char *input, size_t total)
{
    wd_memory_call_start();
    output = (wd_output_state){.max = setup.output_max};
    int status = d->execute(host, input, total, &output);
    if (wd_services_flush(&output) != 0 || output.broken)
        return 1;
    if (output.overflow)
        fail(WD_S_OUTPUT, "output exceeded its limit of %llu bytes",
             (unsigned long long)output.max);
    uint32_t total_out = output.total > UINT32_MAX ? UINT32_MAX : (uint32_t)output.total;
    if (wd_proto_write(WD_RUNNER_SOCK, WD_MSG_DONE, status, total_out, NULL, 0) != 0)
        return 1;
    return 0;
}

static int serve(const wd_plugin_descriptor *d, wd_host *host)
{
    char *input = NULL;
    size_t len = 0;
    int rc = 0;
    while (!rc) {
        wd_msg m;
        int t = next_plain(&m);
        if (t <= 0 || t == WD_MSG_STOP)
            break;
        if (t != WD_MSG_CALL)
            rc = fail(WD_S_PROTOCOL, "runner: unexpected message %d from the host", t);
        else
            rc = read_input(&m, &input, &len);
        if (!rc)
            rc = run_call(d, host, input, len);
    }
    free(input);
    if (!rc && d->shutdown)
        d->shutdown();
    return rc;
}

static int check_descriptor(const wd_plugin_descriptor *d, char *why, size_t size)
{
    if (d->abi != WD_PLUGIN_ABI)
        snprintf(why, size, "the descriptor declares ABI %u; this runner speaks %d", d->abi,
                 WD_PLUGIN_ABI);
    else if (d->size < sizeof(wd_plugin_descriptor))
        snprintf(why, size, "the descriptor is %u bytes, shorter than ABI %d's %zu", d->size,
                 WD_PLUGIN_ABI, sizeof(wd_plugin_descriptor));
    else if (!d->name || !d->version || !d->init || !d->execute || !d->describe)
        snprintf(why, size, "the descriptor lacks %s",
                 !d->name      ? "a name"
                 : !d->version ? "a version"
                 : !d->init    ? "init()"
                 : !d->execute ? "execute()"
                               : "describe()");
    else
        return 0;
    return -1;
}

/* A process plugin: hand the host the listener of the filter just loaded, then become the
 * program. Everything from here on is the plugin's, each mediated call answered by the host. */
/* Ends this process the way a wait status says a process ended: the same signal, or the same
 * exit status. (Never in a PID namespace's first process: the kernel ignores signals there.) */
static _Noreturn void end_as(int status)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        signal(sig, SIG_DFL);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        raise(sig);
        _exit(128 + sig);
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* The runner, outside the program's PID namespace: waits for the namespace's first process and
 * ends the way the program ended, so the host reads the program's exit status or fatal signal
 * from the runner it started. */
static _Noreturn void wait_namespace(pid_t init, int report)
{
    close(WD_RUNNER_SOCK);
    int status = 0;
    while (waitpid(init, &status, 0) < 0 && errno == EINTR)
        ;
    int program = 0;
    ssize_t n;
    while ((n = read(report, &program, sizeof(program))) < 0 && errno == EINTR)
        ;
    /* No report: the first process itself was killed, and the program with it. */
    end_as(n == (ssize_t)sizeof(program) ? program : SIGKILL);
}

/* The namespace's first process: runner code, never the program's, so nothing the program does
 * can keep it from dying with the runner (its death signal) or keep the namespace alive. It
 * reaps whatever is orphaned to it, reports the program's wait status and exits, and the kernel
 * ends everything else in the namespace. */
static _Noreturn void namespace_init(pid_t program, int report)
{
    close(WD_RUNNER_SOCK);
    int status = 0;
    for (;;) {
        int st;
        pid_t r = waitpid(-1, &st, 0);
        if (r == program) {
            status = st;
            break;
        }
        if (r < 0 && errno != EINTR)
            break;
    }
    if (write(report, &status, sizeof(status)) != (ssize_t)sizeof(status))
        _exit(1);
    _exit(0);
}

static int exec_program(int exe, int stub)
{
    char why[256];
    int listener = -1, report[2];
    if (setup.argc == 0)
        return fail(WD_S_PROTOCOL, "runner: a process plugin without arguments");
    if (pipe2(report, O_CLOEXEC) != 0)
        return fail(WD_S_SETUP, "runner: cannot make the status pipe: %s", strerror(errno));
    pid_t init = fork();
    if (init < 0)
        return fail(WD_S_SETUP, "runner: cannot start the namespace: %s", strerror(errno));
    if (init > 0) {
        close(report[1]);
        if (stub >= 0)
            close(stub);
        wait_namespace(init, report[0]);
    }
    close(report[0]);
    /* The namespace's first process dies with the runner, and the namespace with it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    pid_t program = fork();
    if (program < 0)
        return fail(WD_S_SETUP, "runner: cannot start the program's process: %s", strerror(errno));
    if (program > 0) {
        if (stub >= 0)
            close(stub);
        namespace_init(program, report[1]);
    }
    close(report[1]);
    signal(SIGPIPE, SIG_DFL); /* the runner ignored it; the program gets the default */
    if (wd_confine_seccomp_listener(&setup, &listener, why) != 0)
        return fail(WD_S_SETUP, "%s", why);
    int sent = wd_proto_send(WD_RUNNER_SOCK, WD_MSG_READY, 0, 0, NULL, 0, listener);
    close(listener);
    /* Then the DNS stub's socket (or none), for the host to answer on. */
    if (sent == 0)
        sent = wd_proto_send(WD_RUNNER_SOCK, WD_MSG_STUB, 0, 0, NULL, 0, stub);
    if (stub >= 0)
        close(stub);
    if (sent != 0)
        return 1;
    /* The broker socket is the runner's, never the program's. */
    fcntl(WD_RUNNER_SOCK, F_SETFD, FD_CLOEXEC);
    extern char **environ;
    syscall(SYS_execveat, exe, "", setup.argv, environ, AT_EMPTY_PATH);
    fcntl(WD_RUNNER_SOCK, F_SETFD, 0);
    return fail(WD_S_RUNNER, "runner: cannot execute the program: %s", strerror(errno));
}

int main(void)
{
    /* The host's death ends the runner; never outlive it as an orphan holding grants. */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    /* Executed through /proc/self/fd/N, the process would be named N: name it for ps and for
     * whoever looks for runners by name. */
    prctl(PR_SET_NAME, "warden-runner", 0, 0, 0);
    signal(SIGPIPE, SIG_IGN); /* a host gone mid-write is an error return, not a death */
    close_other_fds();
    /* Descriptor 4 is closed once the namespaces are set up, whatever it is then; when the
     * host left it free (an ordinary user's host has no namespace to pass), hold it, so that
     * neither the library nor the Landlock ruleset is given that number in between. */
    if (hold_descriptor(WD_RUNNER_NETNS) != 0)
        return fail(WD_S_SETUP, "runner: cannot hold descriptor %d: %s", WD_RUNNER_NETNS,
                    strerror(errno));
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fail(WD_S_SETUP, "runner: cannot set no_new_privs: %s", strerror(errno));

    wd_msg m;
    int lib = -1;
    if (next(&m, &lib) != WD_MSG_SETUP || lib < 0)
        return fail(WD_S_PROTOCOL, "runner: expected the setup message and the library");
    if (parse_setup(&m, &setup) != 0)
        return fail(WD_S_PROTOCOL, "runner: malformed setup message");
    if (setup.host_pid && (uint64_t)getppid() != setup.host_pid)
        return fail(WD_S_SETUP, "runner: the host is gone");

    char why[256];
    int ruleset = -1, stub = -1;
    if (wd_confine_landlock_plan(&setup, &ruleset, why) != 0 ||
        wd_confine_namespaces(&setup, &stub, why) != 0 || wd_confine_rlimits(&setup, why) != 0 ||
        (!setup.process && wd_memory_watch(setup.rlimit_as, why) != 0) ||
        wd_confine_landlock(&ruleset, why) != 0 ||
        (!setup.process && wd_confine_seccomp(&setup, why) != 0)) {
        if (ruleset >= 0)
            close(ruleset);
        return fail(WD_S_SETUP, "%s", why);
    }

    if (setup.process)
        return exec_program(lib, stub);

    /* From here on, everything runs confined, the library's constructors included. */
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", lib);
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *e = dlerror();
        return fail(WD_S_DESCRIPTOR, "the library cannot be loaded: %s", e ? e : "unknown error");
    }
    close(lib);
    const wd_plugin_descriptor *d = dlsym(handle, WD_PLUGIN_SYMBOL);
    if (!d)
        return fail(WD_S_DESCRIPTOR, "the library does not export %s", WD_PLUGIN_SYMBOL);
    char bad[256];
    if (check_descriptor(d, bad, sizeof(bad)) != 0)
        return fail(WD_S_DESCRIPTOR, "%s", bad);

    wd_host host;
    wd_services_init(&host);
    int rc = d->init(&host, setup.config);
    if (rc != 0)
        return fail(WD_S_INIT, "init() returned %d", rc);
    const char *desc = d->describe();
    size_t dlen = desc ? strnlen(desc, WD_PROTO_MAX_DATA) : 0;
    if (wd_proto_write(WD_RUNNER_SOCK, WD_MSG_READY, 0, 0, desc, dlen) != 0)
        return 1;
    return serve(d, &host);
}
