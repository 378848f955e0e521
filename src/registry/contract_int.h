/* contract_int.h (internal): what the registry needs of a contract beyond the public API. */
#ifndef WD_REGISTRY_CONTRACT_INT_H
#define WD_REGISTRY_CONTRACT_INT_H

#include <sys/types.h>

#include "registry/semver.h"
#include "warden/contract.h"

const wd_semver *wd_contract_semver(const wd_contract *c);
/* The absolute path the contract was read from, and SHA-256 of its bytes as read. */
const char *wd_contract_path(const wd_contract *c);
const uint8_t *wd_contract_file_sha256(const wd_contract *c);
/* The policy file the contract names (absolute), or NULL when the policy is inline. */
const char *wd_contract_policy_path(const wd_contract *c);
/* A process plugin's program lies inside the contract's directory (so it is the author's file,
 * hashed, and its directories are checked like the library's); false for an absolute program
 * and for native plugins. */
bool wd_contract_program_inside(const wd_contract *c);
/* The contract's directory (absolute, normalised). */
const char *wd_contract_dir(const wd_contract *c);

/* handler_tree.c: the tree under root (absolute, normalised, strictly inside dir), read and
 * hashed, not compared with anything (wd_contract_read_handler_tree compares). */
int wd_handler_tree_read_at(const char *dir, const char *root, wd_handler_tree **out);
const uint8_t *wd_handler_tree_hash(const wd_handler_tree *t);
/* Whether the tree holds a file at this relative path. */
bool wd_handler_tree_has(const wd_handler_tree *t, const char *path);
/* Every directory ("" is the root) and file read, with its owner and mode as opened: what the
 * owner check (owners.c) judges. NULL past the end. */
size_t wd_handler_tree_entry_count(const wd_handler_tree *t);
const char *wd_handler_tree_entry(const wd_handler_tree *t, size_t i, uid_t *uid, mode_t *mode);

/* registry.c: wd_registry_add with the correlation id of the batch it belongs to (NULL: a
 * fresh one), and the audit record of a refusal that happened before registration. */
struct wd_registry;
int wd_registry_add_in(struct wd_registry *reg, wd_contract *c, unsigned flags, int *replaced,
                       const char *correlation_id);
int wd_registry_audit_refusal(struct wd_registry *reg, const char *path, const char *code,
                              const char *message, const char *correlation_id);
/* How many of the registry's audit records could not be written so far, with the first
 * failure's id and message (empty when none). */
size_t wd_registry_unrecorded(struct wd_registry *reg, char id[static 16], char why[static 256]);

#endif
