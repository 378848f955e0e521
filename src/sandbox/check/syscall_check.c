/* syscall_check.c: run by the build (cmake/syscall_check.cmake). Fails, naming each one, when
 * the kernel headers define a system call the mediation table does not classify, or when the
 * table is malformed (unsorted, duplicated, an errno where none belongs). */
#include <stdio.h>
#include <string.h>

#include "sandbox/syscalls.h"

static int check_table(void)
{
    size_t n;
    const wd_sys_entry *t = wd_syscall_table(&n);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const wd_sys_entry *e = &t[i];
        const char *problem = NULL;
        if (i > 0 && strcmp(t[i - 1].name, e->name) >= 0)
            problem = "out of order or listed twice (the table is sorted by name)";
        else if (!e->why || !*e->why)
            problem = "has no reason";
        else if (e->cls == WD_SYS_REFUSE && (e->err <= 0 || e->err > 4095))
            problem = "is refused without a valid errno";
        else if (e->cls != WD_SYS_REFUSE && e->err != 0)
            problem = "has an errno but is not refused";
        else if (e->allow_if && e->cls != WD_SYS_REFUSE && e->cls != WD_SYS_NOTIFY)
            problem = "has allow_if but is neither refused nor mediated otherwise";
        if (problem) {
            fprintf(stderr, "src/sandbox/syscalls.c: %s %s\n", e->name, problem);
            bad = 1;
        }
    }
    return bad;
}

int main(void)
{
    int bad = check_table();
    size_t n;
    const char *const *names = wd_syscall_header_names(&n);
    for (size_t i = 0; i < n; i++)
        if (!wd_syscall_find(names[i])) {
            fprintf(stderr,
                    "src/sandbox/syscalls.c: the system call %s (from <asm/unistd.h>) is not "
                    "classified; add it to the mediation table (docs/sandbox.md, \"The "
                    "mediation table\")\n",
                    names[i]);
            bad = 1;
        }
    return bad;
}
