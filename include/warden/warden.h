/* warden.h: the whole public API of libwarden. */
#ifndef WARDEN_H
#define WARDEN_H
#include "common.h"
#include "error.h"
#include "diag.h"
#include "policy.h"
#include "audit.h"
#include "contract.h"
#include "registry.h"
#include "policy_store.h"
#include "sandbox.h"
#include "override.h"
#include "integrity.h"
#endif
