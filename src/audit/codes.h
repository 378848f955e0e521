/* codes.h (internal): stable ids of audit-log errors and notes (docs/errors.md). */
#ifndef WD_AUDIT_CODES_H
#define WD_AUDIT_CODES_H

#include "util/error.h"

/* An error of the log itself (its files, its lock, its writer): to whoever needs the log it is
 * an outage until an operator repairs it (WD_KIND_UNAVAILABLE), not warden's own failure. A
 * failure the caller caused keeps its code's kind. code is evaluated twice: pass no side effects.
 */
#define wd_audit_error(code, ...) wd_error_raise(wd_error_kind_outage(code), (code), __VA_ARGS__)

#define WD_A_KEY_IO "WD-A001"        /* a key or state file is missing or unreadable */
#define WD_A_KEY_PERM "WD-A002"      /* a secret file is group/other accessible or not ours */
#define WD_A_KEY_FORMAT "WD-A003"    /* a key file is malformed */
#define WD_A_STATE_DAMAGED "WD-A004" /* the writer state fails its checksum */
#define WD_A_OTHER_LOG "WD-A005"     /* the keys belong to another log */
#define WD_A_INCONSISTENT "WD-A006"  /* log and writer state disagree */
#define WD_A_TORN "WD-A007"          /* note: a torn last record was moved aside */
#define WD_A_LOST "WD-A008"          /* note: records lost in a crash were declared */
#define WD_A_EVENT "WD-A009"         /* a bad event: type, severity, strings or details */
#define WD_A_WRITE "WD-A010"         /* a write or sync failed: the writer stopped */
#define WD_A_APPEND_ONLY "WD-A011"   /* note: the append-only attribute could not be set */
#define WD_A_EXISTS "WD-A012"        /* keygen would overwrite keys */
#define WD_A_LOCK "WD-A013"          /* the log lock could not be taken */
#define WD_A_LOG_IO "WD-A014"        /* the log directory or a segment cannot be read */
#define WD_A_ANCHOR "WD-A015"        /* an anchor file is unreadable or malformed */
#define WD_A_TAMPERED "WD-A016"      /* note: the log ends before what the state says was durable */

#endif
