# The build fails when the kernel headers define a system call the mediation table
# (src/sandbox/syscalls.c) does not classify: a process plugin's filter must never meet a call
# nobody decided about. Re-run when the headers, the table or its header change.
#
# 1. The compiler lists the __NR_* macros of <asm/unistd.h> (its depfile tracks the headers);
# 2. cmake/syscall_names.cmake turns them into syscall_names.c (also linked into libwarden,
#    so tests see the same list);
# 3. warden_syscall_check, built from the table and that list, checks every name and the
#    table's shape, and fails naming what is missing.
set(WD_SYSCALL_GEN ${CMAKE_CURRENT_BINARY_DIR}/sandbox)
file(MAKE_DIRECTORY ${WD_SYSCALL_GEN})
file(CONFIGURE OUTPUT ${WD_SYSCALL_GEN}/syscall_probe.c CONTENT "#include <asm/unistd.h>\n")
separate_arguments(wd_syscall_cflags UNIX_COMMAND "${CMAKE_C_FLAGS}")

add_custom_command(
  OUTPUT ${WD_SYSCALL_GEN}/syscall_macros.txt
  COMMAND ${CMAKE_C_COMPILER} ${wd_syscall_cflags} -E -dM -MD
          -MF ${WD_SYSCALL_GEN}/syscall_macros.d -MT ${WD_SYSCALL_GEN}/syscall_macros.txt
          -x c ${WD_SYSCALL_GEN}/syscall_probe.c -o ${WD_SYSCALL_GEN}/syscall_macros.txt
  DEPENDS ${WD_SYSCALL_GEN}/syscall_probe.c
  DEPFILE ${WD_SYSCALL_GEN}/syscall_macros.d
  COMMENT "Listing the system calls of <asm/unistd.h>"
  VERBATIM)
add_custom_command(
  OUTPUT ${WD_SYSCALL_GEN}/syscall_names.c
  COMMAND ${CMAKE_COMMAND} -DIN=${WD_SYSCALL_GEN}/syscall_macros.txt
          -DOUT=${WD_SYSCALL_GEN}/syscall_names.c -P ${PROJECT_SOURCE_DIR}/cmake/syscall_names.cmake
  DEPENDS ${WD_SYSCALL_GEN}/syscall_macros.txt ${PROJECT_SOURCE_DIR}/cmake/syscall_names.cmake
  VERBATIM)

add_executable(warden_syscall_check
  ${CMAKE_CURRENT_SOURCE_DIR}/sandbox/check/syscall_check.c
  ${CMAKE_CURRENT_SOURCE_DIR}/sandbox/syscalls.c
  ${WD_SYSCALL_GEN}/syscall_names.c)
target_include_directories(warden_syscall_check PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})

if(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  message(WARNING "cross-compiling without an emulator: the system-call table is not checked")
else()
  add_custom_command(
    OUTPUT ${WD_SYSCALL_GEN}/syscall_check.stamp
    COMMAND warden_syscall_check
    COMMAND ${CMAKE_COMMAND} -E touch ${WD_SYSCALL_GEN}/syscall_check.stamp
    DEPENDS warden_syscall_check
    COMMENT "Checking that the mediation table classifies every system call"
    VERBATIM)
  add_custom_target(warden_syscall_table ALL DEPENDS ${WD_SYSCALL_GEN}/syscall_check.stamp)
  add_dependencies(warden_obj warden_syscall_table)
endif()
target_sources(warden_obj PRIVATE ${WD_SYSCALL_GEN}/syscall_names.c)
