/* contract.h: plugin contracts, author-owned security levels and pipelines.
 *
 * Lifecycle: wd_contract_load() reads and validates a contract.yaml (and the policy it names),
 * -> inspect it with the accessors -> wd_contract_free(). A loaded contract is immutable.
 * A contract is code: it is validated strictly (unknown keys, anchors, wrong types are errors)
 * and an operator's config can never set what the author owns (security level, downgrade
 * permission). Library hashes are checked by wd_contract_verify_library(). */
#ifndef WARDEN_CONTRACT_H
#define WARDEN_CONTRACT_H

#include "common.h"
#include "diag.h"
#include "policy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wd_contract wd_contract;

#define WD_CONTRACT_MAX_FILE_SIZE (10u * 1024u * 1024u)
/* The plugin ABI this host speaks; a contract declaring another cannot register (WD-L011). */
#define WD_PLUGIN_ABI_VERSION 1
#define WD_PLUGIN_ID_MAX 128

typedef enum {
    WD_PLUGIN_COMPUTE = 1,
    WD_PLUGIN_EFFECT = 2,
    WD_PLUGIN_NONDETERMINISTIC_COMPUTE = 3,
    WD_PLUGIN_ORCHESTRATOR = 4, /* policy plugin */
    WD_PLUGIN_REDUCER = 5       /* policy plugin */
} wd_plugin_type;

/* Security levels, in increasing order. Compared as numbers, never as strings. */
typedef enum {
    WD_LEVEL_UNOFFICIAL = 1,
    WD_LEVEL_OFFICIAL = 2,
    WD_LEVEL_OFFICIAL_SENSITIVE = 3,
    WD_LEVEL_PROTECTED = 4,
    WD_LEVEL_SECRET = 5
} wd_security_level;

typedef struct {
    unsigned version;
    const char *display_name;    /* name used in diagnostics; NULL: the path */
    wd_diagnostics *diagnostics; /* optional: every error and warning */
} wd_contract_options;

#define WD_CONTRACT_OPTIONS_VERSION 1
#define WD_CONTRACT_OPTIONS_INIT                                                                   \
    {                                                                                              \
        WD_CONTRACT_OPTIONS_VERSION, NULL, NULL                                                    \
    }

/* Loads path (a contract.yaml). Returns WD_OK, WD_ENOTFOUND / WD_EIO (cannot read),
 * WD_EPOLICY (invalid: see the diagnostics, ids WD-Lnnn), WD_ENOMEM. */
WD_EXPORT int wd_contract_load(wd_contract **out, const char *path,
                               const wd_contract_options *opts);
WD_EXPORT void wd_contract_free(wd_contract *contract);

WD_EXPORT const char *wd_contract_id(const wd_contract *c);
WD_EXPORT wd_plugin_type wd_contract_type(const wd_contract *c);
WD_EXPORT const char *wd_contract_version(const wd_contract *c);   /* as written */
WD_EXPORT const char *wd_contract_library(const wd_contract *c);   /* absolute path */
WD_EXPORT const uint8_t *wd_contract_sha256(const wd_contract *c); /* 32 bytes */
WD_EXPORT unsigned wd_contract_abi(const wd_contract *c);
WD_EXPORT wd_security_level wd_contract_level(const wd_contract *c);
WD_EXPORT int wd_contract_allow_downgrade(const wd_contract *c);
/* The compiled policy (from the file it names, or inline); NULL for none. */
WD_EXPORT const wd_policy *wd_contract_policy(const wd_contract *c);
/* SHA-256 (32 bytes) of the policy file's bytes exactly as they were read and compiled, or NULL
 * when the policy is inline (then it is part of the contract's own bytes) or absent. A contract
 * may pin it with `policy_sha256:`; a file that no longer hashes to the pin does not load
 * (WD-L024). */
WD_EXPORT const uint8_t *wd_contract_policy_sha256(const wd_contract *c);
/* The validated operator config as compact JSON text ("{}" when none). */
WD_EXPORT const char *wd_contract_config(const wd_contract *c);
WD_EXPORT size_t wd_contract_tag_count(const wd_contract *c);
WD_EXPORT const char *wd_contract_tag(const wd_contract *c, size_t i);

/* ---- process plugins ---------------------------------------------------------------------
 * `runtime: native` (the default) is a shared object loaded into the sandboxed runner;
 * `runtime: process` is any program, run unmodified under the broker, with `program:` and
 * `protocol:` instead of `library:` and `abi:` (docs/contracts.md, "Process plugins"). For a
 * process plugin wd_contract_library() is NULL, wd_contract_abi() 0, and wd_contract_sha256()
 * the program's hash (all zero when an absolute program gives none). */
typedef enum { WD_RUNTIME_NATIVE = 0, WD_RUNTIME_PROCESS = 1, WD_RUNTIME_PYTHON = 2 } wd_runtime;
typedef enum {
    WD_PROTOCOL_NONE = 0, /* native plugins */
    WD_PROTOCOL_STDIO = 1,
    WD_PROTOCOL_JSON_LINES = 2,
    WD_PROTOCOL_MCP = 3,   /* a stdio MCP server: its tools are the plugin's calls */
    WD_PROTOCOL_PYTHON = 4 /* runtime: python, warden's own handler protocol */
} wd_protocol;

#define WD_CONTRACT_MAX_ARGS 64
#define WD_CONTRACT_MAX_ARG_LEN 4096
#define WD_CONTRACT_MAX_RUNTIME_ROOTS 32

WD_EXPORT wd_runtime wd_contract_runtime(const wd_contract *c);
WD_EXPORT wd_protocol wd_contract_protocol(const wd_contract *c);
WD_EXPORT const char *wd_contract_program(const wd_contract *c);     /* absolute; NULL: native */
WD_EXPORT const char *wd_contract_interpreter(const wd_contract *c); /* absolute, or NULL */
WD_EXPORT size_t wd_contract_arg_count(const wd_contract *c);
WD_EXPORT const char *wd_contract_arg(const wd_contract *c, size_t i);
WD_EXPORT size_t wd_contract_runtime_root_count(const wd_contract *c);
/* Absolute, normalised, under /usr, /lib, /lib32, /lib64, /bin, /sbin or /opt. */
WD_EXPORT const char *wd_contract_runtime_root(const wd_contract *c, size_t i);
/* Opens the program and returns a descriptor of exactly the checked bytes (O_RDONLY, rewound;
 * the caller closes it). A contract-relative program is opened as the library is, but beneath
 * the contract's directory with no symbolic link anywhere on the way, and compared with
 * `sha256:`; an absolute one must be a regular file owned by root and writable by neither group
 * nor others, reached through directories (and links in directories) with the same property
 * up to "/", and is compared with `sha256:` when the contract gives one. Returns WD_OK,
 * WD_ENOTFOUND (WD-L008, or WD-L027 for an absolute program), WD_EPOLICY (WD-L009, hash),
 * WD_EPERM (WD-L018 a link, WD-L027 not trustworthy) or WD_EIO. */
WD_EXPORT int wd_contract_open_program(const wd_contract *c, int *fd);
/* Opens the interpreter (O_PATH | O_CLOEXEC) and checks it by descriptor: regular, executable,
 * owned by root, writable by neither group nor others, and the same for every directory up to
 * "/" (links followed only inside such directories). WD_OK (*fd set; -1 when the contract
 * names no interpreter), WD_ENOTFOUND or WD_EPERM (WD-L027), WD_EIO. */
WD_EXPORT int wd_contract_open_interpreter(const wd_contract *c, int *fd);

/* ---- Python handlers (runtime: python) ---------------------------------------------------
 * A handler class (`handler_class: pkg.module.Class`) in a package tree (`handler_root:`,
 * relative to the contract) whose every file is hashed into `sha256:` (docs/contracts.md, "The
 * tree hash": sha256sum's manifest of the files, sorted bytewise, caches skipped). The runtime's
 * interpreter is wd_contract_interpreter() (/usr/bin/python3 unless the contract names
 * another); wd_contract_program() and wd_contract_library() are NULL, wd_contract_protocol()
 * WD_PROTOCOL_PYTHON and wd_contract_sha256() the tree hash, which the review signature and the
 * approved list bind as they bind a library's. The tree is read and compared at load (WD-L009,
 * WD-L018, WD-L028) and the class's module must be in it at a package boundary (WD-L029). */
typedef enum {
    WD_LIFECYCLE_FRESH = 0, /* a fresh handler object in a fresh process for every call */
    WD_LIFECYCLE_WARM = 1   /* one handler object: initialize() once, execute() per call */
} wd_lifecycle;

#define WD_HANDLER_MAX_FILES 4096
#define WD_HANDLER_MAX_BYTES (16u * 1024u * 1024u)

WD_EXPORT const char *wd_contract_handler_class(const wd_contract *c); /* NULL: not python */
WD_EXPORT const char *wd_contract_handler_root(const wd_contract *c);  /* absolute */
WD_EXPORT wd_lifecycle wd_contract_lifecycle(const wd_contract *c);

/* The handler's files, read once, hashed as read and compared with `sha256:`: whoever runs the
 * handler runs exactly these bytes, never the files again. */
typedef struct wd_handler_tree wd_handler_tree;
/* WD_OK, WD_ENOTFOUND (WD-L008), WD_EPOLICY (WD-L009: the tree no longer hashes to sha256;
 * WD-L028: a file that may not be in a handler tree, or too many or too large), WD_EPERM
 * (WD-L018, a link) or WD_EIO. */
WD_EXPORT int wd_contract_read_handler_tree(const wd_contract *c, wd_handler_tree **out);
WD_EXPORT size_t wd_handler_tree_count(const wd_handler_tree *t);
/* Relative to the handler root, '/'-separated, sorted bytewise. */
WD_EXPORT const char *wd_handler_tree_path(const wd_handler_tree *t, size_t i);
WD_EXPORT const uint8_t *wd_handler_tree_data(const wd_handler_tree *t, size_t i, size_t *len);
WD_EXPORT void wd_handler_tree_free(wd_handler_tree *t);

WD_EXPORT const char *wd_plugin_type_name(wd_plugin_type t);
WD_EXPORT int wd_plugin_type_is_policy(wd_plugin_type t);
WD_EXPORT const char *wd_security_level_name(wd_security_level l);
WD_EXPORT int wd_security_level_parse(const char *name, wd_security_level *out);

/* Opens the contract's library and checks it hashes to the contract's sha256, reading from the
 * descriptor it returns (rewound to the start): whoever loads the plugin later loads exactly
 * the bytes that were checked, from that descriptor, never by path again. Refuses symlinks and
 * anything but a regular file. Returns WD_OK with *fd set (the caller closes it), WD_ENOTFOUND
 * (WD-L008), WD_EPOLICY (WD-L009, hash mismatch), WD_EPERM (WD-L018) or WD_EIO; WD_EINVAL
 * (WD-L026) for a process plugin, which has a program instead. */
WD_EXPORT int wd_contract_open_library(const wd_contract *c, int *fd);

/* Refuses a contract whose files another user could change (WD_EPERM, WD-L025, naming the
 * file): the contract, its library (a process plugin: its program, when it lies inside the
 * contract's directory), its policy file, and every directory from root down to
 * each of them, must be owned by root or by the user warden runs as and be writable by neither
 * group nor others; a symbolic link on the way is WD-L018. root: the directory discovery
 * started from (NULL: the contract's own directory). A policy file outside root is checked up
 * to "/", where a sticky directory (such as /tmp) owned by root or warden's user is accepted:
 * others cannot rename or remove what they do not own there. Returns 0, WD_EPERM, WD_EIO. */
WD_EXPORT int wd_contract_check_files(const wd_contract *c, const char *root);

/* ---- review (the gate a contract passes before it may register) --------------------------
 * A reviewer signs a contract with Ed25519 over "warden-contract-v2\n" + hex SHA-256 of the
 * contract's bytes + "\n" + the library's (a process plugin: the program's, 32 zero bytes for an
 * absolute program without sha256:) hex SHA-256 + "\n" + the policy file's hex SHA-256
 * (or "none" when the policy is inline or absent) + "\n"; the signature lives beside the
 * contract in CONTRACT.sig. So a reviewed contract stays reviewed only with exactly the policy
 * the reviewer read: a policy file changed afterwards is WD-L024 until re-signed. A signature
 * made before policies were covered ("warden-contract-v1", contract and library only) is
 * accepted only for a contract without a policy file; with one, it is WD-L024 (re-sign). A
 * trust directory holds reviewers' public keys (*.pub). */

/* Creates reviewer.key (0600) and reviewer.pub in dir; never overwrites. */
WD_EXPORT int wd_review_keygen(const char *dir);
/* Writes CONTRACT.sig (atomically) signed with the reviewer key at key_path. */
WD_EXPORT int wd_contract_sign(const wd_contract *c, const char *key_path);
/* Checks CONTRACT.sig against the keys in trust_dir. 0 when a trusted reviewer signed exactly
 * this contract, library and policy; WD_ENOTFOUND (WD-L013) without a signature; WD_EPERM
 * (WD-L014) when the signature is malformed, by an untrusted key, or does not verify; WD_EPERM
 * (WD-L024) when a trusted reviewer signed this contract with another policy file, or signed
 * it before signatures covered policy files. signer (65 bytes, may be NULL) receives the
 * reviewer's public key in hex. */
WD_EXPORT int wd_contract_verify_signature(const wd_contract *c, const char *trust_dir,
                                           char *signer);
/* Checks the library hash (a process plugin: the program's) against a list of approved hashes (one
 * hex SHA-256 per line, '#' comments): 0, or WD_EPERM (WD-L021). */
WD_EXPORT int wd_contract_check_approved(const wd_contract *c, const char *approved_path);

/* ---- pipelines (ADR-002-B) ----------------------------------------------------------------
 * A pipeline runs at the lowest clearance among its plugins; every plugin cleared above that
 * must declare allow_downgrade: true. Returns WD_OK with *level set, or WD_EPOLICY with
 * *refused set to the index of the first plugin that forbids the downgrade. */
WD_EXPORT int wd_pipeline_level(const wd_contract *const *plugins, size_t n,
                                wd_security_level *level, size_t *refused);

#ifdef __cplusplus
}
#endif
#endif
