/* libver.c: imports system and "systemXGLIBC_2.2.5" (an asm label). The unit test turns the 'X'
 * into '@' in memory: a version suffix must be cut and the two names must collapse into one. */
int system(const char *cmd);
int system_versioned(const char *cmd) __asm__("systemXGLIBC_2.2.5");
int plugin_both(const char *cmd);

int plugin_both(const char *cmd)
{
    return system(cmd) + system_versioned(cmd);
}
