/* codes.h (internal): the stable ids of policy diagnostics. docs/errors.md documents each one;
 * an id, once released, keeps its meaning forever. */
#ifndef WD_POLICY_CODES_H
#define WD_POLICY_CODES_H

#include "yaml/codes.h" /* the ids the strict YAML tree reports are policy ids */

#define WD_P_IO "WD-P001"                  /* cannot open or read the file */
#define WD_P_TOO_LARGE "WD-P002"           /* larger than 10 MiB */
#define WD_P_EMPTY "WD-P003"               /* no YAML document at all */
#define WD_P_UTF8 WD_YAML_E_UTF8           /* WD-P004: not UTF-8, or a NUL byte */
#define WD_P_SYNTAX WD_YAML_E_SYNTAX       /* WD-P005: YAML syntax error */
#define WD_P_ANCHOR WD_YAML_E_ANCHOR       /* WD-P006: anchors and aliases */
#define WD_P_TAG WD_YAML_E_TAG             /* WD-P007: explicit tags */
#define WD_P_MULTI_DOC WD_YAML_E_MULTI_DOC /* WD-P008: more than one document */
#define WD_P_LIMIT WD_YAML_E_LIMIT         /* WD-P009: nesting or node count limit, out of memory */
#define WD_P_DUPLICATE_KEY WD_YAML_E_DUPLICATE_KEY /* WD-P010: duplicate mapping key */
#define WD_P_UNKNOWN_KEY "WD-P011"                 /* key not defined by the format */
#define WD_P_TYPE WD_YAML_E_TYPE   /* WD-P012: mapping / sequence / scalar expected */
#define WD_P_MISSING "WD-P013"     /* required field missing */
#define WD_P_VERSION "WD-P014"     /* version other than 1.x */
#define WD_P_URI "WD-P015"         /* malformed storage URI */
#define WD_P_GLOBSTAR "WD-P016"    /* "**" not a whole segment */
#define WD_P_WILDCARD "WD-P017"    /* several '*' in a segment, or ? [ ] { } \ */
#define WD_P_DOT_SEGMENT "WD-P018" /* "." or ".." in a URI */
#define WD_P_NO_DATA_DIR "WD-P019" /* relative URI with no data directory */
#define WD_P_ACCESS "WD-P020"      /* unknown, repeated or missing access name */
#define WD_P_HOST "WD-P021"        /* malformed host */
#define WD_P_PORT "WD-P022"        /* bad port */
#define WD_P_CIDR "WD-P023"        /* bad CIDR */
#define WD_P_ENV_KEY "WD-P024"     /* bad environment key (wildcards included) */
#define WD_P_RESOURCE "WD-P025"    /* bad resource value or unit */
#define WD_P_CONFLICT "WD-P026"    /* two fields that say the same thing differently */
#define WD_P_TOOL_NAME "WD-P027"   /* bad tool name (wildcards other than a lone "*" included) */

#define WD_W_NOT_ENFORCED "WD-W001" /* a section warden parses but cannot enforce */

#endif
