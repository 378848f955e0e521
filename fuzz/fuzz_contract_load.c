/* fuzz_contract_load.c: arbitrary bytes as a plugin's contract.yaml, native, process or python.
 * The input is written to a private directory holding a small program (tool.sh), a policy file
 * and a Python handler tree (src/pkg), so contract-relative programs, handler trees, policies
 * and hashes can all succeed. A contract that loads must
 * keep the promises of contract.h (one runtime's fields only, paths absolute and normalised,
 * bounded args and runtime roots); one that does not must say why with a WD-L or WD-P id; the
 * program and interpreter openers must leave no descriptor behind. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "warden/contract.h"
#include "warden/diag.h"
#include "warden/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bytes of tool.sh; the corpus's relative-program contracts carry their SHA-256,
 * bfdeaeb08cffb6a36438bcd12dda25417e3cdd36f1e7e482a2849d539225288b. */
static const char tool[] = "#!/bin/sh\necho hello\n";
static const char policy[] = "version: \"1.0\"\n";
/* A Python handler's tree (src/pkg/__init__.py, src/pkg/mod.py); the corpus's python contracts
 * carry its tree hash. */
static const char handler[] = "class C:\n    def execute(self, input):\n        return input\n";

static char dir[256], path[300];

static void write_file(const char *name, const void *bytes, size_t len)
{
    char p[300];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, bytes, len) != (ssize_t)len)
        abort();
    close(fd);
}

static void cleanup(void)
{
    static const char *const names[] = {"contract.yaml", "tool.sh", "policy.yaml",
                                        "src/pkg/__init__.py", "src/pkg/mod.py"};
    char p[300];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        unlink(p);
    }
    snprintf(p, sizeof(p), "%s/src/pkg", dir);
    rmdir(p);
    snprintf(p, sizeof(p), "%s/src", dir);
    rmdir(p);
    rmdir(dir);
}

static void prepare(void)
{
    if (dir[0])
        return;
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/fuzz-contract-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof(path), "%s/contract.yaml", dir);
    atexit(cleanup);
    write_file("tool.sh", tool, sizeof(tool) - 1);
    write_file("policy.yaml", policy, sizeof(policy) - 1);
    char p[300];
    snprintf(p, sizeof(p), "%s/src", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/src/pkg", dir);
    mkdir(p, 0755);
    write_file("src/pkg/__init__.py", "", 0);
    write_file("src/pkg/mod.py", handler, sizeof(handler) - 1);
}

static bool one_line(const char *s)
{
    return !strpbrk(s, "\n\r");
}

static void check_normal(const char *s)
{
    if (!s || s[0] != '/' || strstr(s, "//") || strstr(s, "/./") || strstr(s, "/../"))
        abort();
    size_t n = strlen(s);
    if ((n > 1 && s[n - 1] == '/') || (n >= 3 && !strcmp(s + n - 3, "/..")))
        abort();
}

static void check_diagnostics(const wd_diagnostics *d, size_t first, int rc)
{
    size_t errors = 0;
    for (size_t i = first; i < wd_diagnostics_count(d); i++) {
        const wd_diag *g = wd_diagnostics_get(d, i);
        if (!g || !g->id || !g->message || !one_line(g->message))
            abort();
        if (strncmp(g->id, "WD-L", 4) && strncmp(g->id, "WD-P", 4))
            abort(); /* a contract speaks in its own ids and its policy's */
        errors += g->severity == WD_DIAG_ERROR;
    }
    if (rc == WD_EPOLICY && !errors)
        abort(); /* refused without saying why */
}

static void check_process(const wd_contract *c)
{
    static const uint8_t zero[32];
    if (wd_contract_library(c) || wd_contract_abi(c) != 0)
        abort();
    check_normal(wd_contract_program(c));
    if (wd_contract_protocol(c) != WD_PROTOCOL_STDIO &&
        wd_contract_protocol(c) != WD_PROTOCOL_JSON_LINES)
        abort();
    if (wd_contract_interpreter(c))
        check_normal(wd_contract_interpreter(c));
    size_t n = wd_contract_arg_count(c);
    if (n > WD_CONTRACT_MAX_ARGS || wd_contract_arg(c, n))
        abort();
    for (size_t i = 0; i < n; i++)
        if (!wd_contract_arg(c, i) || strlen(wd_contract_arg(c, i)) > WD_CONTRACT_MAX_ARG_LEN)
            abort();
    n = wd_contract_runtime_root_count(c);
    if (n > WD_CONTRACT_MAX_RUNTIME_ROOTS || wd_contract_runtime_root(c, n))
        abort();
    for (size_t i = 0; i < n; i++) {
        const char *r = wd_contract_runtime_root(c, i);
        check_normal(r);
        if (!strcmp(r, "/") || !strncmp(r, "/etc", 4) || !strncmp(r, "/proc", 5) ||
            !strncmp(r, "/tmp", 4) || !strncmp(r, "/home", 5))
            abort();
    }
    int fd = -1;
    int rc = wd_contract_open_program(c, &fd);
    if ((rc == 0) != (fd >= 0))
        abort();
    if (fd >= 0) {
        /* exactly the checked bytes, from the start: a relative program always hashed, an
         * absolute one whenever it has a sha256 (else it is all zero) */
        uint8_t got[WD_SHA256_LEN];
        wd_hasher *h = NULL;
        bool relative = !strncmp(wd_contract_program(c), dir, strlen(dir));
        if (wd_hasher_new(&h) == 0 && wd_sha256_fd(h, fd, got) == 0 &&
            memcmp(got, wd_contract_sha256(c), sizeof(got)) != 0 &&
            (relative || memcmp(wd_contract_sha256(c), zero, sizeof(zero)) != 0))
            abort();
        wd_hasher_free(h);
        close(fd);
    }
    rc = wd_contract_open_interpreter(c, &fd);
    if (rc == 0 && !wd_contract_interpreter(c) ? fd != -1 : (rc == 0) != (fd >= 0))
        abort();
    if (fd >= 0)
        close(fd);
}

static void check_native(const wd_contract *c)
{
    check_normal(wd_contract_library(c));
    if (strncmp(wd_contract_library(c), dir, strlen(dir)) != 0)
        abort(); /* inside the contract's directory */
    if (wd_contract_program(c) || wd_contract_interpreter(c) || wd_contract_arg_count(c) ||
        wd_contract_runtime_root_count(c) || wd_contract_protocol(c) != WD_PROTOCOL_NONE)
        abort();
    int fd = -1;
    if (wd_contract_open_program(c, &fd) != WD_EINVAL || fd != -1)
        abort();
}

static void check_python(const wd_contract *c)
{
    if (wd_contract_library(c) || wd_contract_program(c) || wd_contract_arg_count(c) ||
        wd_contract_protocol(c) != WD_PROTOCOL_PYTHON || !wd_contract_handler_class(c))
        abort();
    check_normal(wd_contract_interpreter(c));
    check_normal(wd_contract_handler_root(c));
    if (strncmp(wd_contract_handler_root(c), dir, strlen(dir)) != 0 ||
        wd_contract_handler_root(c)[strlen(dir)] != '/')
        abort(); /* strictly inside the contract's directory */
    if (wd_contract_lifecycle(c) != WD_LIFECYCLE_FRESH &&
        wd_contract_lifecycle(c) != WD_LIFECYCLE_WARM)
        abort();
    /* loaded: the tree hashed to sha256, so reading it again gives the same files */
    wd_handler_tree *t = NULL;
    if (wd_contract_read_handler_tree(c, &t) != 0 || wd_handler_tree_count(t) == 0)
        abort();
    wd_handler_tree_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prepare();
    write_file("contract.yaml", data, size);
    wd_diagnostics *diags = NULL;
    if (wd_diagnostics_new(&diags) != 0)
        return 0;
    wd_contract_options o = WD_CONTRACT_OPTIONS_INIT;
    o.diagnostics = diags;
    wd_contract *c = NULL;
    int rc = wd_contract_load(&c, path, &o);
    check_diagnostics(diags, 0, rc);
    if (rc == 0) {
        if (!c || !wd_contract_id(c) || !wd_contract_version(c) || !wd_contract_level(c))
            abort();
        if (wd_contract_runtime(c) == WD_RUNTIME_PROCESS)
            check_process(c);
        else if (wd_contract_runtime(c) == WD_RUNTIME_NATIVE)
            check_native(c);
        else if (wd_contract_runtime(c) == WD_RUNTIME_PYTHON)
            check_python(c);
        else
            abort();
    } else if (c) {
        abort();
    }
    wd_contract_free(c);
    wd_diagnostics_free(diags);
    return 0;
}
