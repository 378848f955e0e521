/* codes.h (internal): stable ids of integrity problems (docs/errors.md). */
#ifndef WD_TAMPER_CODES_H
#define WD_TAMPER_CODES_H

#define WD_T_FORMAT "WD-T001"    /* the manifest is malformed */
#define WD_T_SIGNATURE "WD-T002" /* the signature does not verify, or another key signed it */
#define WD_T_INPUT "WD-T003"     /* a path cannot be baselined (link, special file, name) */
#define WD_T_MISMATCH "WD-T004"  /* the files differ from the baseline */
#define WD_T_IO "WD-T005"        /* a file or the manifest cannot be read or written */

#endif
