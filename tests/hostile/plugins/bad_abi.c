/* bad_abi: a descriptor that declares an ABI this runner does not speak. Were the runner to
 * use it anyway, execute() would say so. The runner refuses it: WD-S009. */
#include "hostile.h"

static int init(wd_host *host, const char *config)
{
    (void)host;
    (void)config;
    return 0;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)input;
    (void)len;
    hs_out(host, out, "bad_abi: BREACH: executed");
    return 0;
}

static const char *describe(void)
{
    return "{}";
}

WD_PLUGIN_EXPORT = {WD_PLUGIN_ABI + 98,
                    sizeof(wd_plugin_descriptor),
                    "bad_abi",
                    "1.0.0",
                    init,
                    execute,
                    describe,
                    NULL};
