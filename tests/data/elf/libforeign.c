/* libforeign.c: built -nostdlib for other classes and byte orders (i386, ppc64 big-endian,
 * mips 32-bit big-endian) to exercise the ELF32 and big-endian paths with real linker output.
 * No headers: cross targets have no libc here. Imports system, fork and ptrace. */
int system(const char *cmd);
int fork(void);
long ptrace(int request, int pid, void *addr, void *data);
int plugin_escape(const char *cmd);

int plugin_escape(const char *cmd)
{
    if (fork() == 0)
        return system(cmd);
    return (int)ptrace(0, 0, 0, 0);
}
