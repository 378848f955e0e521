/* process_python.c: Python handlers (runtime: python; process.h, docs/plugins.md).
 *
 * A handler is a class in a tree of Python files. It runs as a process plugin whose program is
 * warden's own bootstrap (src/sandbox/python/bootstrap.py, embedded in the library at build
 * time and served to the interpreter from a sealed memory file, as a script program is served
 * from its verified copy), with the contract's interpreter in isolated mode. The handler's
 * files are read once, checked against the contract's sha256 and sent to the bootstrap in the
 * first line of the protocol: the interpreter imports the handler from those bytes, never from
 * the disk. The import itself runs confined, so what a module does at import time is decided
 * and recorded like everything else the handler does.
 *
 * Every answer is one JSON line, {"ok": true, "output": TEXT} or {"ok": false, "code":
 * "WD-Snnn", "message": TEXT}; the call loop (process_call.c) serves the broker meanwhile,
 * exactly as for json-lines, and hands the line here. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "sandbox/codes.h"
#include "sandbox/instance_int.h"
#include "sandbox/process.h"
#include "util/error.h"
#include "util/path.h"
#include "util/utf8.h"

extern const unsigned char wd_python_bootstrap[];
extern const size_t wd_python_bootstrap_len;
extern const unsigned char wd_python_warden[];
extern const size_t wd_python_warden_len;

/* Where the interpreter finds its script: a name only, served from memory by the broker before
 * any policy is consulted (mediate.c), never looked for on the disk. */
#define BOOTSTRAP_PATH "/.warden/python/bootstrap.py"

/* The codes an answer may carry: the handler's own failures. The bootstrap's process runs the
 * handler's module (and, warm, the handler itself), so its words are judged like the plugin's:
 * a code that says the sandbox contained something (a crash, a forbidden call, a timeout) is
 * the host's to tell, and one claimed in an answer is a malformed answer. */
static const int answer_codes[] = {WD_S_INIT, WD_S_FAILED, WD_S_INPUT, WD_S_LOAD, WD_S_ASYNC};

static json_t *tree_files(const wd_handler_tree *t)
{
    json_t *files = json_array();
    for (size_t i = 0; files && i < wd_handler_tree_count(t); i++) {
        size_t len = 0;
        const uint8_t *data = wd_handler_tree_data(t, i, &len);
        size_t cap = 4 * ((len + 2) / 3) + 1;
        char *b64 = malloc(cap);
        json_t *pair = NULL;
        if (b64) {
            int n = EVP_EncodeBlock((unsigned char *)b64, data, (int)len);
            pair = json_pack("[s, s%]", wd_handler_tree_path(t, i), b64, (size_t)(n < 0 ? 0 : n));
        }
        free(b64);
        if (!pair || json_array_append_new(files, pair) != 0) {
            json_decref(files);
            return NULL;
        }
    }
    return files;
}

/* The first line the bootstrap reads: everything it needs, nothing it must look for. */
static int build_load(wd_instance *in, const wd_handler_tree *t)
{
    const wd_contract *c = in->contract;
    json_t *config = json_loads(wd_contract_config(c), 0, NULL);
    json_t *files = tree_files(t);
    json_t *msg = config && files
                      ? json_pack("{s:i, s:s, s:s, s:s, s:s, s:O, s:s%, s:O}", "v", 1, "component",
                                  wd_contract_id(c), "handler_class", wd_contract_handler_class(c),
                                  "root", wd_contract_handler_root(c), "lifecycle",
                                  wd_contract_lifecycle(c) == WD_LIFECYCLE_WARM ? "warm" : "fresh",
                                  "config", config, "warden", (const char *)wd_python_warden,
                                  wd_python_warden_len, "files", files)
                      : NULL;
    in->python_load = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    in->python_load_len = in->python_load ? strlen(in->python_load) : 0;
    json_decref(config);
    json_decref(files);
    json_decref(msg);
    return in->python_load ? 0 : wd_fail(WD_ENOMEM, "out of memory building the handler's load");
}

/* The bootstrap as the program: a sealed copy of the embedded bytes. */
static int seal_bootstrap(wd_instance *in)
{
    int fd = memfd_create("warden-python-bootstrap", MFD_CLOEXEC);
    if (fd < 0)
        return wd_fail(WD_EIO, "cannot hold the Python bootstrap: %s", strerror(errno));
    size_t off = 0;
    while (off < wd_python_bootstrap_len) {
        ssize_t n = write(fd, wd_python_bootstrap + off, wd_python_bootstrap_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return wd_fail(WD_EIO, "cannot hold the Python bootstrap: %s", strerror(errno));
        }
        off += (size_t)n;
    }
    lseek(fd, 0, SEEK_SET);
    int rc = wd_process_seal(in, fd, NULL);
    close(fd);
    if (!rc && !(in->program_path = strdup(BOOTSTRAP_PATH)))
        rc = wd_fail(WD_ENOMEM, "out of memory");
    return rc;
}

/* The interpreter's own standard library, when it lives outside the base roots (a python3
 * under /usr/local or /opt): PREFIX/lib/pythonX.Y for an interpreter PREFIX/bin/pythonX.Y. */
static int stdlib_root(wd_instance *in, const char *interp_real)
{
    const char *base = strrchr(interp_real, '/');
    unsigned major, minor;
    char tail;
    if (!base || sscanf(base + 1, "python%u.%u%c", &major, &minor, &tail) != 2)
        return 0;
    char prefix[PATH_MAX], lib[PATH_MAX + 32];
    snprintf(prefix, sizeof(prefix), "%.*s", (int)(base - interp_real), interp_real);
    char *bin = strrchr(prefix, '/');
    if (!bin || strcmp(bin, "/bin") != 0)
        return 0;
    *bin = 0;
    snprintf(lib, sizeof(lib), "%s/lib/python%u.%u", prefix[0] ? prefix : "", major, minor);
    struct stat st;
    if (!strncmp(lib, "/usr/lib/", 9) || stat(lib, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    return wd_process_add_root(in, lib);
}

static int describe_first(wd_instance *in, const char *interp_real)
{
    const wd_contract *c = in->contract;
    json_t *d =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "runtime", "python", "handler_class",
                  wd_contract_handler_class(c), "handler_root", wd_contract_handler_root(c),
                  "lifecycle", wd_contract_lifecycle(c) == WD_LIFECYCLE_WARM ? "warm" : "fresh",
                  "interpreter", interp_real);
    free(in->describe);
    in->describe = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    return in->describe ? 0 : wd_fail(WD_ENOMEM, "out of memory");
}

int wd_python_prepare(wd_instance *in)
{
    wd_handler_tree *t = NULL;
    int interp = -1;
    char interp_real[PATH_MAX];
    int rc = wd_contract_read_handler_tree(in->contract, &t);
    if (!rc)
        rc = build_load(in, t);
    wd_handler_tree_free(t);
    if (!rc)
        rc = wd_contract_open_interpreter(in->contract, &interp);
    if (!rc && (interp < 0 || wd_process_fd_real(interp, interp_real, sizeof(interp_real)) != 0))
        rc = wd_fail(WD_EIO, "cannot tell where the interpreter is");
    if (!rc)
        rc = seal_bootstrap(in);
    if (rc) {
        if (interp >= 0)
            close(interp);
        return rc;
    }
    in->exec_fd = interp;
    rc = wd_process_roots(in, interp_real);
    if (!rc)
        rc = stdlib_root(in, interp_real);
    /* Isolated (-I: no environment, no user site, no script directory on sys.path), without
     * site-packages (-S: the handler's imports are the standard library and its own tree) and
     * writing no bytecode (-B). */
    const char *argv[] = {interp_real, "-I", "-S", "-B", in->program_path};
    if (!rc)
        rc = wd_process_setup(in, argv, sizeof(argv) / sizeof(*argv));
    if (!rc)
        rc = describe_first(in, interp_real);
    return rc;
}

/* What describe() answered, with what warden knows of the handler beside it ("warden"). */
static void describe_loaded(wd_instance *in, const char *text, size_t len)
{
    json_t *mine = json_loads(in->describe, 0, NULL);
    json_t *theirs = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *d = json_is_object(theirs) ? json_copy(theirs) : json_object();
    if (d && theirs && !json_is_object(theirs))
        json_object_set_new(d, "description",
                            json_is_string(theirs) ? json_incref(theirs)
                                                   : json_string("(describe() was no object)"));
    if (d && mine)
        json_object_set(d, "warden", mine);
    char *out = d ? json_dumps(d, JSON_COMPACT) : NULL;
    if (out) {
        free(in->describe);
        in->describe = out;
    }
    json_decref(mine);
    json_decref(theirs);
    json_decref(d);
}

int wd_python_load(wd_instance *in, wd_call_result *res, uint64_t deadline)
{
    wd_buf out = WD_BUF_INIT;
    wd_buf_append(&out, "", 0);
    in->python_seq = 0;
    int code = wd_process_call(in, in->python_load, in->python_load_len, deadline, res, &out);
    if (!code && !out.oom)
        describe_loaded(in, out.data, out.len);
    else if (code == WD_S_FAILED) /* a handler that refused to describe itself did not load */
        code = WD_S_LOAD;
    wd_buf_free(&out);
    return code;
}

static int answer_code(const char *id)
{
    int n;
    char tail;
    if (!id || sscanf(id, "WD-S%3d%c", &n, &tail) != 1 || strlen(id) != 7)
        return 0;
    for (size_t i = 0; i < sizeof(answer_codes) / sizeof(*answer_codes); i++)
        if (answer_codes[i] == n)
            return n;
    return 0;
}

int wd_python_answer(wd_instance *in, wd_call_result *res, wd_buf *out)
{
    json_t *a = json_loadb(out->data ? out->data : "", out->len, JSON_REJECT_DUPLICATES, NULL);
    json_t *ok = json_object_get(a, "ok"), *output = json_object_get(a, "output");
    json_t *seq = json_object_get(a, "seq"), *message = json_object_get(a, "message");
    const char *code = json_string_value(json_object_get(a, "code"));
    int rc;
    /* An answer to another request than the one in progress (a line the handler wrote on the
     * protocol, or the real answer after it) is never taken for this call's. */
    bool current = json_is_integer(seq) && json_integer_value(seq) >= 0 &&
                   (uint64_t)json_integer_value(seq) == in->python_seq;
    in->python_seq++;
    if (!current) {
        snprintf(res->message, sizeof(res->message),
                 "the Python handler's process answered out of turn (a line it wrote on the "
                 "protocol itself): refused");
        wd_buf_clear(out);
        rc = WD_S_PROTOCOL;
    } else if (json_is_true(ok) && json_is_string(output)) {
        wd_buf_clear(out);
        wd_buf_append(out, json_string_value(output), json_string_length(output));
        rc = 0;
    } else if (json_is_false(ok) && (rc = answer_code(code)) != 0 && json_is_string(message)) {
        /* The handler's words, on one line of text: it may not start a line of its own where
         * the message is shown, nor write to the terminal that shows it. */
        wd_utf8_printable(json_string_value(message), json_string_length(message), res->message,
                          sizeof(res->message), NULL);
        wd_buf_clear(out);
    } else {
        snprintf(res->message, sizeof(res->message),
                 "the Python handler's process sent a malformed answer");
        wd_buf_clear(out);
        rc = WD_S_PROTOCOL;
    }
    json_decref(a);
    return rc;
}
