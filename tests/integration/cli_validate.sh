#!/usr/bin/env bash
# cli_validate.sh: `warden policy validate FILE...` against real files.
# Contract (issue 2): exit 0 if all valid, 1 if any invalid, 2 on usage or I/O errors; every
# error (not just the first) as FILE:LINE:COL: error WD-Pnnn: message, on stderr.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

INVALID="$WD_CLI_DATA/invalid"
VALID="$WD_CLI_DATA/valid"

# ---- every Wassette policy in shared/compat validates, alone and all together -------------

compat=("$WD_COMPAT"/*.yaml)
expect_eq "$([ "${#compat[@]}" -ge 15 ] && echo yes)" yes "compat/wassette holds the Wassette policies (${#compat[@]} found)"
for f in "${compat[@]}"; do
    expect_exit 0 -- "$WARDEN" policy validate "$f"
    expect_stdout_line_matches 1 "^$f: valid \\([0-9]+ rules, [0-9]+ warnings\\)\$"
    expect_stderr_not_contains ": error WD-"
done
expect_exit 0 -- "$WARDEN" policy validate "${compat[@]}"
expect_stdout_lines "${#compat[@]}"
n_valid=$(grep -c ': valid (' "$WD_OUT")
expect_eq "$n_valid" "${#compat[@]}" "all ${#compat[@]} compat policies reported valid in one run"

# Warnings for what warden parses but cannot enforce: reported, exit stays 0.
C="$WD_COMPAT/comprehensive.yaml"
expect_exit 0 -- "$WARDEN" policy validate "$C"
expect_stdout_line 1 "$C: valid (14 rules, 3 warnings)"
expect_stderr_contains "$C:32:3: warning WD-W001: permissions.runtime is not enforced"
expect_stderr_contains "$C:47:3: warning WD-W001: permissions.ipc is not enforced"
expect_stderr_matches "^$C:45:[0-9]+: warning WD-W001: resources.io is not enforced"
expect_stderr_lines 3
R="$WD_COMPAT/restricted.yaml"
expect_exit 0 -- "$WARDEN" policy validate "$R"
expect_stdout_line 1 "$R: valid (8 rules, 2 warnings)"
expect_stderr_contains "$R:26:3: warning WD-W001: permissions.runtime"
expect_stderr_matches "^$R:38:[0-9]+: warning WD-W001: resources.io"
expect_exit 0 -- "$WARDEN" policy validate "$WD_COMPAT/minimal.yaml"
expect_stderr_empty

# Our own valid fixtures.
for f in "$VALID"/*.yaml; do
    expect_exit 0 -- "$WARDEN" policy validate "$f"
    expect_stdout_contains ": valid ("
done

# ---- usage and I/O errors: exit 2 ------------------------------------------------------------

expect_exit 2 -- "$WARDEN" policy validate
expect_stderr_contains "usage: warden policy validate"
expect_exit 2 -- "$WARDEN" policy
expect_exit 2 -- "$WARDEN" policy frobnicate "$R"
expect_stderr_contains 'unknown policy command "frobnicate"'
expect_exit 0 -- "$WARDEN" policy validate --help
expect_stdout_contains "usage: warden policy validate"

missing="$WD_TMP/no-such-policy.yaml"
expect_exit 2 -- "$WARDEN" policy validate "$missing"
expect_stderr_contains "$missing: error WD-P001: cannot open"
expect_stdout_line 1 "$missing: unreadable"
# An unreadable file outranks an invalid one; the rest are still checked and reported.
expect_exit 2 -- "$WARDEN" policy validate "$R" "$missing" "$INVALID/p011-unknown-key.yaml"
expect_stdout_line 1 "$R: valid (8 rules, 2 warnings)"
expect_stdout_line 2 "$missing: unreadable"
expect_stdout_line 3 "$INVALID/p011-unknown-key.yaml: invalid (1 errors)"
expect_stderr_contains "$INVALID/p011-unknown-key.yaml:7:7: error WD-P011:"
expect_exit 2 -- "$WARDEN" policy validate "$missing" "$R"

# A directory and a FIFO are not policy files; the FIFO must not block.
mkdir "$WD_TMP/dir.yaml"
expect_exit 2 -- "$WARDEN" policy validate "$WD_TMP/dir.yaml"
expect_stderr_contains "$WD_TMP/dir.yaml: error WD-P001:"
expect_stdout_line 1 "$WD_TMP/dir.yaml: unreadable"
mkfifo "$WD_TMP/fifo.yaml"
WD_TIMEOUT=5 expect_exit 2 -- "$WARDEN" policy validate "$WD_TMP/fifo.yaml"
expect_stderr_contains "$WD_TMP/fifo.yaml: error WD-P001:"
# The same FIFO with a writer attached: still refused (not a regular file), still no hang.
(exec 3<>"$WD_TMP/fifo.yaml"; sleep 6) &
holder=$!
WD_TIMEOUT=5 expect_exit 2 -- "$WARDEN" policy validate "$WD_TMP/fifo.yaml"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

if [ "$(id -u)" -ne 0 ]; then
    printf 'version: "1.0"\n' >"$WD_TMP/noperm.yaml"
    chmod 000 "$WD_TMP/noperm.yaml"
    expect_exit 2 -- "$WARDEN" policy validate "$WD_TMP/noperm.yaml"
    expect_stderr_contains "error WD-P001: cannot open"
fi

# ---- a valid and an invalid file together: exit 1, diagnostics for the invalid one only -------

expect_exit 1 -- "$WARDEN" policy validate "$R" "$INVALID/p021-host.yaml"
expect_stdout_line 1 "$R: valid (8 rules, 2 warnings)"
expect_stdout_line 2 "$INVALID/p021-host.yaml: invalid (1 errors)"
expect_stderr_contains "$INVALID/p021-host.yaml:5:13: error WD-P021: bad host \"api.*.example.com\""
! grep -qE "^$R:[0-9]+:[0-9]+: error" "$WD_ERR"
wd_check $? "valid+invalid: no error lines for the valid file"
n_err=$(grep -c ': error WD-' "$WD_ERR")
expect_eq "$n_err" 1 "valid+invalid: exactly one error line on stderr"
expect_exit 1 -- "$WARDEN" policy validate "$INVALID/p021-host.yaml" "$R"
expect_stdout_line 2 "$R: valid (8 rules, 2 warnings)"

# ---- several errors in one file: all reported and counted ------------------------------------

M="$INVALID/multi-errors.yaml"
expect_exit 1 -- "$WARDEN" policy validate "$M"
expect_stdout_line 1 "$M: invalid (8 errors)"
n_err=$(grep -cE "^$M:[0-9]+:[0-9]+: error WD-P[0-9]{3}: " "$WD_ERR")
expect_eq "$n_err" 8 "multi-errors.yaml: 8 FILE:LINE:COL: error lines on stderr"
for want in "1:10: error WD-P014:" "6:24: error WD-P016:" "7:24: error WD-P020: unknown access \"fly\"" \
    "10:13: error WD-P021:" "11:13: error WD-P023:" "14:14: error WD-P024:" \
    "17:12: error WD-P025: bad cpu \"lots\"" "18:3: error WD-P011: unknown key \"extra\" in permissions"; do
    expect_stderr_contains "$M:$want"
done
# Two invalid files: each one's errors, and each one's count.
expect_exit 1 -- "$WARDEN" policy validate "$M" "$INVALID/p023-cidr-host-bits.yaml"
expect_stdout_line 2 "$INVALID/p023-cidr-host-bits.yaml: invalid (2 errors)"
n_err=$(grep -c ': error WD-P' "$WD_ERR")
expect_eq "$n_err" 10 "two invalid files: 8 + 2 error lines"

# ---- one file per error id: exact id and exact LINE:COL ----------------------------------------
# (WD-P019, a relative URI with no data directory, cannot arise from a file loaded by path: the
# data directory defaults to the file's directory.)

# file | expected "LINE:COL: error ID" (or ": error ID" for whole-file errors) | message part
cases=(
    "p003-empty.yaml|: error WD-P003|empty"
    "p003-comments-only.yaml|: error WD-P003|empty"
    "p003-null-document.yaml|: error WD-P003|content"
    "p005-syntax.yaml|:6:17: error WD-P005|invalid YAML"
    "p006-anchor.yaml|:5:7: error WD-P006|anchors and aliases are not allowed: &home"
    "p006-anchor.yaml|:6:7: error WD-P006|anchors and aliases are not allowed: *home"
    "p007-tag.yaml|:2:14: error WD-P007|explicit tags are not allowed"
    "p008-multi-doc.yaml|:2:1: error WD-P008|exactly one YAML document"
    "p009-too-deep.yaml|:2:77: error WD-P009|nesting deeper than 64 levels"
    "p010-duplicate-key.yaml|:6:3: error WD-P010|duplicate key: environment"
    "p010-duplicate-rule-key.yaml|:7:7: error WD-P010|duplicate key: uri"
    "p011-unknown-key.yaml|:7:7: error WD-P011|unknown key \"recursive\" in storage rule"
    "p012-type.yaml|:3:3: error WD-P012|permissions must be a mapping"
    "p012-access-not-list.yaml|:6:15: error WD-P012|access must be a sequence"
    "p013-missing-version.yaml|:1:1: error WD-P013|no version"
    "p013-rule-no-uri.yaml|:5:7: error WD-P013|storage rule has no uri"
    "p014-version.yaml|:1:10: error WD-P014|unsupported policy version \"2.0\""
    "p015-uri.yaml|:5:12: error WD-P015|must start with fs://"
    "p015-empty-path.yaml|:5:12: error WD-P015|no path after fs://"
    "p016-globstar.yaml|:5:27: error WD-P016|'**' must be a whole path segment"
    "p017-wildcard.yaml|:5:25: error WD-P017|more than one '*' in a path segment"
    "p017-wildcard-utf8.yaml|:5:28: error WD-P017|unsupported wildcard character '?'"
    "p018-dot-segment.yaml|:5:28: error WD-P018|'..' segment"
    "p020-access.yaml|:6:24: error WD-P020|unknown access \"append\""
    "p020-access-twice.yaml|:6:29: error WD-P020|listed twice"
    "p020-access-empty.yaml|:6:15: error WD-P020|access list is empty"
    "p021-host.yaml|:5:13: error WD-P021|wildcard only allowed as a leading '*.'"
    "p022-port.yaml|:6:20: error WD-P022|bad port \"70000\""
    "p022-host-port.yaml|:5:13: error WD-P022|port out of range"
    "p023-cidr.yaml|:5:13: error WD-P023|prefix length out of range 0-32"
    "p023-cidr-host-bits.yaml|:5:13: error WD-P023|bits set after the prefix"
    "p023-cidr-host-bits.yaml|:6:13: error WD-P023|prefix length out of range 0-128"
    "p024-env-key.yaml|:5:17: error WD-P024|wildcards are not supported in environment keys"
    "p025-resource.yaml|:5:15: error WD-P025|bad memory \"512MB\""
    "p025-legacy-cpu.yaml|:4:10: error WD-P025|bad cpu (legacy percentage) \"12.55\""
    "p025-legacy-cpu.yaml|:6:16: error WD-P025|bad timeout \"5x\""
    "p026-conflict.yaml|:6:13: error WD-P026|host or cidr, not both"
    "p026-resource-twice.yaml|:6:13: error WD-P026|memory is set both"
)
ids_seen=""
for c in "${cases[@]}"; do
    IFS='|' read -r file where msg <<<"$c"
    f="$INVALID/$file"
    expect_exit 1 -- "$WARDEN" policy validate "$f"
    expect_stdout_matches "^$f: invalid \\([1-9][0-9]* errors\\)\$"
    if [ "${where:0:1}" = ":" ] && [ "${where:1:1}" != " " ]; then
        expect_stderr_contains "$f$where: "
        # the diagnostic line carries the message too
        grep -F -- "$f$where: " "$WD_ERR" | grep -qF -- "$msg"
        wd_check $? "$file: \"$where\" diagnostic says \"$msg\"" "no $where diagnostic with: $msg"
    else
        # A whole-file error has no position: FILE: error ID (or FILE:1:1: error ID).
        expect_stderr_matches "^$f(:1:1)?${where}: .*$msg"
    fi
    ids_seen+=" $(grep -oE 'WD-P[0-9]{3}' <<<"$where")"
done

# The invalid-data directory is covered: every file in it appears in the table (or below).
for f in "$INVALID"/*.yaml; do
    b=$(basename "$f")
    case " ${cases[*]} " in
    *"$b|"*) wd_pass "$b is in the error table" ;;
    *) [ "$b" = multi-errors.yaml ] && wd_pass "$b is tested above" || wd_fail "$b is not tested" ;;
    esac
done

# ---- error files generated at test time (not committed) ----------------------------------------

# Invalid UTF-8: the position of the bad byte, in characters.
printf 'version: "1.0"\ndescription: "caf\xc3\xa9 \xff"\n' >"$WD_TMP/utf8.yaml"
expect_exit 1 -- "$WARDEN" policy validate "$WD_TMP/utf8.yaml"
expect_stderr_contains "$WD_TMP/utf8.yaml:2:20: error WD-P004: not valid UTF-8"
expect_stdout_line 1 "$WD_TMP/utf8.yaml: invalid (1 errors)"
# Overlong encoding and an encoded surrogate are not UTF-8 either.
printf 'version: "1.0"\n\xc0\xaf: x\n' >"$WD_TMP/overlong.yaml"
expect_exit 1 -- "$WARDEN" policy validate "$WD_TMP/overlong.yaml"
expect_stderr_contains "$WD_TMP/overlong.yaml:2:1: error WD-P004:"
printf 'version: "1.0"\ndescription: "\xed\xa0\x80"\n' >"$WD_TMP/surrogate.yaml"
expect_exit 1 -- "$WARDEN" policy validate "$WD_TMP/surrogate.yaml"
expect_stderr_contains "$WD_TMP/surrogate.yaml:2:15: error WD-P004:"
# A truncated multi-byte sequence at the very end of the file.
printf 'version: "1.0"\n# \xe2\x82' >"$WD_TMP/truncated.yaml"
expect_exit 1 -- "$WARDEN" policy validate "$WD_TMP/truncated.yaml"
expect_stderr_contains "$WD_TMP/truncated.yaml:2:3: error WD-P004:"

# A NUL byte.
printf 'version: "1.0"\ndesc\0ription: "x"\n' >"$WD_TMP/nul.yaml"
expect_exit 1 -- "$WARDEN" policy validate "$WD_TMP/nul.yaml"
expect_stderr_contains "$WD_TMP/nul.yaml:2:5: error WD-P004: NUL byte"

# A UTF-8 byte order mark is allowed at the start of a YAML stream (YAML 1.2, 5.2) and editors
# write one: a Wassette policy saved with a BOM must load unchanged, and columns on line 1 count
# what an editor shows (the BOM is not a column).
{ printf '\xef\xbb\xbf'; cat "$C"; } >"$WD_TMP/bom-comprehensive.yaml"
expect_exit 0 -- "$WARDEN" policy validate "$WD_TMP/bom-comprehensive.yaml"
expect_stdout_line 1 "$WD_TMP/bom-comprehensive.yaml: valid (14 rules, 3 warnings)"
printf '\xef\xbb\xbfversion: "2.0"\n' >"$WD_TMP/bom-version.yaml"
expect_exit 1 -- "$WARDEN" policy validate "$WD_TMP/bom-version.yaml"
expect_stderr_contains "$WD_TMP/bom-version.yaml:1:10: error WD-P014:"

# Valid multi-byte text is fine.
printf 'version: "1.0"\ndescription: "données — ✓"\n' >"$WD_TMP/utf8-ok.yaml"
expect_exit 0 -- "$WARDEN" policy validate "$WD_TMP/utf8-ok.yaml"

# Size: exactly 10 MiB is allowed, one byte more is a WD-P002 validation error (invalid, exit 1:
# the file is readable, it is the policy that breaks a rule of the format).
python3 - "$WD_TMP" <<'EOF'
import sys
head = 'version: "1.0"\n'
limit = 10 * 1024 * 1024
for name, size in (("at-limit.yaml", limit), ("over-limit.yaml", limit + 1), ("huge.yaml", 11 * 1024 * 1024)):
    with open(sys.argv[1] + "/" + name, "w") as f:
        f.write(head + "#" * (size - len(head) - 1) + "\n")
EOF
expect_eq "$(stat -c %s "$WD_TMP/over-limit.yaml")" 10485761 "over-limit.yaml is 10 MiB + 1 byte"
expect_exit 0 -- "$WARDEN" policy validate "$WD_TMP/at-limit.yaml"
expect_stdout_line 1 "$WD_TMP/at-limit.yaml: valid (0 rules, 0 warnings)"
for big in over-limit.yaml huge.yaml; do
    expect_exit 1 -- "$WARDEN" policy validate "$WD_TMP/$big"
    expect_stderr_contains "$WD_TMP/$big: error WD-P002: "
    expect_stdout_line 1 "$WD_TMP/$big: invalid (1 errors)"
done

# More than a million YAML nodes (about 2 MB of text): WD-P009, and quickly.
python3 -c 'import sys; sys.stdout.write("version: \"1.0\"\ndescription: [" + "0," * 1000001 + "0]\n")' >"$WD_TMP/nodes.yaml"
expect_exit 1 -- "$WARDEN" policy validate "$WD_TMP/nodes.yaml"
expect_stderr_matches "^$WD_TMP/nodes.yaml:2:[0-9]+: error WD-P009: more than 1000000 YAML nodes"

# Many errors must not make validation quadratic: 240,000 duplicate keys (6.2 MB, under both the
# size and the node limit) listed so that their report order is the reverse of their line order.
# Every one is reported, well within the time limit: a linear run takes about a second (under
# two with ASan); a quadratic one takes most of a minute.
python3 - "$WD_TMP/dups.yaml" <<'EOF'
import sys
n = 240000
lines = ['version: "1.0"', "permissions:"]
for i in range(n, 0, -1):
    lines += ["  k%06d: 1" % i] * 2
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
WD_TIMEOUT=20 expect_exit 1 -- "$WARDEN" policy validate "$WD_TMP/dups.yaml"
expect_stdout_line 1 "$WD_TMP/dups.yaml: invalid (240000 errors)"
expect_stderr_contains "$WD_TMP/dups.yaml:4:3: error WD-P010: duplicate key: k240000"
expect_stderr_contains "$WD_TMP/dups.yaml:480002:3: error WD-P010: duplicate key: k000001"

finish
