/* libexec.c: a plugin that would run programs: imports system() and execve(). Built with the
 * host gcc against glibc, so it also carries the usual toolchain imports (__cxa_finalize, ...). */
#include <stdlib.h>
#include <unistd.h>

int plugin_run(const char *cmd, char *const argv[], char *const envp[])
{
    if (system(cmd) != 0)
        return -1;
    return execve(argv[0], argv, envp);
}
