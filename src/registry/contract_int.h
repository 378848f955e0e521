/* contract_int.h (internal): what the registry needs of a contract beyond the public API. */
#ifndef WD_REGISTRY_CONTRACT_INT_H
#define WD_REGISTRY_CONTRACT_INT_H

#include "registry/semver.h"
#include "warden/contract.h"

const wd_semver *wd_contract_semver(const wd_contract *c);
/* The absolute path the contract was read from, and SHA-256 of its bytes as read. */
const char *wd_contract_path(const wd_contract *c);
const uint8_t *wd_contract_file_sha256(const wd_contract *c);

#endif
