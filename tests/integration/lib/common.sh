# shellcheck shell=bash disable=SC2034
# tests/integration/lib/common.sh: helpers for the integration scripts, which drive the real
# warden binary. Sourced by tests/integration/*.sh; not a test itself (the CMake glob only picks
# up tests/integration/*.sh, not this subdirectory).
#
# Environment (set by CTest; defaults make a script runnable by hand from the source tree):
#   WARDEN         the warden binary            (default: $WD_SOURCE_DIR/build/src/warden)
#   WD_SOURCE_DIR  the source tree              (default: two levels above this file)
#   WD_TEST_DATA   tests/data                   (default: $WD_SOURCE_DIR/tests/data)
#   WD_SHARED_DIR  ../shared (compat/wassette)  (default: $WD_SOURCE_DIR/../shared)
#   WD_VERBOSE=1   print every passing assertion too
#
# Usage:
#   expect_exit CODE -- CMD [ARGS...]   runs CMD (stdin is the caller's), records its stdout,
#                                       stderr and status, and asserts the status is CODE
#   expect_stdout_contains STR / expect_stderr_contains STR / ..._not_contains STR
#   expect_stdout_matches ERE / expect_stderr_matches ERE     (grep -E, any line)
#   expect_stdout_first_word WORD       first word of the first stdout line
#   expect_stdout_lines N / expect_stderr_lines N
#   expect_stdout_line K STR            line K of stdout is exactly STR
#   expect_json_stdout                  stdout is one JSON document
#   expect_json_eq PYEXPR VALUE         str(PYEXPR) == VALUE, with d the parsed stdout
#   expect_eq ACTUAL EXPECTED DESC      plain comparison
#   finish                              prints the summary line and exits
# Every command runs under `timeout` (WD_TIMEOUT seconds, default 60) so nothing can hang.

set -u

WD_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
: "${WD_SOURCE_DIR:=$(cd "$WD_LIB_DIR/../../.." && pwd -P)}"
: "${WARDEN:=$WD_SOURCE_DIR/build/src/warden}"
: "${WD_TEST_DATA:=$WD_SOURCE_DIR/tests/data}"
: "${WD_SHARED_DIR:=$WD_SOURCE_DIR/../shared}"

# Absolute paths: the scripts change directory.
wd_abs() {
    case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$(pwd -P)" "$1" ;;
    esac
}
WARDEN=$(wd_abs "$WARDEN")
WD_SOURCE_DIR=$(wd_abs "$WD_SOURCE_DIR")
WD_TEST_DATA=$(wd_abs "$WD_TEST_DATA")
WD_SHARED_DIR=$(wd_abs "$WD_SHARED_DIR")
WD_COMPAT="$WD_SHARED_DIR/compat/wassette"
WD_CLI_DATA="$WD_TEST_DATA/cli"
export WARDEN WD_SOURCE_DIR WD_TEST_DATA WD_SHARED_DIR

if [ ! -x "$WARDEN" ]; then
    echo "error: WARDEN=$WARDEN is not an executable (build first, or set WARDEN)" >&2
    exit 2
fi
if [ ! -d "$WD_COMPAT" ]; then
    echo "error: $WD_COMPAT is missing (set WD_SHARED_DIR)" >&2
    exit 2
fi

# Sanitizer builds: make a sanitizer report impossible to mistake for "deny" (exit 1).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:exitcode=86}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:exitcode=87}"
export LC_ALL=C

# One private temp dir per script, removed however the script ends. Physical path, so that it
# matches what the binary computes from getcwd().
WD_TMP=$(mktemp -d "${TMPDIR:-/tmp}/warden-it.XXXXXX") || exit 2
WD_TMP=$(cd "$WD_TMP" && pwd -P)
trap 'rm -rf "$WD_TMP"' EXIT
trap 'exit 130' INT TERM

WD_PASSED=0
WD_FAILED=0
WD_FAILURES=()
WD_LAST_CMD=""
WD_LAST_RC=""
WD_OUT="$WD_TMP/.stdout"
WD_ERR="$WD_TMP/.stderr"
: >"$WD_OUT"
: >"$WD_ERR"

# A command line as a person would type it: the binary and the temp dir abbreviated.
wd_show_cmd() {
    local s="" a
    for a in "$@"; do
        a=${a//"$WARDEN"/warden}
        a=${a//"$WD_TMP"/\$TMP}
        a=${a//"$WD_COMPAT"/\$COMPAT}
        a=${a//"$WD_TEST_DATA"/\$DATA}
        case "$a" in
        *[[:space:]]* | "") a="'$a'" ;;
        esac
        s+="${s:+ }$a"
    done
    printf '%s' "${s:0:300}"
}

wd_pass() {
    WD_PASSED=$((WD_PASSED + 1))
    if [ "${WD_VERBOSE:-0}" = 1 ]; then
        echo "ok   $1"
    fi
}

# wd_fail DESCRIPTION [DETAIL...]
wd_fail() {
    WD_FAILED=$((WD_FAILED + 1))
    WD_FAILURES+=("$1")
    echo "FAIL $1"
    shift
    local d
    for d in "$@"; do
        printf '     %s\n' "$d"
    done
    if [ -n "$WD_LAST_CMD" ]; then
        echo "     command: $WD_LAST_CMD  (exit $WD_LAST_RC)"
        echo "     stdout: $(head -c 600 "$WD_OUT" | head -n 8 | sed '2,$s/^/             /')"
        echo "     stderr: $(head -c 600 "$WD_ERR" | head -n 8 | sed '2,$s/^/             /')"
    fi
}

# wd_check OK DESCRIPTION [DETAIL...]: OK is 0 for a pass.
wd_check() {
    local ok=$1
    shift
    if [ "$ok" -eq 0 ]; then
        wd_pass "$1"
    else
        wd_fail "$@"
    fi
}

# Runs a command, recording stdout, stderr and exit status; never counts as an assertion by
# itself, except that a sanitizer report in stderr is always a failure.
run() {
    [ "${1:-}" = "--" ] && shift
    WD_LAST_CMD=$(wd_show_cmd "$@")
    timeout "${WD_TIMEOUT:-60}" "$@" >"$WD_OUT" 2>"$WD_ERR"
    WD_LAST_RC=$?
    if grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$WD_ERR"; then
        wd_fail "$WD_LAST_CMD: sanitizer report" "$(grep -m3 -E 'ERROR:|runtime error:' "$WD_ERR")"
    fi
    if [ "$WD_LAST_RC" -eq 124 ]; then
        wd_fail "$WD_LAST_CMD: timed out after ${WD_TIMEOUT:-60}s"
    fi
    return 0
}

# expect_exit CODE -- CMD [ARGS...]
expect_exit() {
    local code=$1
    shift
    [ "${1:-}" = "--" ] && shift
    run "$@"
    [ "$WD_LAST_RC" -eq "$code" ]
    wd_check $? "$WD_LAST_CMD: exit $code" "expected exit $code, got $WD_LAST_RC"
}

wd_contains() { # FILE STR (one line: grep -F would read a newline as "or")
    case "$2" in
    *$'\n'* | "")
        echo "test bug: substring \"$2\" is empty or spans lines" >&2
        exit 3
        ;;
    esac
    grep -qF -- "$2" "$1"
}

expect_stdout_contains() {
    wd_contains "$WD_OUT" "$1"
    wd_check $? "$WD_LAST_CMD: stdout contains \"$1\"" "stdout does not contain: $1"
}

expect_stderr_contains() {
    wd_contains "$WD_ERR" "$1"
    wd_check $? "$WD_LAST_CMD: stderr contains \"$1\"" "stderr does not contain: $1"
}

expect_stdout_not_contains() {
    ! wd_contains "$WD_OUT" "$1"
    wd_check $? "$WD_LAST_CMD: stdout lacks \"$1\"" "stdout unexpectedly contains: $1"
}

expect_stderr_not_contains() {
    ! wd_contains "$WD_ERR" "$1"
    wd_check $? "$WD_LAST_CMD: stderr lacks \"$1\"" "stderr unexpectedly contains: $1"
}

expect_stdout_matches() {
    grep -qE -- "$1" "$WD_OUT"
    wd_check $? "$WD_LAST_CMD: stdout matches /$1/" "no stdout line matches: $1"
}

expect_stderr_matches() {
    grep -qE -- "$1" "$WD_ERR"
    wd_check $? "$WD_LAST_CMD: stderr matches /$1/" "no stderr line matches: $1"
}

expect_stderr_empty() {
    [ ! -s "$WD_ERR" ]
    wd_check $? "$WD_LAST_CMD: stderr is empty" "stderr is not empty"
}

expect_stdout_empty() {
    [ ! -s "$WD_OUT" ]
    wd_check $? "$WD_LAST_CMD: stdout is empty" "stdout is not empty"
}

expect_stdout_first_word() {
    local first
    first=$(head -n 1 "$WD_OUT" | awk '{print $1}')
    [ "$first" = "$1" ]
    wd_check $? "$WD_LAST_CMD: first word \"$1\"" "expected first word \"$1\", got \"$first\""
}

wd_count_lines() { # FILE: lines, counting a last line without a newline
    awk 'END {print NR}' "$1"
}

expect_stdout_lines() {
    local n
    n=$(wd_count_lines "$WD_OUT")
    [ "$n" -eq "$1" ]
    wd_check $? "$WD_LAST_CMD: $1 stdout lines" "expected $1 stdout lines, got $n"
}

expect_stderr_lines() {
    local n
    n=$(wd_count_lines "$WD_ERR")
    [ "$n" -eq "$1" ]
    wd_check $? "$WD_LAST_CMD: $1 stderr lines" "expected $1 stderr lines, got $n"
}

# expect_stdout_line K STR: line K (1-based) is exactly STR.
expect_stdout_line() {
    local line
    line=$(sed -n "$1p" "$WD_OUT")
    [ "$line" = "$2" ]
    wd_check $? "$WD_LAST_CMD: stdout line $1 is \"$2\"" "line $1 is \"$line\""
}

# expect_stdout_line_matches K ERE
expect_stdout_line_matches() {
    local line
    line=$(sed -n "$1p" "$WD_OUT")
    printf '%s\n' "$line" | grep -qE -- "$2"
    wd_check $? "$WD_LAST_CMD: stdout line $1 matches /$2/" "line $1 is \"${line:0:200}\""
}

expect_json_stdout() {
    python3 -m json.tool <"$WD_OUT" >/dev/null 2>&1
    wd_check $? "$WD_LAST_CMD: stdout is valid JSON" "stdout does not parse as JSON"
}

# Evaluates a Python expression over d, the JSON document on stdout; prints the result (str()
# of it, or "<error: ...>").
wd_json_eval() {
    python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[2]))
    v = eval(sys.argv[1])
    print(json.dumps(v) if isinstance(v, (bool, type(None))) else v)
except Exception as e:
    print("<error: %s: %s>" % (type(e).__name__, e))
' "$1" "$WD_OUT"
}

# expect_json_eq PYEXPR VALUE: e.g. expect_json_eq 'd["decision"]' allow
expect_json_eq() {
    local v
    v=$(wd_json_eval "$1")
    [ "$v" = "$2" ]
    wd_check $? "$WD_LAST_CMD: json $1 == $2" "json $1 is \"$v\", expected \"$2\""
}

# expect_eq ACTUAL EXPECTED DESCRIPTION
expect_eq() {
    [ "$1" = "$2" ]
    wd_check $? "$3" "expected \"$2\", got \"$1\""
}

# Prints "N passed, M failed" (the last line) and exits non-zero if anything failed.
finish() {
    if [ "$WD_FAILED" -ne 0 ]; then
        echo
        echo "failed assertions:"
        local f
        for f in "${WD_FAILURES[@]}"; do
            echo "  - $f"
        done
    fi
    echo "$WD_PASSED passed, $WD_FAILED failed"
    [ "$WD_FAILED" -eq 0 ]
    exit $?
}
