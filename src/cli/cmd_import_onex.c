/* cmd_import_onex.c: warden plugin import-onex ONEX.yaml [-o OUT] [--force] [--handler-root DIR]
 * [--level LEVEL] [--version VERSION]
 *
 * Reads an ONEX handler contract, converts it (registry/onex.c: every error a WD-Lnnn line,
 * every field that is not carried over a note), hashes the handler tree when --handler-root is
 * given, and writes the warden contract to stdout or, atomically and never over an existing file
 * unless --force, to OUT (docs/onex.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "crypto/crypto.h"
#include "registry/codes.h"
#include "registry/contract_int.h"
#include "registry/onex.h"
#include "registry/semver.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/path.h"
#include "util/secure.h"

static const char import_usage[] =
    "usage: warden plugin import-onex HANDLER_CONTRACT.yaml [-o OUT.yaml] [--force]\n"
    "                 [--handler-root DIR] [--level LEVEL] [--version VERSION]\n\n"
    "Converts an ONEX handler contract into a warden contract for runtime: python\n"
    "(docs/onex.md). Every field that is not carried over, or is changed on the way, is a\n"
    "note on stderr (FILE:LINE:COL: note: ...) and a comment at the top of the output.\n"
    "With --handler-root, handler_root and sha256 (the tree hash) are filled in; DIR must\n"
    "lie inside the output's directory. The policy the output names is not written: until\n"
    "it is, write the deny-all policy (version: \"1.0\").\n"
    "Errors: FILE:LINE:COL: error WD-Lnnn: message; exit 0 written, 2 refused or error.\n";

/* ---- the handler root ------------------------------------------------------------------- */

/* handler_root as the contract writes it: DIR relative to the contract's directory, inside it
 * and not the directory itself (the tree would then hash the contract that holds its hash).
 * Each step down from the contract's directory is opened without following a link. */
static int handler_root(const char *dir, const char *out_path, char *rel, size_t rel_size,
                        char hex[static 65])
{
    char raw[WD_PATH_MAX], base[WD_PATH_MAX], root[WD_PATH_MAX];
    bool esc = false;
    if (cli_absolute(out_path ? out_path : "x", raw, sizeof(raw)) != 0 ||
        wd_path_normalize(raw, base, sizeof(base), &esc) != 0 || esc)
        return wd_fail(WD_EINVAL, "the output path is too long");
    *strrchr(base, '/') = '\0'; /* its directory ("" for "/") */
    if (cli_absolute(dir, raw, sizeof(raw)) != 0 ||
        wd_path_normalize(raw, root, sizeof(root), &esc) != 0 || esc)
        return wd_error_set(WD_EINVAL, WD_L_PERMISSION, dir, 0, 0, "not a usable path");
    size_t bl = strlen(base);
    if (strncmp(root, base, bl) != 0 || root[bl] != '/' || root[bl + 1] == '\0')
        return wd_error_set(WD_EPERM, WD_L_PERMISSION, dir, 0, 0,
                            "the handler root must lie inside the contract's directory %s (and "
                            "not be that directory)",
                            *base ? base : "/");
    if (snprintf(rel, rel_size, "%s", root + bl + 1) >= (int)rel_size)
        return wd_fail(WD_EINVAL, "the handler root's path is too long");
    /* The library's reader: the same walk, refusals and hash the runtime checks at load. */
    wd_handler_tree *t = NULL;
    int rc = wd_handler_tree_read_at(*base ? base : "/", root, &t);
    if (!rc && wd_handler_tree_count(t) == 0)
        rc = wd_error_set(WD_EPOLICY, WD_L_HANDLER_TREE, dir, 0, 0,
                          "the handler tree holds no file");
    if (!rc)
        wd_hex_encode(wd_handler_tree_hash(t), WD_SHA256_LEN, hex);
    wd_handler_tree_free(t);
    return rc;
}

/* ---- writing ---------------------------------------------------------------------------- */

/* Writes text to path through a temporary file in the same directory, synced, then linked into
 * place (refused if path exists) or, with force, renamed over it; then the directory is synced.
 * A crash leaves the old file or the new one, never a part. */
static int write_atomic(const char *path, const char *text, size_t len, bool force)
{
    char tmp[WD_PATH_MAX + 16];
    if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
        return wd_fail(WD_EINVAL, "%s: path too long", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return wd_fail(WD_EIO, "cannot write %s: %s", path, strerror(errno));
    int rc = fchmod(fd, 0644) || wd_write_all(fd, text, len) || fsync(fd) ? -1 : 0;
    int e = errno;
    if (close(fd) != 0 && !rc)
        rc = -1, e = errno;
    if (!rc) {
        rc = force ? rename(tmp, path) : link(tmp, path);
        e = errno;
    }
    if (rc || !force)
        unlink(tmp);
    if (rc)
        return e == EEXIST ? wd_fail(WD_EBUSY, "%s exists: --force replaces it", path)
                           : wd_fail(WD_EIO, "cannot write %s: %s", path, strerror(e));
    char dir[WD_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* ---- the command ------------------------------------------------------------------------ */

static int read_onex(const char *path, char **data, size_t *len)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return wd_error_set(WD_EIO, WD_L_NOT_FILE, path, 0, 0, "not a regular file");
    int rc = wd_file_read(path, WD_CONTRACT_MAX_FILE_SIZE, data, len, WD_L_READ, WD_L_SIZE);
    if (rc == WD_ENOTFOUND)
        rc = wd_error_set(WD_ENOTFOUND, WD_L_NOT_FOUND, path, 0, 0, "no such file");
    else if (rc == WD_ERANGE)
        rc = wd_error_set(WD_EPOLICY, WD_L_SIZE, path, 0, 0, "%s", wd_error_last()->message);
    return rc;
}

static int convert(const char *path, const wd_onex_options *o, wd_buf *out)
{
    char *data = NULL;
    size_t len = 0;
    if (read_onex(path, &data, &len) != 0) {
        cli_error(NULL);
        return EXIT_USAGE;
    }
    wd_diagnostics *errors = NULL;
    wd_buf notes = WD_BUF_INIT;
    int rc = wd_diagnostics_new(&errors);
    if (!rc)
        rc = wd_onex_convert(data, len, o, errors, out, &notes);
    free(data);
    if (rc == WD_EPOLICY)
        cli_print_diags(errors, 0);
    else if (rc)
        fprintf(stderr, "warden: %s: %s\n", path,
                rc == WD_ENOMEM ? "out of memory" : "cannot convert");
    else
        fputs(wd_buf_cstr(&notes), stderr);
    wd_buf_free(&notes);
    wd_diagnostics_free(errors);
    return rc ? EXIT_USAGE : 0;
}

int cmd_plugin_import_onex(int argc, char **argv)
{
    const char *out = NULL, *root = NULL, *level = NULL, *version = NULL;
    bool force = false;
    const cli_opt opts[] = {
        {.name = "output",
         .alias = 'o',
         .kind = CLI_STRING,
         .dest = &out,
         .arg = "OUT.yaml",
         .help = "write the contract here (atomically) instead of to stdout"},
        {.name = "force", .kind = CLI_FLAG, .dest = &force, .help = "replace an existing OUT"},
        {.name = "handler-root",
         .kind = CLI_STRING,
         .dest = &root,
         .arg = "DIR",
         .help = "the directory holding the handler's package: fills handler_root and sha256"},
        {.name = "level",
         .kind = CLI_STRING,
         .dest = &level,
         .arg = "LEVEL",
         .help = "the author's security level (over the ONEX contract's own)"},
        {.name = "version",
         .kind = CLI_STRING,
         .dest = &version,
         .arg = "VERSION",
         .help = "the version, strict SemVer (over handler_version)"},
        {0},
    };
    const cli_spec spec = {
        .prog = "warden", .command = "plugin import-onex", .usage = import_usage, .opts = opts};
    cli_args files;
    int status = cli_parse(argc, argv, &spec, &files);
    if (status != CLI_PARSED)
        return status;
    if (files.n != 1) {
        cli_usage(stderr, &spec);
        return EXIT_USAGE;
    }
    wd_security_level lv;
    wd_semver sv;
    const char *why = "";
    if (level && wd_security_level_parse(level, &lv) != 0) {
        fprintf(stderr, "warden: --level: unknown security level (UNOFFICIAL, OFFICIAL, "
                        "OFFICIAL_SENSITIVE, PROTECTED, SECRET)\n");
        return EXIT_USAGE;
    }
    if (version &&
        (strlen(version) > 64 || !wd_semver_parse(version, strlen(version), &sv, &why))) {
        fprintf(stderr, "warden: --version: not SemVer 2.0.0: %s\n", *why ? why : "too long");
        return EXIT_USAGE;
    }
    struct stat st;
    if (out && !force && lstat(out, &st) == 0) {
        fprintf(stderr, "warden: %s exists: --force replaces it\n", out);
        return EXIT_USAGE;
    }
    char rel[WD_PATH_MAX], hex[65];
    if (root && handler_root(root, out, rel, sizeof(rel), hex) != 0) {
        cli_error("--handler-root");
        return EXIT_USAGE;
    }
    const wd_onex_options o = {.file = files.v[0],
                               .level = level,
                               .version = version,
                               .handler_root = root ? rel : NULL,
                               .tree_sha256 = root ? hex : NULL};
    wd_buf text = WD_BUF_INIT;
    status = convert(files.v[0], &o, &text);
    if (!status && !out) {
        fputs(wd_buf_cstr(&text), stdout);
        if (fflush(stdout) != 0) {
            fprintf(stderr, "warden: cannot write the contract: %s\n", strerror(errno));
            status = EXIT_USAGE;
        }
    } else if (!status) {
        if (write_atomic(out, text.data, text.len, force) != 0) {
            cli_error(NULL);
            status = EXIT_USAGE;
        } else {
            fprintf(stderr,
                    "warden: wrote %s; write its policy file policy.yaml (deny-all: "
                    "version: \"1.0\") before loading it\n",
                    out);
        }
    }
    wd_buf_free(&text);
    return status;
}
