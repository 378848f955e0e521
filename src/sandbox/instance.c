/* instance.c: plugin instances (sandbox.h): the verified library in a sealed memory file, the
 * environment of allowed keys, the setup the runner confines itself with, and freeing it all.
 * Starting the runner is spawn.c's job, a call is call.c's. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/json_event.h"
#include "crypto/crypto.h"
#include "registry/contract_int.h"
#include "sandbox/broker.h"
#include "sandbox/instance_int.h"
#include "sandbox/codes.h"
#include "sandbox/filter.h"
#include "sandbox/landlock.h"
#include "sandbox/netns.h"
#include "sandbox/notify.h"
#include "sandbox/process.h"
#include "sandbox/process_mcp.h"
#include "sandbox/proto.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/path.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "warden/audit.h"
#include "warden/sandbox.h"

#ifndef WD_RUNNER_DEFAULT
#define WD_RUNNER_DEFAULT "/usr/local/libexec/warden/warden-runner"
#endif

static const char *const code_ids[] = {"WD-S000", "WD-S001", "WD-S002", "WD-S003", "WD-S004",
                                       "WD-S005", "WD-S006", "WD-S007", "WD-S008", "WD-S009",
                                       "WD-S010", "WD-S011", "WD-S012", "WD-S013", "WD-S014",
                                       "WD-S015", "WD-S016", "WD-S017", "WD-S018", "WD-S019"};
_Static_assert(sizeof(code_ids) / sizeof(*code_ids) == WD_S_LIMIT_COUNT,
               "every WD_S_* code has its id");

const char *wd_sandbox_code_id(int code)
{
    return code > 0 && code < WD_S_LIMIT_COUNT ? code_ids[code] : code_ids[0];
}

void wd_instance_note(wd_instance *in, const char *text)
{
    if (!strstr(wd_buf_cstr(&in->notes), text)) {
        wd_buf_puts(&in->notes, text);
        wd_buf_putc(&in->notes, '\n');
    }
}

/* ---- preparing: the library, the environment, the setup ---------------------------------- */

enum {
    COPY_CHUNK = 65536,
    /* A setup FS_RULE entry: the u64 Landlock access mask, then the path. */
    FS_RULE_MASK = 8
};

int wd_instance_seal(int src, const char *what, int *out, uint8_t digest[WD_SHA256_LEN])
{
    char name[32];
    snprintf(name, sizeof(name), "warden-%s", what);
    int mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0)
        return wd_fail(WD_EIO, "cannot create a memory file for the %s: %s", what, strerror(errno));
    wd_hasher *h = NULL;
    int rc = wd_hasher_new(&h);
    struct stat st;
    if (!rc && fstat(src, &st) != 0)
        rc = wd_fail(WD_EIO, "cannot stat the %s", what);
    while (!rc) {
        char chunk[COPY_CHUNK];
        ssize_t n = read(src, chunk, sizeof(chunk));
        if (n == 0)
            break;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || wd_write_all(mfd, chunk, (size_t)n) != 0)
            rc = wd_fail(WD_EIO, "cannot copy the %s: %s", what, strerror(errno));
    }
    if (!rc && fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
        rc = wd_fail(WD_EIO, "cannot seal the %s copy: %s", what, strerror(errno));
    if (!rc && lseek(mfd, 0, SEEK_SET) != 0)
        rc = wd_fail(WD_EIO, "cannot rewind the %s copy", what);
    if (!rc)
        rc = wd_sha256_fd(h, mfd, digest);
    wd_hasher_free(h);
    if (rc) {
        close(mfd);
        return rc;
    }
    *out = mfd;
    return 0;
}

/* Copies the verified library into a sealed memory file, hashing what it copies: the bytes the
 * runner maps are the bytes that hashed to the contract's sha256, whatever happens to the file
 * afterwards. */
static int seal_library(wd_instance *in)
{
    int src, mfd = -1;
    uint8_t digest[WD_SHA256_LEN];
    int rc = wd_contract_open_library(in->contract, &src);
    if (rc)
        return rc;
    rc = wd_instance_seal(src, "library", &mfd, digest);
    close(src);
    if (!rc && !wd_ct_equal(digest, wd_contract_sha256(in->contract), sizeof(digest)))
        rc = wd_error_set(WD_EPOLICY, "WD-L009", wd_contract_library(in->contract), 0, 0,
                          "library changed while it was being loaded: refused");
    if (!rc)
        in->memfd = mfd;
    else if (mfd >= 0)
        close(mfd);
    return rc;
}

static int add_protected(wd_instance *in, const char *path)
{
    if (!path)
        return 0;
    char norm[WD_PATH_MAX];
    char *real = realpath(path, NULL);
    bool escapes = false;
    if (!real) {
        if (wd_path_normalize(path, norm, sizeof(norm), &escapes) != 0 || escapes)
            return 0;
        real = strdup(norm);
        if (!real)
            return wd_fail(WD_ENOMEM, "out of memory");
    }
    char **p = realloc(in->broker.protected_paths, (in->broker.protected_count + 1) * sizeof(*p));
    if (!p) {
        free(real);
        return wd_fail(WD_ENOMEM, "out of memory");
    }
    p[in->broker.protected_count++] = real;
    in->broker.protected_paths = p;
    return 0;
}

/* Variables the dynamic loader and libc act on before the runner confines itself: never in the
 * runner's environment, whatever the policy grants (wd_host_getenv still answers for them). */
static bool loader_sensitive(const char *entry)
{
    return strncmp(entry, "LD_", 3) == 0 || strncmp(entry, "GLIBC_TUNABLES=", 15) == 0 ||
           strncmp(entry, "MALLOC_", 7) == 0;
}

/* A snapshot of the allowed variables, taken once: the broker answers from it and the runner
 * starts with it, so the host changing its environment later (setenv reallocates environ)
 * neither frees what the broker reads nor makes the two disagree. */
static int build_environment(wd_instance *in)
{
    const char *const *src = in->opts.environ ? in->opts.environ : (const char *const *)environ;
    size_t n = 0;
    for (const char *const *e = src; e && *e; e++)
        n++;
    in->env = calloc(n + 1, sizeof(char *));
    in->envp = calloc(n + 1, sizeof(char *));
    if (!in->env || !in->envp)
        return wd_fail(WD_ENOMEM, "out of memory");
    in->broker.environ = (const char *const *)in->env;
    if (in->broker.pure || !in->broker.policy)
        return 0;
    size_t k = 0, r = 0;
    for (const char *const *e = src; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || eq == *e || (size_t)(eq - *e) > 255)
            continue;
        char key[256];
        memcpy(key, *e, (size_t)(eq - *e));
        key[eq - *e] = 0;
        wd_request req = {.kind = WD_REQ_ENVIRONMENT, .key = key};
        wd_decision d;
        if (wd_policy_decide(in->broker.policy, &req, &d) != 0 || d.effect != WD_ALLOW)
            continue;
        if (!(in->env[k] = strdup(*e)))
            return wd_fail(WD_ENOMEM, "out of memory");
        if (!loader_sensitive(in->env[k]))
            in->envp[r++] = in->env[k];
        k++;
    }
    return 0;
}

/* The resource limits and the runner's fixed settings, into w. */
static void put_limits(wd_instance *in, wd_setup_writer *w)
{
    const wd_resources *res = in->broker.policy ? wd_policy_resources(in->broker.policy) : NULL;
    wd_resources r = res ? *res : (wd_resources){0};
    in->timeout_ms = in->opts.timeout_ms ? in->opts.timeout_ms
                     : r.timeout_ms      ? r.timeout_ms
                                         : DEFAULT_TIMEOUT_MS;
    in->output_max = r.output_bytes ? r.output_bytes : DEFAULT_OUTPUT;
    uint64_t secs = (in->timeout_ms + 999) / 1000;
    uint64_t cpu = r.cpu_millicores ? (secs * r.cpu_millicores + 999) / 1000 : secs;
    wd_setup_put_u64(w, WD_SETUP_RLIMIT_AS, r.memory_bytes ? r.memory_bytes : DEFAULT_MEMORY);
    in->cpu_limit_s = cpu ? cpu : 1;
    wd_setup_put_u64(w, WD_SETUP_RLIMIT_CPU, in->cpu_limit_s);
    wd_setup_put_u64(w, WD_SETUP_RLIMIT_NOFILE, r.open_files ? r.open_files : DEFAULT_OPEN_FILES);
    wd_setup_put_u64(w, WD_SETUP_RLIMIT_NPROC, r.pids ? r.pids : DEFAULT_PROCESSES);
    wd_setup_put_u64(w, WD_SETUP_RLIMIT_FSIZE, DEFAULT_FILE_SIZE);
    wd_setup_put_u64(w, WD_SETUP_OUTPUT_MAX, in->output_max);
    int min = in->opts.min_landlock_abi < 0 ? 1 : in->opts.min_landlock_abi;
    wd_setup_put_u64(w, WD_SETUP_LANDLOCK_MIN, (uint64_t)min);
    wd_setup_put_u64(w, WD_SETUP_NETNS, in->opts.require_netns ? 1 : 0);
    wd_setup_put_u64(w, WD_SETUP_HOST_PID, (uint64_t)getpid());
    const char *config = wd_contract_config(in->contract);
    wd_setup_put(w, WD_SETUP_CONFIG, config, strlen(config));
}

/* The subtrees the kernel may expose directly (wd_broker_plan_fs), into w. */
static int put_fs_rules(wd_instance *in, wd_setup_writer *w)
{
    wd_fs_grant *g = NULL;
    long n = wd_broker_plan_fs(&in->broker, &g);
    if (n < 0)
        return wd_fail(WD_ENOMEM, "out of memory");
    for (long i = 0; i < n; i++) {
        uint8_t rule[FS_RULE_MASK + WD_PATH_MAX];
        size_t len = strlen(g[i].path);
        if (len >= WD_PATH_MAX)
            continue;
        for (int b = 0; b < FS_RULE_MASK; b++)
            rule[b] = (uint8_t)(g[i].access >> (8 * b));
        memcpy(rule + FS_RULE_MASK, g[i].path, len);
        wd_setup_put(w, WD_SETUP_FS_RULE, rule, FS_RULE_MASK + len);
    }
    wd_broker_plan_free(g, (size_t)n);
    return 0;
}

static int build_setup(wd_instance *in)
{
    wd_setup_writer w = {.data = NULL, .len = 0, .cap = 0, .failed = 0};
    put_limits(in, &w);
    int rc = put_fs_rules(in, &w);
    if (!rc && w.failed)
        rc = wd_fail(WD_ERANGE, "the sandbox setup is larger than the protocol allows");
    if (rc) {
        free(w.data);
        return rc;
    }
    in->setup = w.data;
    in->setup_len = w.len;
    return 0;
}

/* Whether a file or directory only root or the host's user can change. */
static bool trusted_mode(const struct stat *st)
{
    return (st->st_uid == 0 || st->st_uid == geteuid()) && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* The runner runs as the host's user before it confines itself, so it is opened once, here,
 * and checked: a regular file that no one but root or this user can change, in a directory
 * the same holds for. spawn.c executes that descriptor, so a runner replaced afterwards is not
 * what runs. A runner missing at start fails the first call (WD-S013), as before. */
static int open_runner(wd_instance *in)
{
    in->runner_fd = open(in->runner, O_PATH | O_CLOEXEC);
    if (in->runner_fd < 0)
        return errno == ENOENT || errno == ENOTDIR
                   ? 0
                   : wd_error_set(WD_EPERM, "WD-S013", NULL, 0, 0, "cannot open the runner %s: %s",
                                  in->runner, strerror(errno));
    /* Above the descriptors spawn.c gives the runner (0-4), which would replace it before
     * the runner is executed through it. */
    if (in->runner_fd < 10) {
        int moved = fcntl(in->runner_fd, F_DUPFD_CLOEXEC, 10);
        close(in->runner_fd);
        in->runner_fd = moved;
        if (moved < 0)
            return wd_error_set(WD_EPERM, "WD-S013", NULL, 0, 0, "cannot hold the runner %s: %s",
                                in->runner, strerror(errno));
    }
    struct stat st, dst;
    char real[WD_PATH_MAX], link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", in->runner_fd);
    ssize_t n = readlink(link, real, sizeof(real) - 1);
    char *slash = n > 0 ? memrchr(real, '/', (size_t)n) : NULL;
    int dir = -1;
    if (slash) {
        *slash = '\0';
        dir = open(slash == real ? "/" : real, O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    bool ok = fstat(in->runner_fd, &st) == 0 && S_ISREG(st.st_mode) && trusted_mode(&st) &&
              dir >= 0 && fstat(dir, &dst) == 0 && trusted_mode(&dst);
    if (dir >= 0)
        close(dir);
    if (ok)
        return 0;
    return wd_error_set(WD_EPERM, "WD-S013", NULL, 0, 0,
                        "refusing the runner %s: it (or its directory) is not a regular file that "
                        "only root or this user can change",
                        in->runner);
}

/* A process plugin needs the kernel to hand the broker its calls (seccomp user notification
 * with descriptor injection, Linux 5.14): without it, the program would run unmediated. */
static int process_checks(wd_instance *in)
{
    size_t a, b;
    if (wd_notify_sizes(&a, &b) != 0 || wd_mediator_init(&in->med) != 0)
        return wd_error_set(WD_ESANDBOX, "WD-S015", NULL, 0, 0,
                            "this kernel cannot mediate process plugins (seccomp user "
                            "notification is missing): refusing to run %s unmediated",
                            wd_contract_id(in->contract));
    int rc = wd_process_prepare(in);
    if (!rc && wd_sandbox_mediation(NULL) != 1)
        rc = wd_error_set(WD_ESANDBOX, "WD-S015", NULL, 0, 0,
                          "this kernel cannot hand a mediated descriptor over in one step "
                          "(SECCOMP_ADDFD_FLAG_SEND, Linux 5.14): refusing to run %s",
                          wd_contract_id(in->contract));
    return rc;
}

static char *runner_path(const wd_sandbox_options *o)
{
    const char *p = o->runner_path;
    if (!p)
        p = getenv("WARDEN_RUNNER");
    return strdup(p && *p ? p : WD_RUNNER_DEFAULT);
}

/* What this kernel's Landlock cannot do, said once per instance (the runner applies what there
 * is; WD-S001 when it is below the configured minimum). */
static void kernel_notes(wd_instance *in)
{
    int abi = wd_landlock_abi();
    if (abi == 0)
        wd_instance_note(
            in, "no Landlock on this kernel: the plugin can open(2) whatever its user can; only "
                "the broker's answers follow the policy");
    if (abi > 0 && abi < 3)
        wd_instance_note(
            in, "Landlock ABI < 3: truncation of granted files is not controlled by the kernel");
    if (abi > 0 && abi < 4)
        wd_instance_note(
            in, "Landlock ABI < 4: no TCP port rules (the network namespace and seccomp still "
                "leave the plugin no network)");
    if (abi > 0 && abi < 6)
        wd_instance_note(
            in, "Landlock ABI < 6: no signal or abstract-socket scoping (seccomp still allows "
                "kill and tgkill to the plugin itself only, and no F_SETOWN)");
}

int wd_instance_start(wd_instance **out, const wd_contract *contract,
                      const wd_sandbox_options *opts)
{
    *out = NULL;
    if (!contract)
        return wd_fail(WD_EINVAL, "wd_instance_start needs a contract");
    wd_sandbox_options def = WD_SANDBOX_OPTIONS_INIT;
    if (opts && opts->version != 1 && opts->version != WD_SANDBOX_OPTIONS_VERSION)
        return wd_fail(WD_EINVAL, "unknown wd_sandbox_options version %u", opts->version);
    wd_instance *in = calloc(1, sizeof(*in));
    if (!in)
        return wd_fail(WD_ENOMEM, "out of memory");
    in->contract = contract;
    in->opts = def;
    /* A version 1 caller's struct ends before watch. */
    if (opts)
        memcpy(&in->opts, opts,
               opts->version == 1 ? offsetof(wd_sandbox_options, watch) : sizeof(*opts));
    in->memfd = in->sock = -1;
    in->exec_fd = in->program_fd = in->listener = -1;
    in->std_in = in->std_out = in->std_err = -1;
    in->stdio_child[0] = in->stdio_child[1] = in->stdio_child[2] = -1;
    for (int i = 0; i < WD_SYNTH_COUNT; i++)
        in->med.synth[i] = -1;
    in->med.listener = -1;
    in->pid = in->retired = -1;
    in->held = in->opts.policy ? wd_policy_ref(in->opts.policy) : NULL;
    in->broker.policy = in->held ? in->held : wd_contract_policy(contract);
    in->broker.pure = wd_plugin_type_is_policy(wd_contract_type(contract));
    in->broker.overrides = in->opts.overrides_dir;
    in->broker.component = wd_contract_id(contract);
    in->broker.audit = in->opts.audit;
    in->broker.protect_changes = in->opts.protect_changes;
    in->broker.watch = in->opts.watch;
    in->runner_fd = -1;
    in->runner = runner_path(&in->opts);
    int rc = in->runner ? 0 : wd_fail(WD_ENOMEM, "out of memory");
    if (!rc)
        rc = open_runner(in);
    /* warden's own programs and libraries, whoever started the instance and whatever the
     * policy grants: a plugin that rewrote the runner would run outside every sandbox next. */
    if (!rc)
        rc = wd_protected_new_own(&in->own, in->runner, NULL, 0);
    in->broker.protect_own = in->own;
    if (!rc)
        rc = add_protected(in, wd_contract_path(contract));
    if (!rc)
        rc = add_protected(in, wd_contract_library(contract));
    if (!rc && wd_contract_program_inside(contract))
        rc = add_protected(in, wd_contract_program(contract));
    if (!rc)
        rc = add_protected(in, wd_contract_policy_path(contract));
    /* The broker runs in the host: anything under /proc there is the host's (its memory, its
     * environment, any of its threads), never the plugin's to read. */
    if (!rc)
        rc = add_protected(in, "/proc");
    /* Devices act when opened (a watchdog arms, a tape rewinds): the broker never opens one for
     * a plugin, whatever a grant covers; a process plugin's few harmless ones it serves itself. */
    if (!rc)
        rc = add_protected(in, "/dev");
    for (size_t i = 0; !rc && i < in->opts.protected_count; i++)
        rc = add_protected(in, in->opts.protected_paths[i]);
    if (!rc)
        rc = build_environment(in);
    if (!rc)
        rc = build_setup(in);
    if (!rc && wd_contract_runtime(contract) != WD_RUNTIME_NATIVE)
        rc = process_checks(in);
    else if (!rc)
        rc = seal_library(in);
    if (rc) {
        wd_instance_stop(in);
        return rc;
    }
    in->broker.timeout_ms = 5000;
    kernel_notes(in);
    *out = in;
    return 0;
}

void wd_instance_fault_continue_all(wd_instance *in)
{
    in->med.continue_all = 1;
}

const char *wd_instance_describe(const wd_instance *in)
{
    return in && in->describe ? in->describe : "";
}

const char *wd_instance_notes(const wd_instance *in)
{
    return in ? wd_buf_cstr(&in->notes) : "";
}

void wd_instance_stop(wd_instance *in)
{
    if (!in)
        return;
    wd_runner_retire(in);
    wd_runner_finish_retired(in, 100);
    if (in->memfd >= 0)
        close(in->memfd);
    wd_process_release(in);
    wd_mcp_free(in);
    if (in->runner_fd >= 0)
        close(in->runner_fd);
    wd_protected_free(in->own);
    for (size_t i = 0; i < in->broker.protected_count; i++)
        free(in->broker.protected_paths[i]);
    free(in->broker.protected_paths);
    for (char **e = in->env; e && *e; e++)
        free(*e);
    free(in->env);
    free(in->envp);
    free(in->setup);
    free(in->runner);
    free(in->describe);
    wd_buf_free(&in->notes);
    wd_policy_free(in->held);
    free(in);
}

void wd_call_result_clear(wd_call_result *r)
{
    if (!r)
        return;
    free(r->output);
    r->output = NULL;
    r->output_len = 0;
}
