/* codes.h (internal): stable ids of contract and registry problems (docs/errors.md). */
#ifndef WD_REGISTRY_CODES_H
#define WD_REGISTRY_CODES_H

#define WD_L_NOT_FOUND "WD-L001"      /* the contract file does not exist */
#define WD_L_NOT_FILE "WD-L002"       /* not a regular file */
#define WD_L_READ "WD-L003"           /* cannot be read */
#define WD_L_YAML "WD-L004"           /* not valid (safe) YAML, or not UTF-8 */
#define WD_L_SCHEMA "WD-L005"         /* a key or value the contract format does not allow */
#define WD_L_MISSING "WD-L006"        /* a required field is missing */
#define WD_L_SIZE "WD-L007"           /* larger than 10 MiB */
#define WD_L_LIB_NOT_FOUND "WD-L008"  /* the library is not there */
#define WD_L_LIB_HASH "WD-L009"       /* the library does not hash to sha256 */
#define WD_L_SYMBOL "WD-L010"         /* the library lacks the plugin descriptor */
#define WD_L_ABI "WD-L011"            /* the ABI version does not match */
#define WD_L_ID_NOT_ALLOWED "WD-L012" /* the id is not on the allowlist */
#define WD_L_SIG_MISSING "WD-L013"    /* review required and no signature */
#define WD_L_SIG_INVALID "WD-L014"    /* the signature does not verify */
#define WD_L_FORBIDDEN "WD-L015"      /* config or schema sets an author-owned field */
#define WD_L_LEVEL_MISSING "WD-L016"  /* no security level declared */
#define WD_L_DIR "WD-L017"            /* a directory to search does not exist */
#define WD_L_PERMISSION "WD-L018"   /* a path escapes the contract's directory, or access denied */
#define WD_L_AMBIGUOUS "WD-L019"    /* two contract files in one directory */
#define WD_L_DOWNGRADE "WD-L020"    /* a pipeline would run a plugin below its clearance */
#define WD_L_NOT_APPROVED "WD-L021" /* the library hash is not in the approved list */
#define WD_L_IMPORTS "WD-L022"      /* the library imports a denied symbol, or cannot be read */
#define WD_L_DUPLICATE "WD-L023"    /* id, type and version already registered; no replace asked */
#define WD_L_POLICY_CHANGED "WD-L024" /* the policy file is not the one pinned or signed */
#define WD_L_WRITABLE "WD-L025"       /* a file or directory another user could change */
#define WD_L_PROCESS "WD-L026"        /* a process-plugin key missing, misplaced or invalid */
#define WD_L_UNTRUSTED "WD-L027"      /* an interpreter or system program others could change */
#define WD_L_HANDLER_TREE "WD-L028"   /* a file that may not be in a handler tree, or too many */
#define WD_L_HANDLER "WD-L029"        /* the handler class's module is not in its handler tree */

#endif
