#!/bin/sh
# build.sh: rebuilds the committed ELF fixtures of tests/unit/test_elf_imports.c. The .so files are
# committed because the tests must not depend on a compiler (or cross linkers) at test time; the
# test asserts their exact import lists, so review the lists in the test after rebuilding.
# Needs gcc (host x86-64), clang and ld.lld (i386, ppc64 and mips cross objects, -nostdlib).
set -eu
cd "$(dirname "$0")"
small="-Wl,-z,max-page-size=4096 -Wl,-z,noseparate-code -Wl,--hash-style=gnu -s"

gcc -O1 -fno-builtin -fPIC -shared $small -o libexec.so libexec.c
gcc -O1 -fno-builtin -fPIC -shared $small -o libmem.so libmem.c
gcc -O1 -fPIC -shared -nostdlib $small -o libnone.so libnone.c
gcc -O1 -fPIC -shared -nostdlib $small -o libver.so libver.c

cross() { # target output
    clang --target="$1" -O1 -fPIC -shared -nostdlib -fuse-ld=lld -Wl,-z,max-page-size=4096 -s \
        -o "$2" libforeign.c
}
cross i386-linux-gnu libforeign-i386.so
cross powerpc64-linux-gnu libforeign-ppc64be.so
cross mips-linux-gnu libforeign-mips32be.so
