# Warnings are errors, and every binary gets the usual hardening.
set(WARDEN_WARNINGS
  -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wformat-security -Wstrict-prototypes
  -Wmissing-prototypes -Wvla -Wpointer-arith -Wimplicit-fallthrough -Wundef)
set(WARDEN_HARDENING
  -fstack-protector-strong -fstack-clash-protection -fno-strict-overflow -fno-delete-null-pointer-checks)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|amd64")
  list(APPEND WARDEN_HARDENING -fcf-protection)
endif()

add_compile_definitions(_GNU_SOURCE)
add_compile_options(${WARDEN_WARNINGS} ${WARDEN_HARDENING})
add_link_options(-Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack)

if(WARDEN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
else()
  # FORTIFY needs optimisation and conflicts with ASan's interceptors.
  if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
    add_compile_definitions(_FORTIFY_SOURCE=2)
  endif()
endif()

if(WARDEN_FUZZ)
  # Coverage feedback for the library itself, not only the harnesses: without it libFuzzer
  # fuzzes the policy core blind.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
