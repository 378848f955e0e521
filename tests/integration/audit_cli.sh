#!/usr/bin/env bash
# audit_cli.sh: the `warden audit` CLI contract (src/cli/cmd_audit.c, docs/audit-format.md):
# keygen, append (single and --stdin), key permission rules, verify exit codes (0 intact,
# 1 tampered, 2 error) and --json, show filters, tail (-n, -f), segment rotation, checkpoints
# and anchors, keys of another log, durability modes, the append-only attribute (one dedicated
# test: the only writer here without --no-append-only), and a tamper matrix checked with the
# MAC key and with the public key alone.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/audit.sh"

cd "$WD_TMP" || exit 2
NA=--no-append-only
ZERO64=0000000000000000000000000000000000000000000000000000000000000000

# The append-only test sets the 'a' attribute, which would block removing the temp dir: clear it
# on the way out whatever happens.
AO="$WD_TMP/ao"
trap 'chattr -a "$AO"/audit-*.jsonl >/dev/null 2>&1; rm -rf "$WD_TMP"' EXIT

# ---- keygen ----------------------------------------------------------------------------------

K="$WD_TMP/keys"
expect_exit 0 -- "$WARDEN" audit keygen --dir "$K"
expect_stdout_contains "keys written to $K"
for f in mac.key signing.key writer.state; do
    expect_eq "$(audit_mode "$K/$f")" 600 "keygen: $f is mode 0600"
done
expect_eq "$(audit_mode "$K/signing.pub")" 644 "keygen: signing.pub is mode 0644"
expect_eq "$(audit_mode "$K")" 700 "keygen: the key directory is created 0700"

# key file formats: header line, 64 lowercase hex digits, newline (and nothing else)
check_keyfile() { # FILE HEADER
    local want=$((${#2} + 1 + 64 + 1)) size
    size=$(wc -c <"$1")
    [ "$size" -eq "$want" ] && [[ "$(cat "$1")" =~ ^"$2"$'\n'[0-9a-f]{64}$ ]]
    wd_check $? "keygen: $(basename "$1") is \"$2\\n\" + 64 hex + \"\\n\"" "$(head -c 200 "$1")"
}
check_keyfile "$K/mac.key" warden-audit-mac-key-v1
check_keyfile "$K/signing.key" warden-audit-signing-key-v1
check_keyfile "$K/signing.pub" warden-audit-public-key-v1
PUBHEX=$(sed -n 2p "$K/signing.pub")

# never overwrites: exit 2, names the file, and leaves every file as it was
before=$(cd "$K" && sha256sum mac.key signing.key signing.pub writer.state)
expect_exit 2 -- "$WARDEN" audit keygen --dir "$K"
expect_stderr_contains "mac.key"
expect_stderr_contains "WD-A012"
expect_stderr_lines 1
expect_eq "$(cd "$K" && sha256sum mac.key signing.key signing.pub writer.state)" "$before" \
    "keygen refused: the existing keys are unchanged"
# one existing file is enough to refuse, and nothing is created beside it
mkdir -m 700 "$WD_TMP/partial" && : >"$WD_TMP/partial/writer.state"
expect_exit 2 -- "$WARDEN" audit keygen --dir "$WD_TMP/partial"
expect_stderr_contains "writer.state"
[ ! -e "$WD_TMP/partial/mac.key" ] && [ ! -e "$WD_TMP/partial/signing.key" ]
wd_check $? "keygen refused: no key was created beside an existing writer.state"

# ---- append ----------------------------------------------------------------------------------

L="$WD_TMP/log"
expect_exit 0 -- "$WARDEN" audit append --log "$L" --keys "$K" $NA --type LOGIN --severity HIGH \
    --component auth --details '{"user":"bob"}' --correlation-id corr-1
expect_stdout_lines 1
expect_stdout_line 1 2
expect_stderr_empty
expect_eq "$(audit_segments "$L" | xargs -n1 basename | tr '\n' ' ')" "audit-00000001.jsonl " \
    "append: the first segment is audit-00000001.jsonl"
first=$(audit_line "$L" 1)
[[ $first == '{"seq":1,'*'"type":"LOG_START","severity":"LOW",'*'"details":{"log_id":"'*'","public_key":"'"$PUBHEX"'"},"prev":"'"$ZERO64"'","mac":"'* ]]
wd_check $? "append: record 1 is LOG_START naming signing.pub, prev = 64 zeros" "${first:0:300}"
second=$(audit_line "$L" 2)
[[ $second == '{"seq":2,'*'"type":"LOGIN","severity":"HIGH","correlation_id":"corr-1","component":"auth","details":{"user":"bob"},"prev":"'"$(audit_sha256 "$first")"'","mac":"'* ]]
wd_check $? "append: record 2 has the fields given, prev = SHA-256 of record 1" "${second:0:300}"
expect_eq "$(audit_line "$L" 3 | sed -nE 's/.*"type":"([A-Z_]+)".*/\1/p')" CHECKPOINT \
    "append: closing the writer seals the log with a CHECKPOINT"

# --stdin: one seq per line, consecutive, following what is there
n0=$(audit_count "$L")
audit_events 5 BULK MEDIUM >"$WD_TMP/bulk.jsonl"
expect_exit 0 -- "$WARDEN" audit append --log "$L" --keys "$K" $NA --stdin <"$WD_TMP/bulk.jsonl"
expect_stdout_lines 5
expect_eq "$(tr '\n' ' ' <"$WD_OUT")" "$(seq -s ' ' $((n0 + 1)) $((n0 + 5))) " \
    "append --stdin: prints seqs $((n0 + 1))..$((n0 + 5)), one a line"
expect_exit 0 -- "$WARDEN" audit show --log "$L" --type BULK --json
expect_stdout_lines 5
expect_stdout_line_matches 5 '"severity":"MEDIUM","correlation_id":"[^"]+","component":"test","details":\{"n":5,"s":"abcdef"\}'

# refused events: exit 2, one clear line, nothing written
refused() { # DESCRIPTION-WORD -- CMD...
    local word=$1 n
    shift
    n=$(audit_count "$L")
    expect_exit 2 "$@"
    expect_stderr_lines 1
    expect_stderr_contains "$word"
    expect_stderr_not_contains "usage:"
    expect_eq "$(audit_count "$L")" "$n" "$WD_LAST_CMD: nothing was written"
}
W=("$WARDEN" audit append --log "$L" --keys "$K" "$NA")
refused '"BAD"' -- "${W[@]}" --type X --severity BAD
refused 'severity' -- "${W[@]}" --type X --severity low
refused '"lower"' -- "${W[@]}" --type lower --severity LOW
refused '"9LIVES"' -- "${W[@]}" --type 9LIVES --severity LOW
refused 'type' -- "${W[@]}" --type "$(printf 'A%.0s' {1..65})" --severity LOW
refused 'details' -- "${W[@]}" --type X --severity LOW --details '{bad'
refused 'details' -- "${W[@]}" --type X --severity LOW --details '[1,2]'
refused 'details' -- "${W[@]}" --type X --severity LOW --details '"text"'
refused 'details' -- "${W[@]}" --type X --severity LOW --details '{"a":1} {"b":2}'
refused 'component' -- "${W[@]}" --type X --severity LOW --component "$(printf 'c%.0s' {1..257})"
refused '--keys' -- "$WARDEN" audit append --log "$L" $NA --type X --severity LOW
refused '--log' -- "$WARDEN" audit append --keys "$K" $NA --type X --severity LOW
refused '--type' -- "${W[@]}" --severity LOW
# the limits themselves are fine
expect_exit 0 -- "${W[@]}" --type "$(printf 'A%.0s' {1..64})" --severity LOW \
    --component "$(printf 'c%.0s' {1..256})"
# --stdin stops at the first bad line, says which, and keeps what came before
printf '%s\n' '{"type":"GOOD","severity":"LOW"}' 'not json' '{"type":"NEVER","severity":"LOW"}' \
    >"$WD_TMP/badline.jsonl"
expect_exit 2 -- "${W[@]}" --stdin <"$WD_TMP/badline.jsonl"
expect_stdout_lines 1
expect_stderr_contains "stdin line 2"
expect_exit 0 -- "$WARDEN" audit show --log "$L" --type NEVER
expect_stdout_empty
printf '%s\n' '{"type":"X","severity":"LOW","details":[1]}' >"$WD_TMP/baddetails.jsonl"
expect_exit 2 -- "${W[@]}" --stdin <"$WD_TMP/baddetails.jsonl"
expect_stdout_empty

# canonical form of what is written (docs/audit-format.md, "Records")
expect_exit 0 -- "${W[@]}" --type CANON --severity LOW --details '{ "a" : [1, 2],
  "b" : {"c" : null} }'
canon=$(sed -n 1p "$WD_OUT")
expect_eq "$(audit_line "$L" "$canon" | sed -nE 's/.*"details":(\{.*\}),"prev":.*/\1/p')" \
    '{"a":[1,2],"b":{"c":null}}' "append --details: written compactly"
# D is "written without insignificant white space; keys keep the order the caller gave", and
# UTF-8 is written as is: verifiers hash the bytes, they never re-serialise
expect_exit 0 -- "${W[@]}" --type ORDERED --severity LOW --details '{"b":1,"a":2}'
s=$(sed -n 1p "$WD_OUT")
expect_eq "$(audit_line "$L" "$s" | sed -nE 's/.*"details":(\{.*\}),"prev":.*/\1/p')" \
    '{"b":1,"a":2}' "append --details: keys keep the caller's order"
expect_exit 0 -- "${W[@]}" --type UTF8 --severity LOW --details '{"u":"é"}'
s=$(sed -n 1p "$WD_OUT")
expect_eq "$(audit_line "$L" "$s" | sed -nE 's/.*"details":(\{.*\}),"prev":.*/\1/p')" \
    '{"u":"é"}' "append --details: UTF-8 written as is"
# a key twice means different things to different readers: refused
expect_exit 2 -- "${W[@]}" --type DUP --severity LOW --details '{"a":1,"a":2}'
expect_stderr_contains "WD-A009"
# the same details through --stdin
expect_exit 0 -- "${W[@]}" --stdin <<<'{"type":"SORTED_STDIN","severity":"LOW","details":{"b":1,"a":"é"}}'
s=$(sed -n 1p "$WD_OUT")
expect_eq "$(audit_line "$L" "$s" | sed -nE 's/.*"details":(\{.*\}),"prev":.*/\1/p' |
    tr 'E' 'e')" '{"a":"\u00e9","b":1}' "append --stdin: details keys sorted, non-ASCII escaped"
# strings: '"' and '\' escaped, control characters as \t, \n or \u00XX, UTF-8 as is
expect_exit 0 -- "${W[@]}" --type STR --severity LOW --component $'a\t"b\\c\nd\x01é'
s=$(sed -n 1p "$WD_OUT")
rec=$(audit_line "$L" "$s")
[[ $rec == *'"component":"a\t\"b\\c\nd\u0001é",'* ]]
wd_check $? "append: component escaped as the doc says" "${rec:0:300}"
[[ $rec =~ \"correlation_id\":\"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\" ]]
wd_check $? "append: without --correlation-id, a fresh UUIDv4" "${rec:0:300}"
# every record so far: ts with nine fractional digits, seq = line number
bad=$(audit_cat "$L" | grep -cvE '^\{"seq":[1-9][0-9]*,"ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z","type":"[A-Z][A-Z0-9_]*","severity":"(LOW|MEDIUM|HIGH|CRITICAL)","correlation_id":".*","component":".*","details":\{.*\},"prev":"[0-9a-f]{64}","mac":"[0-9a-f]{64}"\}$')
expect_eq "$bad" 0 "append: every line has the canonical shape (seq, ts with 9 digits, ... mac)"
audit_cat "$L" >"$WD_TMP/all.jsonl"
expect_eq "$(audit_seqs "$WD_TMP/all.jsonl" | tr '\n' ' ')" "$(seq -s ' ' 1 "$(audit_count "$L")") " \
    "append: seq is 1, 2, 3, ... with no gap"
expect_exit 0 -- "$WARDEN" audit verify --log "$L" --mac-key "$K/mac.key" --pubkey "$K/signing.pub"

# ---- key permissions -------------------------------------------------------------------------

KP="$WD_TMP/kp"
LP="$WD_TMP/lp"
audit_keygen "$KP"
expect_exit 0 -- "$WARDEN" audit append --log "$LP" --keys "$KP" $NA --type A --severity LOW
loose() { # FILE MODE -- CMD...: refused while FILE has MODE
    local file=$1 mode=$2
    shift 2
    chmod "$mode" "$file"
    expect_exit 2 "$@"
    expect_stderr_contains "0600"
    expect_stderr_contains "$(basename "$file")"
    expect_stderr_contains "WD-A002"
    chmod 600 "$file"
}
loose "$KP/signing.key" 644 -- "$WARDEN" audit append --log "$LP" --keys "$KP" $NA --type A --severity LOW
loose "$KP/signing.key" 640 -- "$WARDEN" audit checkpoint --log "$LP" --keys "$KP" $NA
loose "$KP/writer.state" 644 -- "$WARDEN" audit append --log "$LP" --keys "$KP" $NA --type A --severity LOW
loose "$KP/mac.key" 644 -- "$WARDEN" audit verify --log "$LP" --mac-key "$KP/mac.key"
loose "$KP/mac.key" 604 -- "$WARDEN" audit verify --log "$LP" --mac-key "$KP/mac.key"
# a symlinked signing.key is refused even with good modes
mv "$KP/signing.key" "$KP/real.key" && ln -s real.key "$KP/signing.key"
expect_exit 2 -- "$WARDEN" audit append --log "$LP" --keys "$KP" $NA --type A --severity LOW
expect_stderr_contains "signing.key"
expect_stderr_contains "symbolic link"
rm "$KP/signing.key" && mv "$KP/real.key" "$KP/signing.key"
# the refusals were about the permissions: with them restored, all is well
expect_exit 0 -- "$WARDEN" audit append --log "$LP" --keys "$KP" $NA --type A --severity LOW
expect_exit 0 -- "$WARDEN" audit verify --log "$LP" --mac-key "$KP/mac.key"

# ---- verify: exit codes and --json -----------------------------------------------------------

N=$(audit_count "$L")
NCP=$(audit_cat "$L" | grep -c '"type":"CHECKPOINT"')
expect_exit 0 -- "$WARDEN" audit verify --log "$L" --mac-key "$K/mac.key"
expect_stdout_first_word "intact:"
expect_stdout_contains "$N records (last seq $N)"
expect_stdout_contains "every MAC checked"
expect_exit 0 -- "$WARDEN" audit verify --log "$L" --pubkey "$K/signing.pub"
expect_stdout_contains "every signature checked"
expect_exit 2 -- "$WARDEN" audit verify --log "$L"
expect_stderr_contains "--mac-key"
expect_exit 2 -- "$WARDEN" audit verify --log "$WD_TMP/no-such-log" --mac-key "$K/mac.key"
expect_stderr_contains "no-such-log"
expect_exit 2 -- "$WARDEN" audit verify --log "$L" --mac-key "$WD_TMP/no-such.key"
expect_exit 2 -- "$WARDEN" audit verify --log "$L" --pubkey "$K/mac.key" # wrong kind of key file
expect_stderr_contains "WD-A003"

expect_exit 0 -- "$WARDEN" audit verify --log "$L" --mac-key "$K/mac.key" --pubkey "$K/signing.pub" --json
expect_json_stdout
expect_json_eq 'd["intact"]' true
expect_json_eq 'd["problem"]' intact
expect_json_eq 'd["records"]' "$N"
expect_json_eq 'd["last_seq"]' "$N"
expect_json_eq 'd["checkpoints"]' "$NCP"
expect_json_eq 'd["unsealed"]' 0
expect_json_eq 'd["recoveries"]' 0
expect_json_eq 'd["macs_checked"]' true
expect_json_eq 'd["signatures_checked"]' true
expect_json_eq 'd["sealed_seq"]' "$N"
expect_json_eq 'd["sealed_at"] is not None and len(d["sealed_at"]) == 30' true
expect_json_eq 'd["unsealed_since"]' null
expect_json_eq 'sorted(d)' "['checkpoints', 'intact', 'last_seq', 'macs_checked', 'message', 'problem', 'records', 'recoveries', 'sealed_at', 'sealed_seq', 'seq', 'signatures_checked', 'unsealed', 'unsealed_since']"
expect_exit 0 -- "$WARDEN" audit verify --log "$L" --pubkey "$K/signing.pub" --json
expect_json_eq 'd["macs_checked"]' false
expect_json_eq 'd["signatures_checked"]' true
cp -a "$L" "$WD_TMP/ljson"
sed -i '2s/"user":"bob"/"user":"eve"/' "$WD_TMP/ljson/audit-00000001.jsonl"
expect_exit 1 -- "$WARDEN" audit verify --log "$WD_TMP/ljson" --mac-key "$K/mac.key" --json
expect_json_stdout
expect_json_eq 'd["intact"]' false
expect_json_eq 'd["problem"]' "bad MAC"
expect_json_eq 'd["seq"]' 2
expect_json_eq 'd["message"].startswith("seq 2: bad MAC:")' true

# ---- show ------------------------------------------------------------------------------------

KS="$WD_TMP/ks"
LS="$WD_TMP/ls"
audit_keygen "$KS"
cat >"$WD_TMP/show.jsonl" <<'EOF'
{"type":"LOGIN","severity":"LOW","component":"auth"}
{"type":"LOGIN","severity":"HIGH","component":"auth"}
{"type":"FILE_READ","severity":"MEDIUM","component":"fs"}
{"type":"NET","severity":"CRITICAL","component":"net"}
{"type":"FILE_READ","severity":"LOW","component":"fs"}
EOF
# records: 1 LOG_START, 2 LOGIN LOW, 3 LOGIN HIGH, 4 FILE_READ MEDIUM, 5 NET CRITICAL,
# 6 FILE_READ LOW, 7 CHECKPOINT
expect_exit 0 -- "$WARDEN" audit append --log "$LS" --keys "$KS" $NA --stdin <"$WD_TMP/show.jsonl"
shows() { # EXPECTED-SEQS -- SHOW-ARGS...
    local want=$1
    shift
    [ "${1:-}" = "--" ] && shift
    expect_exit 0 -- "$WARDEN" audit show --log "$LS" --json "$@"
    expect_eq "$(audit_seqs "$WD_OUT" | tr '\n' ' ')" "$want" "show $*: seqs $want"
}
shows "1 2 3 4 5 6 7 " --
shows "2 3 " -- --type LOGIN
shows "3 4 5 " -- --severity MEDIUM
shows "3 5 " -- --severity HIGH
shows "5 " -- --severity CRITICAL
shows "1 2 3 4 5 6 7 " -- --severity LOW
shows "4 6 " -- --component fs
shows "4 " -- --type FILE_READ --severity MEDIUM
shows "" -- --type NOPE
shows "1 2 " -- --limit 2
shows "2 " -- --type LOGIN --limit 1
shows "1 2 3 4 5 6 7 " -- --since 1h
shows "" -- --until 1h
now=$(date +%s)
shows "" -- --since "@$((now + 3600))"
shows "1 2 3 4 5 6 7 " -- --until "@$((now + 3600))"
shows "1 2 3 4 5 6 7 " -- --since "$(date -u +%Y-%m-%d -d @$((now - 86400)))"
# --json prints the raw lines, exactly
expect_exit 0 -- "$WARDEN" audit show --log "$LS" --json
audit_cat "$LS" | cmp -s - "$WD_OUT"
wd_check $? "show --json: the raw record lines, byte for byte"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$WD_OUT" 2>/dev/null
wd_check $? "show --json: every line parses as JSON"
# the table: one line per record, seq first
expect_exit 0 -- "$WARDEN" audit show --log "$LS"
expect_stdout_lines 7
expect_stdout_line_matches 5 '^5 +[0-9-]+T[0-9:.]+Z +CRITICAL +NET +net '
expect_exit 2 -- "$WARDEN" audit show --log "$LS" --since yesterday
expect_exit 2 -- "$WARDEN" audit show --log "$LS" --severity SEVERE
expect_exit 2 -- "$WARDEN" audit show --log "$LS" --limit -1
expect_exit 2 -- "$WARDEN" audit show --log "$WD_TMP/no-such-log"

# --since/--until with an absolute split: records before and after a known second
KT="$WD_TMP/kt"
LT="$WD_TMP/lt"
audit_keygen "$KT"
expect_exit 0 -- "$WARDEN" audit append --log "$LT" --keys "$KT" $NA --type EARLY --severity LOW
sleep 1.1
T=$(date +%s)
expect_exit 0 -- "$WARDEN" audit append --log "$LT" --keys "$KT" $NA --type LATE --severity LOW
TISO=$(date -u +%Y-%m-%dT%H:%M:%SZ -d "@$T")
for since in "@$T" "$TISO"; do
    expect_exit 0 -- "$WARDEN" audit show --log "$LT" --json --since "$since"
    expect_eq "$(audit_seqs "$WD_OUT" | tr '\n' ' ')" "4 5 " "show --since $since: only the later records"
    expect_exit 0 -- "$WARDEN" audit show --log "$LT" --json --until "$since"
    expect_eq "$(audit_seqs "$WD_OUT" | tr '\n' ' ')" "1 2 3 " "show --until $since: only the earlier records"
done

# ---- tail ------------------------------------------------------------------------------------

expect_exit 0 -- "$WARDEN" audit tail --log "$LS" -n 3
audit_cat "$LS" | tail -n 3 | cmp -s - "$WD_OUT"
wd_check $? "tail -n 3: the last 3 lines, raw" "got: $(head -c 300 "$WD_OUT")"
expect_exit 0 -- "$WARDEN" audit tail --log "$LS" -n 100
expect_stdout_lines 7
# tail -f: records appended later show up, once each, in order
timeout 3 "$WARDEN" audit tail --log "$LS" -n 1 -f >"$WD_TMP/follow.out" 2>"$WD_TMP/follow.err" &
follower=$!
sleep 0.8
expect_exit 0 -- "$WARDEN" audit append --log "$LS" --keys "$KS" $NA --stdin < <(audit_events 3 FOLLOWED HIGH)
wait "$follower"
rc=$?
expect_eq "$rc" 124 "tail -f keeps following until stopped"
expect_eq "$(grep -c '"type":"FOLLOWED"' "$WD_TMP/follow.out")" 3 "tail -f: the 3 records appended later appear"
expect_eq "$(audit_seqs "$WD_TMP/follow.out" | tr '\n' ' ')" "$(seq -s ' ' 7 "$(audit_count "$LS")") " \
    "tail -f: the last record, then every new one, in order, once"
! grep -qE 'ERROR: AddressSanitizer|runtime error:' "$WD_TMP/follow.err"
wd_check $? "tail -f: no sanitizer report" "$(head -c 300 "$WD_TMP/follow.err")"

# ---- rotation --------------------------------------------------------------------------------

KR="$WD_TMP/kr"
LR="$WD_TMP/lr"
audit_keygen "$KR"
audit_events 300 ROT >"$WD_TMP/rot.jsonl"
expect_exit 0 -- "$WARDEN" audit append --log "$LR" --keys "$KR" $NA --stdin --segment-bytes 4096 <"$WD_TMP/rot.jsonl"
expect_stdout_lines 300
nseg=$(audit_segments "$LR" | wc -l)
[ "$nseg" -ge 3 ]
wd_check $? "rotation: 300 records at --segment-bytes 4096 make several segments" "$nseg segments"
expect_eq "$(audit_segments "$LR" | xargs -n1 basename | tr '\n' ' ')" \
    "$(for ((i = 1; i <= nseg; i++)); do printf 'audit-%08d.jsonl ' "$i"; done)" \
    "rotation: segments audit-00000001.jsonl .. numbered without gaps"
notcp=0
while IFS= read -r seg; do
    [ "$seg" = "$(audit_segments "$LR" | tail -n 1)" ] && break
    tail -n 1 "$seg" | grep -q '"type":"CHECKPOINT"' || notcp=$((notcp + 1))
done < <(audit_segments "$LR")
expect_eq "$notcp" 0 "rotation: every finished segment ends with a CHECKPOINT"
NR=$(audit_count "$LR")
expect_exit 0 -- "$WARDEN" audit verify --log "$LR" --mac-key "$KR/mac.key" --pubkey "$KR/signing.pub"
expect_stdout_contains "intact: $NR records (last seq $NR)"
expect_exit 0 -- "$WARDEN" audit show --log "$LR" --json
expect_eq "$(audit_seqs "$WD_OUT" | md5sum)" "$(seq 1 "$NR" | md5sum)" "rotation: show lists all $NR records in order"
expect_exit 0 -- "$WARDEN" audit show --log "$LR" --type ROT
expect_stdout_lines 300
expect_exit 0 -- "$WARDEN" audit tail --log "$LR"
expect_stdout_lines 10
expect_stdout_line_matches 10 "^\\{\"seq\":$NR,"
# appending continues in the last segment, and the chain runs across segments
expect_exit 0 -- "$WARDEN" audit append --log "$LR" --keys "$KR" $NA --segment-bytes 4096 --type MORE --severity LOW
expect_exit 0 -- "$WARDEN" audit verify --log "$LR" --mac-key "$KR/mac.key" --pubkey "$KR/signing.pub"
expect_exit 2 -- "$WARDEN" audit append --log "$LR" --keys "$KR" $NA --segment-bytes 100 --type MORE --severity LOW
# a line ends in "\n" everywhere: a finished segment whose last line lost it is damage, not
# an intact log (only the very last line of the log can be torn)
cp -a "$LR" "$WD_TMP/lr-nl"
seg1="$WD_TMP/lr-nl/audit-00000001.jsonl"
truncate -s $(($(wc -c <"$seg1") - 1)) "$seg1"
expect_exit 1 -- "$WARDEN" audit verify --log "$WD_TMP/lr-nl" --mac-key "$KR/mac.key" --pubkey "$KR/signing.pub"
expect_stdout_matches '^seq [0-9]+: (malformed|torn):'
# moving a segment away leaves a gap the verifier names
cp -a "$LR" "$WD_TMP/lr-gap"
rm "$WD_TMP/lr-gap/audit-00000002.jsonl"
gapfirst=$(head -n 1 "$LR/audit-00000002.jsonl" | sed -nE 's/^\{"seq":([0-9]+),.*/\1/p')
expect_exit 1 -- "$WARDEN" audit verify --log "$WD_TMP/lr-gap" --pubkey "$KR/signing.pub"
expect_stdout_matches "^seq $gapfirst: missing:"

# ---- checkpoints and anchors -----------------------------------------------------------------

ANC="$WD_TMP/anchor.json"
expect_exit 0 -- "$WARDEN" audit checkpoint --log "$L" --keys "$K" $NA --export "$ANC"
expect_stdout_contains "anchor written to $ANC"
N=$(audit_count "$L")
last=$(audit_line "$L" "$N")
[[ $last == '{"seq":'"$N"','*'"type":"CHECKPOINT"'* ]]
wd_check $? "checkpoint: a CHECKPOINT record was appended" "${last:0:200}"
LOGID=$(audit_line "$L" 1 | sed -nE 's/.*"log_id":"([0-9a-f]{32})".*/\1/p')
expect_exit 0 -- cat "$ANC"
expect_json_stdout
expect_json_eq 'd["format"]' warden-audit-anchor-v1
expect_json_eq 'd["log_id"]' "$LOGID"
expect_json_eq 'd["count"]' $((N - 1))
expect_json_eq 'd["head"]' "$(audit_sha256 "$(audit_line "$L" $((N - 1)))")"
expect_json_eq 'd["public_key"]' "$PUBHEX"
expect_json_eq 'len(d["signature"]) == 128 and int(d["signature"], 16) >= 0' true
expect_json_eq 'sorted(d)' "['count', 'format', 'head', 'log_id', 'public_key', 'signature']"
[[ $last == *'"details":{"count":'$((N - 1))',"head":"'"$(audit_sha256 "$(audit_line "$L" $((N - 1)))")"'","log_id":"'"$LOGID"'","signature":"'"$(wd_json_eval 'd["signature"]')"'"}'* ]]
wd_check $? "checkpoint: the CHECKPOINT record carries the anchor's count, head, log_id, signature" "${last:0:400}"
expect_exit 0 -- "$WARDEN" audit verify --log "$L" --pubkey "$K/signing.pub" --anchor "$ANC"
expect_exit 0 -- "$WARDEN" audit verify --log "$L" --mac-key "$K/mac.key" --anchor "$ANC"
# more records after the anchor are fine
expect_exit 0 -- "$WARDEN" audit append --log "$L" --keys "$K" $NA --type AFTER --severity LOW
expect_exit 0 -- "$WARDEN" audit verify --log "$L" --pubkey "$K/signing.pub" --anchor "$ANC"
# a tampered anchor is refused (exit 2: the anchor, not the log, is bad)
sed -E 's/"count":[0-9]+/"count":'$((N - 2))'/' "$ANC" >"$WD_TMP/anchor-count.json"
h=$(sed -nE 's/.*"head":"([0-9a-f]{64})".*/\1/p' "$ANC")
[ "${h:0:1}" = 0 ] && h2="1${h:1}" || h2="0${h:1}"
sed "s/$h/$h2/" "$ANC" >"$WD_TMP/anchor-head.json"
expect_eq "$(cmp -s "$ANC" "$WD_TMP/anchor-count.json" || cmp -s "$ANC" "$WD_TMP/anchor-head.json" || echo changed)" \
    changed "test setup: the tampered anchors differ from the real one"
for bad in anchor-count anchor-head; do
    for key in "--pubkey $K/signing.pub" "--mac-key $K/mac.key"; do
        # shellcheck disable=SC2086
        expect_exit 2 -- "$WARDEN" audit verify --log "$L" $key --anchor "$WD_TMP/$bad.json"
        expect_stderr_contains "WD-A015"
        expect_stdout_not_contains "intact"
    done
done
expect_exit 2 -- "$WARDEN" audit verify --log "$L" --pubkey "$K/signing.pub" --anchor "$WD_TMP/no-such-anchor.json"
printf 'not an anchor\n' >"$WD_TMP/junk-anchor.json"
expect_exit 2 -- "$WARDEN" audit verify --log "$L" --pubkey "$K/signing.pub" --anchor "$WD_TMP/junk-anchor.json"
expect_stderr_contains "WD-A015"
# an anchor signed by another key (another log's) with --pubkey of this one: refused
K2="$WD_TMP/k2"
L2="$WD_TMP/l2"
ANC2="$WD_TMP/anchor2.json"
audit_keygen "$K2"
expect_exit 0 -- "$WARDEN" audit append --log "$L2" --keys "$K2" $NA --type OTHER --severity LOW
expect_exit 0 -- "$WARDEN" audit checkpoint --log "$L2" --keys "$K2" $NA --export "$ANC2"
expect_exit 2 -- "$WARDEN" audit verify --log "$L" --pubkey "$K/signing.pub" --anchor "$ANC2"
expect_stderr_contains "another key"
# with the MAC key only, another log's anchor cannot match this log's records
expect_exit 1 -- "$WARDEN" audit verify --log "$L" --mac-key "$K/mac.key" --anchor "$ANC2"
expect_stdout_not_contains "intact"

# ---- keys of another log ---------------------------------------------------------------------

n=$(audit_count "$L")
before=$(audit_cat "$L" | sha256sum)
expect_exit 2 -- "$WARDEN" audit append --log "$L" --keys "$K2" $NA --type INTRUDER --severity LOW
expect_stderr_matches 'WD-A00[56]'
expect_eq "$(audit_cat "$L" | sha256sum)" "$before" "keys of another log: the log is untouched"
expect_exit 2 -- "$WARDEN" audit checkpoint --log "$L" --keys "$K2" $NA
expect_stderr_matches 'WD-A00[56]'
# verifying with another log's keys fails the verification (exit 1), it is not an error
expect_exit 1 -- "$WARDEN" audit verify --log "$L" --pubkey "$K2/signing.pub"
expect_stdout_matches '^seq 1: wrong key:'
expect_exit 1 -- "$WARDEN" audit verify --log "$L" --mac-key "$K2/mac.key"
expect_stdout_matches '^seq 1: bad MAC:'

# ---- how far a log is sealed, and --fresh ---------------------------------------------------
# Records cut after the last checkpoint, or the last checkpoint removed, verify intact with every
# key: the log says nothing about what came after it. --fresh says whether the log was sealed
# recently; the cut log was not.

KF="$WD_TMP/kfresh"
LF="$WD_TMP/lfresh"
audit_keygen "$KF"
expect_exit 0 -- "$WARDEN" audit append --log "$LF" --keys "$KF" $NA --stdin < <(audit_events 3) # 1..5
cp -a "$LF" "$WD_TMP/lfresh.early"
sleep 2.2
expect_exit 0 -- "$WARDEN" audit append --log "$LF" --keys "$KF" $NA --stdin < <(audit_events 3 EV LOW 4) # 6..9
expect_exit 0 -- "$WARDEN" audit verify --log "$LF" --pubkey "$KF/signing.pub"
expect_stdout_matches "^sealed: up to seq 9 at [0-9-]{10}T[0-9:.]{18}Z; 0 records after it unsealed$"
expect_exit 0 -- "$WARDEN" audit verify --log "$LF" --pubkey "$KF/signing.pub" --mac-key "$KF/mac.key" --fresh 1m
expect_stdout_first_word "intact:"
expect_exit 0 -- "$WARDEN" audit verify --log "$LF" --pubkey "$KF/signing.pub" --fresh 2s --json
expect_json_eq 'd["sealed_seq"]' 9
# cut after the last checkpoint (back to the one 2 s older): intact, but not fresh
cp -a "$LF" "$WD_TMP/lfresh.cut"
cp "$WD_TMP/lfresh.early/audit-00000001.jsonl" "$WD_TMP/lfresh.cut/audit-00000001.jsonl"
expect_exit 0 -- "$WARDEN" audit verify --log "$WD_TMP/lfresh.cut" --mac-key "$KF/mac.key" --pubkey "$KF/signing.pub"
expect_stdout_contains "sealed: up to seq 5 at"
expect_exit 1 -- "$WARDEN" audit verify --log "$WD_TMP/lfresh.cut" --mac-key "$KF/mac.key" --pubkey "$KF/signing.pub" --fresh 2s
expect_stdout_matches "^seq 6: stale: the last seal \(seq 5, [0-9T:.Z-]+\) is [0-9]+s old, more than 2s$"
expect_stdout_not_contains "intact"
expect_exit 1 -- "$WARDEN" audit verify --log "$WD_TMP/lfresh.cut" --pubkey "$KF/signing.pub" --fresh 2s --json
expect_json_eq 'd["intact"]' false
expect_json_eq 'd["problem"]' stale
expect_json_eq 'd["sealed_seq"]' 5
# the last checkpoint removed: 3 records follow the older seal, unsealed; not fresh either
cp -a "$LF" "$WD_TMP/lfresh.nocp"
sed -i '$d' "$WD_TMP/lfresh.nocp/audit-00000001.jsonl"
expect_exit 0 -- "$WARDEN" audit verify --log "$WD_TMP/lfresh.nocp" --mac-key "$KF/mac.key" --pubkey "$KF/signing.pub"
expect_stdout_matches "^sealed: up to seq 5 at .*; 3 records after it unsealed since "
expect_exit 1 -- "$WARDEN" audit verify --log "$WD_TMP/lfresh.nocp" --pubkey "$KF/signing.pub" --fresh 2s
expect_stdout_matches "^seq 6: stale:"
# a checkpoint removed from the middle is a gap, whatever --fresh says
cp -a "$LF" "$WD_TMP/lfresh.mid"
sed -i 5d "$WD_TMP/lfresh.mid/audit-00000001.jsonl"
expect_exit 1 -- "$WARDEN" audit verify --log "$WD_TMP/lfresh.mid" --pubkey "$KF/signing.pub"
expect_stdout_matches "^seq 5: missing:"
# --fresh takes a duration with a unit
for bad in 10 0s -5s 5w 1.5h s ""; do
    expect_exit 2 -- "$WARDEN" audit verify --log "$LF" --pubkey "$KF/signing.pub" --fresh "$bad"
    expect_stderr_contains "--fresh"
done

# ---- durability modes ------------------------------------------------------------------------

for mode in always batch none; do
    KD="$WD_TMP/kd-$mode"
    LD="$WD_TMP/ld-$mode"
    audit_keygen "$KD"
    audit_events 50 "DUR_${mode^^}" >"$WD_TMP/dur.jsonl"
    expect_exit 0 -- "$WARDEN" audit append --log "$LD" --keys "$KD" $NA --durability "$mode" \
        --batch-ms 5 --stdin <"$WD_TMP/dur.jsonl"
    expect_stdout_lines 50
    expect_exit 0 -- "$WARDEN" audit append --log "$LD" --keys "$KD" $NA --durability "$mode" \
        --type SINGLE --severity LOW
    expect_exit 0 -- "$WARDEN" audit verify --log "$LD" --mac-key "$KD/mac.key" --pubkey "$KD/signing.pub"
    expect_stdout_contains "intact: 54 records"
done
expect_exit 2 -- "$WARDEN" audit append --log "$L" --keys "$K" $NA --durability sometimes --type X --severity LOW
expect_stderr_contains "--durability"

# ---- the append-only attribute (the one writer here without --no-append-only) -----------------

KA="$WD_TMP/ka"
audit_keygen "$KA"
if ! command -v lsattr >/dev/null || ! command -v chattr >/dev/null; then
    echo "note: lsattr/chattr missing: append-only test skipped"
else
    expect_exit 0 -- "$WARDEN" audit append --log "$AO" --keys "$KA" --type GUARDED --severity LOW
    seg="$AO/audit-00000001.jsonl"
    if grep -q 'WD-A011' "$WD_ERR"; then
        echo "note: the append-only attribute could not be set here (WD-A011): test skipped"
        echo "      $(grep -m1 WD-A011 "$WD_ERR")"
    else
        expect_stderr_empty
        attrs=$(lsattr "$seg" 2>/dev/null | awk '{print $1}')
        [[ $attrs == *a* ]]
        wd_check $? "append-only: lsattr shows 'a' on the segment" "lsattr: $attrs"
        before=$(sha256sum <"$seg")
        (printf x >"$seg") 2>/dev/null
        wd_check $((!$?)) "append-only: rewriting the segment fails"
        truncate -s 0 "$seg" 2>/dev/null
        wd_check $((!$?)) "append-only: truncating the segment fails"
        expect_eq "$(sha256sum <"$seg")" "$before" "append-only: the segment is unchanged"
        # the writer still appends, and recovers a torn line (it must lift 'a' to cut it off)
        expect_exit 0 -- "$WARDEN" audit append --log "$AO" --keys "$KA" --type STILL --severity LOW
        printf '{"seq":99,"ts":"20' >>"$seg"
        expect_exit 0 -- "$WARDEN" audit append --log "$AO" --keys "$KA" --type AFTER_TORN --severity LOW
        expect_stderr_contains "WD-A007"
        expect_exit 0 -- "$WARDEN" audit verify --log "$AO" --mac-key "$KA/mac.key" --pubkey "$KA/signing.pub"
        attrs=$(lsattr "$seg" 2>/dev/null | awk '{print $1}')
        [[ $attrs == *a* ]]
        wd_check $? "append-only: 'a' is back on the segment after the recovery" "lsattr: $attrs"
        chattr -a "$AO"/audit-*.jsonl
        [[ $(lsattr "$seg" | awk '{print $1}') != *a* ]]
        wd_check $? "append-only: chattr -a cleared it (cleanup can proceed)"
    fi
fi

# ---- tamper matrix ---------------------------------------------------------------------------
# A log of 21 records: 1 LOG_START, 2-8 events, 9 CHECKPOINT (--checkpoint-every 8), 10-14
# events, 15 CHECKPOINT (close), 16 CHECKPOINT (checkpoint --export: the anchor, count 15),
# 17-20 events, 21 CHECKPOINT (close). Each attack runs on a fresh copy; each is verified with
# the MAC key and with the public key alone.

TK="$WD_TMP/tk"
TL="$WD_TMP/tl"
TANC="$WD_TMP/tamper-anchor.json"
audit_keygen "$TK"
expect_exit 0 -- "$WARDEN" audit append --log "$TL" --keys "$TK" $NA --checkpoint-every 8 --stdin < <(audit_events 12)
expect_exit 0 -- "$WARDEN" audit checkpoint --log "$TL" --keys "$TK" $NA --export "$TANC"
expect_exit 0 -- "$WARDEN" audit append --log "$TL" --keys "$TK" $NA --checkpoint-every 8 --stdin < <(audit_events 4 EV LOW 13)
audit_cat "$TL" >"$WD_TMP/tl.jsonl"
expect_eq "$(grep -n '"type":"CHECKPOINT"' "$WD_TMP/tl.jsonl" | cut -d: -f1 | tr '\n' ' ')" "9 15 16 21 " \
    "tamper log: checkpoints at 9, 15, 16, 21"
expect_eq "$(wc -l <"$WD_TMP/tl.jsonl")" 21 "tamper log: 21 records"
expect_exit 0 -- cat "$TANC"
expect_json_eq 'd["count"]' 15
expect_exit 0 -- "$WARDEN" audit verify --log "$TL" --mac-key "$TK/mac.key" --pubkey "$TK/signing.pub" --anchor "$TANC"

TC="$WD_TMP/tc"
TSEG="$TC/audit-00000001.jsonl"
SIG=$(printf 'ab%.0s' {1..64})
tear_last() { # cut the last line in half (no newline left)
    local total last
    total=$(wc -c <"$TSEG")
    last=$(tail -n 1 "$TSEG" | wc -c)
    truncate -s $((total - last / 2)) "$TSEG"
}
TABLE=()
# attack NAME MAC-ERE MAC-SEQ PUB-ERE PUB-SEQ ANCHOR(-|yes) -- TAMPER-CMD...
# With PUB-ERE "-", detection with the public key alone is recorded, not asserted.
attack() {
    local name=$1 mword=$2 mseq=$3 pword=$4 pseq=$5 anchor=$6
    shift 6
    [ "${1:-}" = "--" ] && shift
    rm -rf "$TC"
    cp -a "$TL" "$TC"
    "$@"
    if cmp -s "$TSEG" "$TL/audit-00000001.jsonl"; then
        wd_fail "tamper $name: test setup: the attack changed nothing"
        return
    fi
    local extra=()
    [ "$anchor" = yes ] && extra=(--anchor "$TANC")
    expect_exit 1 -- "$WARDEN" audit verify --log "$TC" --mac-key "$TK/mac.key" "${extra[@]}"
    expect_stdout_matches "^seq $mseq: ($mword):"
    local mac_says
    mac_says=$(head -n 1 "$WD_OUT" | cut -c1-40)
    run "$WARDEN" audit verify --log "$TC" --pubkey "$TK/signing.pub" "${extra[@]}"
    local detected=no
    [ "$WD_LAST_RC" -eq 1 ] && detected=yes
    TABLE+=("$(printf '%-34s mac-key: %-40s pubkey only: %s' "$name" "$mac_says" \
        "$([ $detected = yes ] && head -n 1 "$WD_OUT" | cut -c1-50 || echo "NOT detected (exit $WD_LAST_RC)")")")
    if [ "$pword" != - ]; then
        [ "$WD_LAST_RC" -eq 1 ]
        wd_check $? "$WD_LAST_CMD: exit 1 (detected with the public key alone)" "exit $WD_LAST_RC"
        expect_stdout_matches "^seq $pseq: ($pword):"
    fi
}
attack "modify a byte of record 5" "bad MAC" 5 "modified" 5 - -- sed -i '5s/"s":"abcdef"/"s":"abcdeg"/' "$TSEG"
attack "delete record 5" missing 5 missing 5 - -- sed -i 5d "$TSEG"
attack "delete records 5..7" missing 5 missing 5 - -- sed -i 5,7d "$TSEG"
attack "delete record 1" missing 1 missing 1 - -- sed -i 1d "$TSEG"
attack "insert a forged record 5 after 5" "bad MAC|inserted" 5 inserted 5 - -- sed -i '5{p;s/"s":"abcdef"/"s":"forged"/}' "$TSEG"
attack "swap records 5 and 6" reordered 5 reordered 5 - -- sed -i '5{h;d};6G' "$TSEG"
attack "duplicate record 5" duplicated 5 duplicated 5 - -- sed -i 5p "$TSEG"
attack "truncate after 10 (anchor at 15)" truncated 11 truncated 11 yes -- sed -i '11,$d' "$TSEG"
attack "replace checkpoint 9's signature" "bad MAC" 9 "bad checkpoint" 9 - -- sed -i "9s/\"signature\":\"[0-9a-f]*\"/\"signature\":\"$SIG\"/" "$TSEG"
attack "cut the last line in half" torn 21 torn 21 - -- tear_last
attack "modify record 20 (before the last)" "bad MAC" 20 modified 20 - -- sed -i '20s/"s":"abcdef"/"s":"abcdeg"/' "$TSEG"
# the very last record (the closing CHECKPOINT's own fields are not under any signature): only
# the MAC key can tell; with the public key alone this is recorded, not asserted
attack "modify the last record" "bad MAC" 21 - - - -- sed -i '21s/"correlation_id":"[0-9a-f]/"correlation_id":"z/' "$TSEG"
echo "tamper matrix (first line of verify output; with the public key alone only a change to the"
echo "very last record can go unseen: docs/audit-format.md, \"records after the last checkpoint\"):"
printf '  %s\n' "${TABLE[@]}"

finish
