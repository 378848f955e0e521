# Script mode: turns the macros the kernel headers define (cc -E -dM of <asm/unistd.h>, in IN)
# into OUT, a C file listing every system call name, for the table check and the tests.
# Not system calls: __NR_syscalls (a count) and __NR_arch_specific_syscall (a range start).
file(STRINGS "${IN}" lines REGEX "^#define __NR_[a-z0-9_]+ ")
set(names "")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "^#define __NR_([a-z0-9_]+) .*" "\\1" name "${line}")
  if(NOT name MATCHES "^(syscalls|arch_specific_syscall)$")
    list(APPEND names "${name}")
  endif()
endforeach()
list(REMOVE_DUPLICATES names)
list(SORT names)
list(LENGTH names count)
if(count LESS 100)
  message(FATAL_ERROR "only ${count} system calls in <asm/unistd.h>: wrong header?")
endif()
set(body "")
foreach(name IN LISTS names)
  string(APPEND body "    \"${name}\",\n")
endforeach()
file(CONFIGURE OUTPUT "${OUT}" @ONLY CONTENT [=[
/* Generated at build time from <asm/unistd.h> (cmake/syscall_names.cmake): do not edit. */
#include "sandbox/syscalls.h"

static const char *const names[] = {
@body@};

const char *const *wd_syscall_header_names(size_t *count)
{
    *count = sizeof(names) / sizeof(*names);
    return names;
}
]=])
