/* codes.h (internal): stable ids of override problems (docs/errors.md). */
#ifndef WD_OVERRIDE_CODES_H
#define WD_OVERRIDE_CODES_H

#define WD_O_WRONG "WD-O001"     /* the code does not match any step in the window */
#define WD_O_REPLAY "WD-O002"    /* the code is from a step at or before the last accepted one */
#define WD_O_FORMAT "WD-O003"    /* not the configured number of decimal digits */
#define WD_O_SECRET "WD-O004"    /* a secret outside 20-64 bytes, or not base32 */
#define WD_O_THROTTLED "WD-O005" /* too many failures: wait before the next attempt */
#define WD_O_APPROVER "WD-O006"  /* no such approver, or its files are unusable */
#define WD_O_REQUEST "WD-O007"   /* a malformed request (approver, operation, justification) */
#define WD_O_STORE "WD-O008"     /* the override directory cannot be read or written */

#endif
