/* text.c: the one check of text encoding every format reader goes through (text.h). */
#include <string.h>

#include "util/diag.h"
#include "util/error.h"
#include "util/text.h"
#include "util/utf8.h"

int wd_text_check(const char **data, size_t *len, const wd_text_source *src, wd_diagnostics *diags)
{
    const char *d = *data;
    size_t n = *len, bad;
    if (n >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3))
        d += 3, n -= 3;
    *data = d;
    *len = n;
    if (wd_utf8_valid(d, n, &bad))
        return 0;
    unsigned line, col;
    wd_utf8_position(d, bad, &line, &col);
    if (!src->what)
        wd_diag_add(diags, WD_DIAG_ERROR, src->id, src->display, line, col,
                    "not valid UTF-8, or a NUL byte");
    else if (d[bad])
        wd_diag_add(diags, WD_DIAG_ERROR, src->id, src->display, line, col,
                    "not valid UTF-8 (byte 0x%02x)", (unsigned)(unsigned char)d[bad]);
    else
        wd_diag_add(diags, WD_DIAG_ERROR, src->id, src->display, line, col, "NUL byte in %s",
                    src->what);
    return WD_EPOLICY;
}
