/* no_descriptor: a library that exports everything but the descriptor (a near miss of its
 * name, and the callbacks themselves). The runner refuses it: WD-S009. */
#include "hostile.h"

__attribute__((visibility("default"))) int wd_plugin_v0 = 1;

__attribute__((visibility("default"))) int execute(wd_host *host, const char *input, size_t len,
                                                   wd_output *out);
__attribute__((visibility("default"))) int execute(wd_host *host, const char *input, size_t len,
                                                   wd_output *out)
{
    (void)input;
    (void)len;
    hs_out(host, out, "no_descriptor: BREACH: executed");
    return 0;
}
