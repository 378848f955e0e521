/* codes.h (internal): stable ids of override problems (docs/errors.md). */
#ifndef WD_OVERRIDE_CODES_H
#define WD_OVERRIDE_CODES_H

#define WD_O_WRONG "WD-O001"  /* the code does not match any step in the window */
#define WD_O_REPLAY "WD-O002" /* the code is from a step at or before the last accepted one */
#define WD_O_FORMAT "WD-O003" /* not the configured number of decimal digits */
#define WD_O_SECRET "WD-O004" /* a secret outside 20-64 bytes, or not base32 */

#endif
