#!/usr/bin/env bash
# sandbox_cli.sh: `warden sandbox probe [--json]`: what the kernel offers, checked against the
# kernel itself (Landlock's ABI asked directly through ctypes), text and JSON in agreement.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# ---- usage -----------------------------------------------------------------------------------
expect_exit 0 -- "$WARDEN" sandbox --help
expect_stdout_contains "usage: warden sandbox probe [--json]"
expect_exit 2 -- "$WARDEN" sandbox
expect_stderr_contains "usage: warden sandbox probe"
expect_exit 2 -- "$WARDEN" sandbox probe --yaml
expect_exit 2 -- "$WARDEN" sandbox launch
expect_exit 0 -- "$WARDEN" help
expect_stdout_contains "sandbox"

# ---- JSON: the kernel's own answer -----------------------------------------------------------
kernel_abi=$(python3 -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
v = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
print(v if v > 0 else 0)')
expect_exit 0 -- "$WARDEN" sandbox probe --json
expect_json_stdout
expect_json_eq 'd["landlock"]["abi"]' "$kernel_abi"
expect_json_eq 'len(d["landlock"]["features"]) == min(d["landlock"]["abi"], 7)' true
expect_json_eq '(d["landlock"]["unavailable_because"] is None) == (d["landlock"]["abi"] > 0)' true
expect_json_eq 'd["root"]' "$([ "$(id -u)" = 0 ] && echo true || echo false)"
expect_json_eq 'd["seccomp"]["already_filtered"]' "$(awk '/^Seccomp:/ {print ($2 == 2) ? "true" : "false"}' /proc/self/status)"
missing=$(wd_json_eval 'd["missing"]')

# ---- text: one line per protection, the same verdicts -----------------------------------------
expect_exit 0 -- "$WARDEN" sandbox probe
expect_stdout_matches '^landlock +'
expect_stdout_matches '^seccomp +'
expect_stdout_matches '^no_new_privs +'
expect_stdout_matches '^user namespaces +'
expect_stdout_matches '^network namespace +'
if [ "$kernel_abi" -gt 0 ]; then
    expect_stdout_contains "ABI $kernel_abi: will use filesystem access rights"
else
    expect_stdout_contains "filesystem access is enforced by the broker only"
fi
if [ "$missing" = 1 ]; then
    expect_stdout_contains "1 protection unavailable"
else
    expect_stdout_contains "$missing protections unavailable"
fi

finish
