#!/usr/bin/env bash
# install_tree.sh: `cmake --install` of this build into a fresh prefix (issue 16): the layout
# (programs, runner in libexec, libwarden.so.0 and its soname, headers, libwarden.pc, the CMake
# package, the examples); the installed warden finds the runner it was installed with, not the
# build's (and fails when that one is gone); a downstream C program builds against the installed
# tree with pkg-config and with find_package(warden), and decides requests with libwarden.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

: "${WD_BINARY_DIR:=$WD_SOURCE_DIR/build}"
P="$WD_TMP/prefix"
# Only what this test sets: no runner from the environment, no library from elsewhere.
unset WARDEN_RUNNER LD_LIBRARY_PATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH

# ---- the installed tree ----------------------------------------------------------------------
expect_exit 0 -- cmake --install "$WD_BINARY_DIR" --prefix "$P"
for f in bin/warden sbin/wardend libexec/warden/warden-runner; do
    [ -f "$P/$f" ] && [ -x "$P/$f" ]
    wd_check $? "installed: $f"
done
for f in include/warden/warden.h include/warden/common.h include/warden/policy.h \
    include/warden/sys/plugin.h share/doc/warden/examples/wardend/warden.yaml \
    share/doc/warden/examples/policies/agent-tool.yaml; do
    [ -f "$P/$f" ]
    wd_check $? "installed: $f"
done
[ ! -e "$P/bin/warden-runner" ] && [ ! -e "$P/sbin/warden-runner" ]
wd_check $? "no runner beside the installed programs"

PC=$(find "$P" -name libwarden.pc -path "*/pkgconfig/*")
expect_eq "$(printf '%s\n' "$PC" | grep -c .)" 1 "one libwarden.pc"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$PC")
expect_exit 0 -- pkg-config --variable=prefix libwarden
expect_stdout_line 1 "$P"
expect_exit 0 -- pkg-config --modversion libwarden
version=$(head -n1 "$WD_OUT")
expect_exit 0 -- "$P/bin/warden" version
expect_stdout_contains "$version"
expect_exit 1 -- pkg-config --exists "libwarden >= 99"
expect_exit 0 -- pkg-config --print-requires-private libwarden
for dep in libcrypto yaml-0.1 jansson libseccomp libcares; do
    expect_stdout_contains "$dep"
done
LIBDIR=$(pkg-config --variable=libdir libwarden)
[ -f "$LIBDIR/libwarden.so.$version" ] && [ ! -L "$LIBDIR/libwarden.so.$version" ]
wd_check $? "libwarden.so.$version is the file"
expect_eq "$(readlink "$LIBDIR/libwarden.so.0")" "libwarden.so.$version" "libwarden.so.0 -> libwarden.so.$version"
expect_eq "$(readlink "$LIBDIR/libwarden.so")" "libwarden.so.0" "libwarden.so -> libwarden.so.0 (the dev link)"
expect_exit 0 -- objdump -p "$LIBDIR/libwarden.so.$version"
expect_stdout_matches '^ *SONAME +libwarden\.so\.0$'
[ -f "$LIBDIR/cmake/warden/wardenConfig.cmake" ] && [ -f "$LIBDIR/cmake/warden/wardenConfigVersion.cmake" ]
wd_check $? "installed: the CMake package files"

# ---- the installed programs, run from the prefix ---------------------------------------------
cd "$WD_TMP" || exit 2
expect_exit 0 -- "$P/bin/warden" sandbox probe --json
expect_json_stdout
ABI=$(wd_json_eval 'd["landlock"]["abi"]')
MIN=()
if [ "$ABI" = 0 ]; then
    MIN=(--min-landlock 0)
fi
expect_exit 0 -- "$P/bin/warden" sandbox probe
expect_stdout_matches '^seccomp +'
expect_exit 0 -- "$P/sbin/wardend" --help
WC="$WD_BINARY_DIR/examples/plugins/wordcount/contract.yaml"
expect_exit 0 -- "$P/bin/warden" run "${MIN[@]}" "$WC" --input '{"text": "one two three"}'
expect_stdout_line 1 '{"words": 3, "lines": 0, "bytes": 13}'
# The runner it used is the installed one: without it, nothing runs. (The configured prefix's
# absolute default is tried last; if a runner is installed there, this part says nothing.)
cache="$WD_BINARY_DIR/CMakeCache.txt"
default="$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$cache")/$(sed -n 's/^CMAKE_INSTALL_LIBEXECDIR:PATH=//p' "$cache")/warden/warden-runner"
if [ -e "$default" ]; then
    echo "note: $default exists: not checking a run without the installed runner"
else
    mv "$P/libexec/warden/warden-runner" "$P/libexec/warden/runner.away"
    expect_exit 1 -- "$P/bin/warden" run "${MIN[@]}" "$WC" --input '{"text": "one"}'
    expect_stderr_contains "WD-S013: cannot start the runner $default"
    expect_stdout_empty
    mv "$P/libexec/warden/runner.away" "$P/libexec/warden/warden-runner"
fi
# $WARDEN_RUNNER still overrides the installed one.
expect_exit 1 -- env WARDEN_RUNNER="$WD_TMP/no-runner" "$P/bin/warden" run "${MIN[@]}" "$WC" --input '{"text": "one"}'
expect_stderr_contains "cannot start the runner $WD_TMP/no-runner"
expect_exit 0 -- env WARDEN_RUNNER="$P/libexec/warden/warden-runner" "$P/bin/warden" run "${MIN[@]}" "$WC" --input '{"text": "one"}'
expect_stdout_line 1 '{"words": 1, "lines": 0, "bytes": 3}'

# ---- a downstream C program ------------------------------------------------------------------
mkdir -p "$WD_TMP/app"
cat >"$WD_TMP/app/decide.c" <<'EOF'
/* decide POLICY VERB TARGET: exit 0 allow, 1 deny, 2 error. */
#include <stdio.h>
#include <warden/warden.h>

int main(int argc, char **argv)
{
    wd_policy *policy = NULL;
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    wd_request_buf req;
    wd_decision d;
    char why[1024];
    if (argc != 4)
        return 2;
    if (wd_policy_load(&policy, argv[1], &opts) != WD_OK ||
        wd_request_parse(&req, argv[2], argv[3]) != WD_OK ||
        wd_policy_decide(policy, &req.request, &d) != WD_OK) {
        fprintf(stderr, "decide: %s\n", wd_error_last()->message);
        wd_policy_free(policy);
        return 2;
    }
    wd_decision_explain(&d, why, sizeof(why));
    printf("%s %s (libwarden %s)\n", wd_effect_name(d.effect), why, WD_VERSION_STRING);
    wd_policy_free(policy);
    return d.effect == WD_ALLOW ? 0 : 1;
}
EOF
POL="$P/share/doc/warden/examples/policies/agent-tool.yaml"
DATA=$(dirname "$POL")
decide_runs() { # $1: the program; each path's verdict, and the library the program loaded
    expect_exit 0 -- env LD_LIBRARY_PATH="$LIBDIR" "$1" "$POL" read "$DATA/workspace/src/main.c"
    expect_stdout_contains "allow $POL:8:9 [allow fs://workspace/** (read)]"
    expect_stdout_contains "(libwarden $version)"
    expect_exit 1 -- env LD_LIBRARY_PATH="$LIBDIR" "$1" "$POL" read "$DATA/workspace/app/.env"
    expect_stdout_contains "deny $POL:16:9 [deny fs://workspace/**/.env (read, write)]"
    expect_exit 2 -- env LD_LIBRARY_PATH="$LIBDIR" "$1" "$POL" read relative/path
    expect_stderr_contains "decide: "
    expect_exit 0 -- env LD_LIBRARY_PATH="$LIBDIR" ldd "$1"
    expect_stdout_contains "libwarden.so.0 => $LIBDIR/libwarden.so.0"
}

# A sanitizer build's library needs its program built with the same runtime, first in line.
SAN=""
if grep -q '^WARDEN_SANITIZE:BOOL=ON' "$cache"; then
    SAN="-fsanitize=address,undefined"
fi

# pkg-config
expect_exit 0 -- pkg-config --cflags --libs libwarden
flags=$(cat "$WD_OUT")
expect_stdout_contains "-I$P/include"
# shellcheck disable=SC2086 # the flags are words
expect_exit 0 -- cc -std=c11 -Wall -Wextra -Werror $SAN -o "$WD_TMP/app/decide" "$WD_TMP/app/decide.c" $flags
decide_runs "$WD_TMP/app/decide"
# Without the library on the path, the program does not start: it links libwarden.so.0.
expect_exit 127 -- "$WD_TMP/app/decide" "$POL" read "$DATA/x"
expect_stderr_contains "libwarden.so.0"

# find_package(warden) -> warden::warden
cat >"$WD_TMP/app/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(decide LANGUAGES C)
find_package(warden 0.1 REQUIRED)
add_executable(decide decide.c)
target_link_libraries(decide PRIVATE warden::warden)
EOF
expect_exit 0 -- cmake -S "$WD_TMP/app" -B "$WD_TMP/app/build" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_C_FLAGS="-Wall -Werror $SAN"
expect_exit 0 -- cmake --build "$WD_TMP/app/build"
decide_runs "$WD_TMP/app/build/decide"
# A version the installed package is not: refused.
sed 's/find_package(warden 0.1 REQUIRED)/find_package(warden 99 REQUIRED)/' "$WD_TMP/app/CMakeLists.txt" >"$WD_TMP/app/v99.txt"
mkdir -p "$WD_TMP/v99" && cp "$WD_TMP/app/decide.c" "$WD_TMP/v99/" && mv "$WD_TMP/app/v99.txt" "$WD_TMP/v99/CMakeLists.txt"
expect_exit 1 -- cmake -S "$WD_TMP/v99" -B "$WD_TMP/v99/build" -DCMAKE_PREFIX_PATH="$P"
expect_stderr_contains "warden"

finish
