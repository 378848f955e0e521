#!/usr/bin/env bash
# cli_batch.sh: `warden check --policy FILE [--data-dir DIR] --batch FILE|-`.
# One VERB TARGET per line ('#' starts a comment); one output line per query, in order, first
# word allow or deny; a malformed line prints "error LINE: message", the rest still run, and the
# exit status is then 2. Otherwise 0 when every query is allowed, 1 when any is denied.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

R="$WD_COMPAT/restricted.yaml"
B="$WD_TMP/batch.txt"

# ---- a mixed batch: comments, blanks, malformed lines, decisions -------------------------------

cat >"$B" <<'EOF'
# a batch of queries against restricted.yaml
connect api.safe-service.com

write /data/sandbox/temp/x   # a trailing comment
   
bogus
frob /x
read relative/path
	env PATH
read /data/sandbox/temp/x
  # an indented comment
connect evil.com
EOF
want=(
    "allow connect api.safe-service.com: "
    "allow write /data/sandbox/temp/x: "
    "error 6: "
    "error 7: unknown verb \"frob\""
    "error 8: read needs an absolute path"
    "allow env PATH: "
    "deny read /data/sandbox/temp/x: no rule matched (default deny)"
    "deny connect evil.com: $R:18:7 [deny host *]"
)
check_mixed_output() {
    expect_stdout_lines ${#want[@]}
    local i
    for i in "${!want[@]}"; do
        local line
        line=$(sed -n "$((i + 1))p" "$WD_OUT")
        [ "${line#"${want[$i]}"}" != "$line" ]
        wd_check $? "$1: output line $((i + 1)) starts with \"${want[$i]}\"" "line $((i + 1)) is \"${line:0:200}\""
    done
    expect_stdout_not_contains "comment"
}
expect_exit 2 -- "$WARDEN" check --policy "$R" --data-dir /data --batch "$B"
check_mixed_output "batch FILE"
expect_exit 2 -- "$WARDEN" check --policy "$R" --data-dir /data --batch - <"$B"
check_mixed_output "batch stdin"
expect_exit 2 -- "$WARDEN" check --batch "$B" --data-dir /data --policy "$R"
check_mixed_output "options in another order"

# ---- exit status ------------------------------------------------------------------------------

printf 'env PATH\nenv HOME\nconnect api.safe-service.com\nwrite /data/sandbox/temp/a\n' >"$WD_TMP/allow.txt"
expect_exit 0 -- "$WARDEN" check --policy "$R" --data-dir /data --batch "$WD_TMP/allow.txt"
expect_stdout_lines 4
n=$(grep -c '^allow ' "$WD_OUT")
expect_eq "$n" 4 "all-allow batch: four allow lines"
expect_exit 0 -- "$WARDEN" check --policy "$R" --data-dir /data --batch - <"$WD_TMP/allow.txt"
expect_stdout_lines 4

printf 'env PATH\nenv NOPE\nenv HOME\n' >"$WD_TMP/deny.txt"
expect_exit 1 -- "$WARDEN" check --policy "$R" --batch "$WD_TMP/deny.txt"
expect_stdout_line_matches 1 '^allow env PATH: '
expect_stdout_line_matches 2 '^deny env NOPE: no rule matched'
expect_stdout_line_matches 3 '^allow env HOME: '
expect_stdout_lines 3
# a deny after an error, and an error after a deny: 2 either way
expect_exit 2 -- "$WARDEN" check --policy "$R" --batch - < <(printf 'env NOPE\nenv\n')
expect_stdout_line 2 "error 2: expected VERB TARGET"
expect_exit 2 -- "$WARDEN" check --policy "$R" --batch - < <(printf 'env\nenv NOPE\n')
expect_stdout_line 1 "error 1: expected VERB TARGET"
expect_stdout_line_matches 2 '^deny env NOPE: '

# nothing to decide: no output, exit 0
printf '# nothing here\n\n   \n\t# still nothing\n' >"$WD_TMP/empty.txt"
expect_exit 0 -- "$WARDEN" check --policy "$R" --batch "$WD_TMP/empty.txt"
expect_stdout_empty
expect_exit 0 -- "$WARDEN" check --policy "$R" --batch - </dev/null
expect_stdout_empty

# ---- line handling ----------------------------------------------------------------------------

# CRLF line endings, a last line without a newline, tabs and runs of blanks between the words
printf 'env PATH\r\nenv  \t HOME\r\n\r\nconnect api.safe-service.com' >"$WD_TMP/crlf.txt"
expect_exit 0 -- "$WARDEN" check --policy "$R" --batch "$WD_TMP/crlf.txt"
expect_stdout_lines 3
expect_stdout_line_matches 1 '^allow env PATH: '
expect_stdout_line_matches 2 '^allow env HOME: '
expect_stdout_line_matches 3 '^allow connect api.safe-service.com: '
# '#' starts a comment only at the start of the line or after white space
printf 'write /data/sandbox/temp/a#b\nwrite /data/sandbox/temp/c #d\n' >"$WD_TMP/hash.txt"
expect_exit 0 -- "$WARDEN" check --policy "$R" --data-dir /data --batch "$WD_TMP/hash.txt"
expect_stdout_line_matches 1 '^allow write /data/sandbox/temp/a#b: '
expect_stdout_line_matches 2 '^allow write /data/sandbox/temp/c: '

# very long lines: an error line each, and the lines after them still run and keep their numbers
long9k=$(printf 'read /%09000d' 0)
long1m=$(head -c 1048576 /dev/zero | tr '\0' a)
long6k="read /$(head -c 6000 /dev/zero | tr '\0' b)"
{
    echo "env PATH"
    echo "$long9k"
    echo "env HOME"
    echo "connect $long1m"
    echo "$long6k"
    echo "env NOPE"
} >"$WD_TMP/long.txt"
expect_exit 2 -- "$WARDEN" check --policy "$R" --batch "$WD_TMP/long.txt"
expect_stdout_lines 6
expect_stdout_line_matches 1 '^allow env PATH: '
expect_stdout_line_matches 2 '^error 2: .*longer than'
expect_stdout_line_matches 3 '^allow env HOME: '
expect_stdout_line_matches 4 '^error 4: .*longer than'
expect_stdout_line_matches 5 '^error 5: '
expect_stdout_line_matches 6 '^deny env NOPE: '
expect_exit 2 -- "$WARDEN" check --policy "$R" --batch - <"$WD_TMP/long.txt"
expect_stdout_lines 6
expect_stdout_line_matches 4 '^error 4: '

# the limit is on the line, not on the line plus its newline: a line of exactly 8192 bytes (here a
# query padded with a comment) is decided, one of 8193 bytes is an error; and a line is judged the
# same whether or not it is the last line and ends without a newline.
python3 - "$WD_TMP" <<'EOF'
import sys
def line(n):
    s = "env PATH #"
    return s + "x" * (n - len(s))
open(sys.argv[1] + "/edge.txt", "w").write("".join(line(n) + "\n" for n in (8191, 8192, 8193)))
open(sys.argv[1] + "/edge-eof.txt", "w").write(line(8193))
EOF
expect_exit 2 -- "$WARDEN" check --policy "$R" --batch "$WD_TMP/edge.txt"
expect_stdout_lines 3
expect_stdout_line_matches 1 '^allow env PATH: '
expect_stdout_line_matches 2 '^allow env PATH: '
expect_stdout_line 3 "error 3: line is longer than 8192 bytes"
expect_exit 2 -- "$WARDEN" check --policy "$R" --batch "$WD_TMP/edge-eof.txt"
expect_stdout_line 1 "error 1: line is longer than 8192 bytes"

# a NUL byte in a line: an error for that line only
printf 'env PATH\nenv HO\0ME\nenv HOME\n' >"$WD_TMP/nul.txt"
expect_exit 2 -- "$WARDEN" check --policy "$R" --batch "$WD_TMP/nul.txt"
expect_stdout_lines 3
expect_stdout_line_matches 2 '^error 2: '
expect_stdout_line_matches 3 '^allow env HOME: '

# malformed requests of every kind, each an error for its own line
cat >"$WD_TMP/bad.txt" <<'EOF'
read
connect bad host
connect user@example.com
connect example.com:0
execute relative
env PATH
delete /data/../../x
EOF
expect_exit 2 -- "$WARDEN" check --policy "$R" --data-dir /data --batch "$WD_TMP/bad.txt"
expect_stdout_lines 7
expect_stdout_line 1 "error 1: expected VERB TARGET"
expect_stdout_line_matches 2 '^error 2: '
expect_stdout_line_matches 3 '^error 3: '
expect_stdout_line_matches 4 '^error 4: '
expect_stdout_line_matches 5 '^error 5: execute needs an absolute path'
expect_stdout_line_matches 6 '^allow env PATH: '
expect_stdout_line_matches 7 "^deny delete /data/../../x: path climbs above /"

# ---- JSON -------------------------------------------------------------------------------------
# With --json every output line is one JSON object, malformed lines included (as {"error",
# "line"}), so a consumer never has to guess which parser to use for a line.

expect_exit 2 -- "$WARDEN" check --policy "$R" --data-dir /data --json --batch "$B"
expect_stdout_lines ${#want[@]}
python3 - "$WD_OUT" >"$WD_TMP/json-check.txt" <<'EOF'
import json, sys
out = []
for l in open(sys.argv[1]):
    try:
        r = json.loads(l)
        out.append(r.get("decision") or "error:%s" % r.get("line"))
    except ValueError:
        out.append("not-json(%s)" % " ".join(l.split()[:2]))
print(" ".join(out))
EOF
expect_eq "$(cat "$WD_TMP/json-check.txt")" "allow allow error:6 error:7 error:8 allow deny deny" "batch --json: one JSON object per line, in order, errors with their line numbers"

# ---- I/O and usage errors -------------------------------------------------------------------------

expect_exit 2 -- "$WARDEN" check --policy "$R" --batch "$WD_TMP/no-such-batch.txt"
expect_stderr_contains "no-such-batch.txt"
expect_stdout_empty
mkdir "$WD_TMP/batch-dir"
expect_exit 2 -- "$WARDEN" check --policy "$R" --batch "$WD_TMP/batch-dir"
expect_exit 2 -- "$WARDEN" check --policy "$WD_TMP/no-such-policy.yaml" --batch "$WD_TMP/allow.txt"
expect_stdout_empty
expect_exit 2 -- "$WARDEN" check --policy "$WD_CLI_DATA/invalid/p011-unknown-key.yaml" --batch "$WD_TMP/allow.txt"
expect_stdout_empty
expect_stderr_contains "error WD-P011"
expect_exit 2 -- "$WARDEN" check --batch "$WD_TMP/allow.txt"
expect_exit 2 -- "$WARDEN" check --policy "$R" --batch
# a pipe is a fine batch source (process substitution)
expect_exit 0 -- bash -c '"$1" check --policy "$2" --batch <(printf "env PATH\nenv HOME\n")' _ "$WARDEN" "$R"
expect_stdout_lines 2

# ---- a large batch: 10,000 queries, in order ----------------------------------------------------

python3 - "$WD_TMP" <<'EOF'
import sys
d = sys.argv[1]
with open(d + "/big.txt", "w") as q, open(d + "/big.expected", "w") as e:
    for i in range(10000):
        k = i % 5
        if k == 0:
            q.write("write /data/sandbox/temp/f%d\n" % i); e.write("allow write /data/sandbox/temp/f%d\n" % i)
        elif k == 1:
            q.write("read /data/sandbox/temp/f%d\n" % i); e.write("deny read /data/sandbox/temp/f%d\n" % i)
        elif k == 2:
            q.write("connect h%d.example.com\n" % i); e.write("deny connect h%d.example.com\n" % i)
        elif k == 3:
            q.write("read /data/sandbox/readonly/d%d/x\n" % i); e.write("allow read /data/sandbox/readonly/d%d/x\n" % i)
        else:
            q.write("env %s\n" % ("PATH" if i % 2 else "HOME")); e.write("allow env %s\n" % ("PATH" if i % 2 else "HOME"))
EOF
expect_exit 1 -- "$WARDEN" check --policy "$R" --data-dir /data --batch "$WD_TMP/big.txt"
expect_stdout_lines 10000
cut -d: -f1 "$WD_OUT" >"$WD_TMP/big.got"
cmp -s "$WD_TMP/big.got" "$WD_TMP/big.expected"
wd_check $? "10,000-query batch: every output line is the expected decision for its query, in order" \
    "first difference: $(diff "$WD_TMP/big.expected" "$WD_TMP/big.got" | head -n 3 | tr '\n' ' ')"
expect_exit 1 -- "$WARDEN" check --policy "$R" --data-dir /data --batch - <"$WD_TMP/big.txt"
expect_stdout_lines 10000
n=$(grep -c '^allow ' "$WD_OUT")
expect_eq "$n" 6000 "10,000-query batch from stdin: 6,000 allowed"
n=$(grep -c '^deny ' "$WD_OUT")
expect_eq "$n" 4000 "10,000-query batch from stdin: 4,000 denied"
# ... and with one malformed line in the middle: still 10,000 lines, that one an error
sed '5000s/.*/frob \/x/' "$WD_TMP/big.txt" >"$WD_TMP/big-err.txt"
expect_exit 2 -- "$WARDEN" check --policy "$R" --data-dir /data --batch "$WD_TMP/big-err.txt"
expect_stdout_lines 10000
expect_stdout_line_matches 5000 '^error 5000: unknown verb "frob"'
expect_stdout_line_matches 5001 '^allow write /data/sandbox/temp/f5000: '
n=$(grep -c '^error ' "$WD_OUT")
expect_eq "$n" 1 "10,000-query batch with one bad line: exactly one error line"

finish
