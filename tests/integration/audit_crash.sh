#!/usr/bin/env bash
# audit_crash.sh: crash behaviour of the audit writer, with the real binary.
#   (a) kill -9 under load (durability always): every acknowledged seq is on disk, records are
#       neither lost nor reordered, and the next writer recovers to a log that verifies (x3);
#   (b) two processes appending concurrently (shared locking): one intact chain, 600 records;
#   (c) a torn last line: verify says torn; the next writer moves it aside (WD-A007, a .torn-
#       file that is never deleted) and declares it in a RECOVERY record;
#   (d) a crash between writing a line and storing the state: the writer walks forward;
#   (e) a power loss that keeps the state but not the last records (durability none, records
#       never synced): a RECOVERY record declares exactly the lost seqs and the log verifies;
#   (f) a crash before the first record was complete (empty first segment, torn LOG_START);
#   (g) under durability always, a log cut below what the writer state says was durable (cut
#       after the last checkpoint, or a rolled-back copy) is tampering: a CRITICAL TAMPERING
#       record, and verify reports the gap;
#   (h) the count behind --checkpoint-every survives kill -9 restarts;
#   (i) the heartbeat seals an idle writer's records without an append or a close.
# Every writer here runs with --no-append-only (audit_cli.sh has the append-only test).
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/audit.sh"

cd "$WD_TMP" || exit 2
NA=--no-append-only
INTERNAL='"type":"(LOG_START|CHECKPOINT|RECOVERY)"'

# the seq -> n pairs ("n seq" lines) of the records with this component, from show --json
pairs() { # LOG COMPONENT
    "$WARDEN" audit show --log "$1" --json --component "$2" |
        sed -nE 's/^\{"seq":([0-9]+),.*"details":\{"n":([0-9]+),.*/\2 \1/p'
}

# ---- (a) kill -9 under load ------------------------------------------------------------------

KC="$WD_TMP/kc"
LC="$WD_TMP/lc"
audit_keygen "$KC"
for round in 1 2 3; do
    # rounds 2 and 3 rotate every few dozen records, so kills also land around rotations
    seg=()
    [ "$round" -gt 1 ] && seg=(--segment-bytes 4096)
    fifo="$WD_TMP/fifo$round"
    ack="$WD_TMP/ack$round"
    mkfifo "$fifo"
    (
        trap - EXIT # the subshell must not run the parent's cleanup
        i=0
        while :; do
            i=$((i + 1))
            printf '{"type":"LOAD","severity":"LOW","component":"round%d","details":{"n":%d,"pad":"%s"}}\n' \
                "$round" "$i" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" || exit 0
        done
    ) >"$fifo" 2>/dev/null &
    gen=$!
    "$WARDEN" audit append --log "$LC" --keys "$KC" $NA --stdin --durability always "${seg[@]}" \
        <"$fifo" >"$ack" 2>"$WD_TMP/ack$round.err" &
    writer=$!
    sleep 1
    kill -9 "$writer" 2>/dev/null
    wait "$writer" 2>/dev/null
    rc=$?
    kill "$gen" 2>/dev/null
    wait "$gen" 2>/dev/null
    expect_eq "$rc" 137 "kill -9 round $round: the writer was still running when killed"
    ! grep -qE 'ERROR: AddressSanitizer|runtime error:' "$WD_TMP/ack$round.err"
    wd_check $? "kill -9 round $round: no sanitizer report before the kill" "$(head -c 300 "$WD_TMP/ack$round.err")"
    acked=$(wc -l <"$ack")
    [ "$acked" -gt 0 ]
    wd_check $? "kill -9 round $round: the writer acknowledged records before the kill" "acked $acked"
    # every acknowledged seq is on disk, before any recovery ran
    "$WARDEN" audit show --log "$LC" --json >"$WD_TMP/shown"
    audit_seqs "$WD_TMP/shown" | sort >"$WD_TMP/shown.seqs"
    missing=$(sort "$ack" | comm -23 - "$WD_TMP/shown.seqs" | wc -l)
    expect_eq "$missing" 0 "kill -9 round $round: all $acked acknowledged seqs are in show --json"
    # the records are the events in order, none lost or doubled: n = 1..M, M = acked or acked+1
    pairs "$LC" "round$round" >"$WD_TMP/pairs"
    m=$(wc -l <"$WD_TMP/pairs")
    expect_eq "$(cut -d' ' -f1 "$WD_TMP/pairs" | md5sum)" "$(seq 1 "$m" | md5sum)" \
        "kill -9 round $round: the $m records written are events 1..$m, in order"
    [ "$m" -ge "$acked" ] && [ "$m" -le $((acked + 1)) ]
    wd_check $? "kill -9 round $round: written = acknowledged (+1 at most, in flight)" "written $m, acked $acked"
    expect_eq "$(head -n "$acked" "$WD_TMP/pairs" | cut -d' ' -f2 | md5sum)" "$(md5sum <"$ack")" \
        "kill -9 round $round: the k-th acknowledged seq is the k-th event's record"
    # the next writer recovers; the log verifies
    expect_exit 0 -- "$WARDEN" audit append --log "$LC" --keys "$KC" $NA --type AFTER_CRASH --severity HIGH
    expect_stderr_not_contains "error"
    expect_exit 0 -- "$WARDEN" audit verify --log "$LC" --mac-key "$KC/mac.key" --pubkey "$KC/signing.pub"
    expect_stdout_first_word "intact:"
    # and after recovery every acknowledged record is still there
    "$WARDEN" audit show --log "$LC" --json | audit_seqs /dev/stdin | sort >"$WD_TMP/shown.seqs"
    missing=$(sort "$ack" | comm -23 - "$WD_TMP/shown.seqs" | wc -l)
    expect_eq "$missing" 0 "kill -9 round $round: after recovery the acknowledged seqs are all still there"
    echo "     round $round: $acked acknowledged, $m written, $(audit_segments "$LC" | wc -l) segments"
done
expect_exit 0 -- "$WARDEN" audit show --log "$LC" --type AFTER_CRASH
expect_stdout_lines 3

# ---- (b) two concurrent writers --------------------------------------------------------------

KB="$WD_TMP/kb"
LB="$WD_TMP/lb"
audit_keygen "$KB"
gen_b() { # COMPONENT
    local i
    for ((i = 1; i <= 300; i++)); do
        printf '{"type":"CONC","severity":"LOW","component":"%s","details":{"n":%d,"pad":"%s"}}\n' "$1" "$i" "yyyyyyyyyyyyyyyy"
    done
}
gen_b p1 >"$WD_TMP/p1.jsonl"
gen_b p2 >"$WD_TMP/p2.jsonl"
"$WARDEN" audit append --log "$LB" --keys "$KB" $NA --stdin <"$WD_TMP/p1.jsonl" >"$WD_TMP/p1.ack" 2>"$WD_TMP/p1.err" &
w1=$!
"$WARDEN" audit append --log "$LB" --keys "$KB" $NA --stdin <"$WD_TMP/p2.jsonl" >"$WD_TMP/p2.ack" 2>"$WD_TMP/p2.err" &
w2=$!
wait "$w1"
rc1=$?
wait "$w2"
rc2=$?
expect_eq "$rc1/$rc2" 0/0 "concurrent: both writers exit 0"
for p in p1 p2; do
    ! grep -qE 'ERROR: AddressSanitizer|runtime error:' "$WD_TMP/$p.err"
    wd_check $? "concurrent: no sanitizer report from writer $p" "$(head -c 300 "$WD_TMP/$p.err")"
done
expect_eq "$(wc -l <"$WD_TMP/p1.ack")/$(wc -l <"$WD_TMP/p2.ack")" 300/300 "concurrent: 300 acknowledged seqs each"
expect_eq "$(sort "$WD_TMP/p1.ack" "$WD_TMP/p2.ack" | uniq -d | wc -l)" 0 "concurrent: no seq acknowledged twice"
expect_exit 0 -- "$WARDEN" audit verify --log "$LB" --mac-key "$KB/mac.key" --pubkey "$KB/signing.pub"
expect_stdout_first_word "intact:"
expect_exit 0 -- "$WARDEN" audit show --log "$LB" --json
expect_eq "$(grep -cvE "$INTERNAL" "$WD_OUT")" 600 "concurrent: show counts 600 non-internal records"
for p in p1 p2; do
    pairs "$LB" "$p" >"$WD_TMP/pairs"
    expect_eq "$(cut -d' ' -f1 "$WD_TMP/pairs" | md5sum)" "$(seq 1 300 | md5sum)" \
        "concurrent: writer $p's 300 records are all there, in its order"
    expect_eq "$(cut -d' ' -f2 "$WD_TMP/pairs" | md5sum)" "$(md5sum <"$WD_TMP/$p.ack")" \
        "concurrent: writer $p's acknowledged seqs are its records' seqs"
done
first1=$(head -n 1 "$WD_TMP/p1.ack")
last1=$(tail -n 1 "$WD_TMP/p1.ack")
first2=$(head -n 1 "$WD_TMP/p2.ack")
last2=$(tail -n 1 "$WD_TMP/p2.ack")
if [ "$last1" -lt "$first2" ] || [ "$last2" -lt "$first1" ]; then
    echo "     note: the two writers did not interleave this time (one ran before the other)"
else
    echo "     the two writers interleaved (p1 $first1..$last1, p2 $first2..$last2)"
fi

# ---- (c) a torn last line --------------------------------------------------------------------

KT="$WD_TMP/kt"
LT="$WD_TMP/lt"
audit_keygen "$KT"
expect_exit 0 -- "$WARDEN" audit append --log "$LT" --keys "$KT" $NA --stdin < <(audit_events 3)
n=$(audit_count "$LT")
SEG="$LT/audit-00000001.jsonl"
frag='{"seq":'$((n + 1))',"ts":"2026-11-22T10:00:00.000000000Z","type":"HALF","sev'
printf '%s' "$frag" >>"$SEG"
expect_exit 1 -- "$WARDEN" audit verify --log "$LT" --mac-key "$KT/mac.key"
expect_stdout_matches "^seq $((n + 1)): torn:"
expect_exit 1 -- "$WARDEN" audit verify --log "$LT" --pubkey "$KT/signing.pub"
expect_stdout_matches "^seq $((n + 1)): torn:"
expect_exit 0 -- "$WARDEN" audit append --log "$LT" --keys "$KT" $NA --type AFTER_TORN --severity LOW
expect_stdout_line 1 $((n + 2))
expect_stderr_contains "WD-A007"
SAVED="$SEG.torn-$((n + 1))"
[ -f "$SAVED" ]
wd_check $? "torn: the fragment was saved next to the segment as $(basename "$SAVED")" "$(ls "$LT")"
expect_eq "$(cat "$SAVED" 2>/dev/null)" "$frag" "torn: the saved file holds exactly the fragment"
expect_eq "$(tail -c 1 "$SEG" | od -An -c | tr -d ' ')" '\n' "torn: the segment ends with a whole line again"
expect_exit 0 -- "$WARDEN" audit verify --log "$LT" --mac-key "$KT/mac.key" --pubkey "$KT/signing.pub" --json
expect_json_eq 'd["intact"]' true
expect_json_eq 'd["recoveries"]' 1
expect_exit 0 -- "$WARDEN" audit show --log "$LT" --type RECOVERY --json
expect_stdout_lines 1
expect_stdout_line_matches 1 "^\\{\"seq\":$((n + 1)),.*\"type\":\"RECOVERY\",\"severity\":\"HIGH\",.*\"details\":\\{\"reason\":\"torn\",\"saved_to\":\"$(basename "$SAVED")\",\"torn_bytes\":${#frag}\\}"
expect_exit 0 -- "$WARDEN" audit show --log "$LT" --type RECOVERY
expect_stdout_contains "\"torn_bytes\":${#frag}"
# never deleted: still there after more writers came and went
expect_exit 0 -- "$WARDEN" audit append --log "$LT" --keys "$KT" $NA --type LATER --severity LOW
[ -f "$SAVED" ]
wd_check $? "torn: the saved fragment is still there after the next writer"
expect_exit 0 -- "$WARDEN" audit verify --log "$LT" --mac-key "$KT/mac.key" --pubkey "$KT/signing.pub"

# ---- (d) the state fell behind the log (crash after the write, before the state store) ---------

KD="$WD_TMP/kd"
LD="$WD_TMP/ld"
audit_keygen "$KD"
expect_exit 0 -- "$WARDEN" audit append --log "$LD" --keys "$KD" $NA --type A --severity LOW
cp -p "$KD/writer.state" "$WD_TMP/state.behind"
expect_exit 0 -- "$WARDEN" audit append --log "$LD" --keys "$KD" $NA --stdin < <(audit_events 2)
n=$(audit_count "$LD")
cp -p "$WD_TMP/state.behind" "$KD/writer.state"
expect_exit 0 -- "$WARDEN" audit append --log "$LD" --keys "$KD" $NA --type AFTER --severity LOW
expect_stdout_line 1 $((n + 1))
expect_exit 0 -- "$WARDEN" audit verify --log "$LD" --mac-key "$KD/mac.key" --pubkey "$KD/signing.pub" --json
expect_json_eq 'd["intact"]' true
expect_json_eq 'd["recoveries"]' 0

# crash_writer LOG KEYS N FIRST [WRITER-ARGS...]: a writer appends N events (details n = FIRST..)
# read from --stdin, acknowledges them all, and is killed with SIGKILL while it still runs.
crash_writer() {
    local log=$1 keys=$2 n=$3 first=$4 fifo="$WD_TMP/cw.fifo" ack="$WD_TMP/cw.ack" i writer rc
    shift 4
    rm -f "$fifo" && mkfifo "$fifo"
    "$WARDEN" audit append --log "$log" --keys "$keys" $NA --stdin "$@" <"$fifo" >"$ack" 2>"$WD_TMP/cw.err" &
    writer=$!
    exec 3>"$fifo"
    audit_events "$n" CRASHED LOW "$first" >&3
    for ((i = 0; i < 1000; i++)); do
        [ "$(wc -l <"$ack")" -ge "$n" ] && break
        sleep 0.02
    done
    kill -9 "$writer" 2>/dev/null
    wait "$writer" 2>/dev/null
    rc=$?
    exec 3>&-
    expect_eq "$(wc -l <"$ack")/$rc" "$n/137" "crashed writer: $n records acknowledged, then SIGKILL"
}

# ---- (e) power loss: the state survived, the last records did not -------------------------------
# A process crash keeps the page cache: only a power loss loses written records, and only those
# no sync covered (durability none here). Simulated: a writer that is killed (never closes, never
# syncs), then the log as it was on disk before it.

KE="$WD_TMP/ke"
LE="$WD_TMP/le"
audit_keygen "$KE"
expect_exit 0 -- "$WARDEN" audit append --log "$LE" --keys "$KE" $NA --durability none --type A --severity LOW
cp -a "$LE" "$WD_TMP/le.disk" # what reached the disk (the close synced it)
n=$(audit_count "$LE")
crash_writer "$LE" "$KE" 3 1 --durability none --checkpoint-secs 0
lost_to=$(audit_count "$LE")
expect_eq "$lost_to" $((n + 3)) "power loss: the killed writer wrote 3 records"
rm -rf "$LE" && cp -a "$WD_TMP/le.disk" "$LE"
expect_exit 0 -- "$WARDEN" audit append --log "$LE" --keys "$KE" $NA --durability none --type AFTER --severity LOW
expect_stderr_contains "WD-A008"
expect_stderr_not_contains "WD-A016"
expect_stdout_line 1 $((lost_to + 2))
expect_exit 0 -- "$WARDEN" audit show --log "$LE" --type RECOVERY --json
expect_stdout_lines 1
expect_stdout_line_matches 1 "^\\{\"seq\":$((lost_to + 1)),.*\"details\":\\{\"lost_from\":$((n + 1)),\"lost_to\":$lost_to,\"reason\":\"lost\"\\}"
expect_exit 0 -- "$WARDEN" audit verify --log "$LE" --mac-key "$KE/mac.key" --pubkey "$KE/signing.pub" --json
expect_json_eq 'd["intact"]' true
expect_json_eq 'd["recoveries"]' 1
expect_json_eq 'd["records"]' $((n + 3))
# the declaration is what makes the gap acceptable: without the RECOVERY record it is missing
cp -a "$LE" "$WD_TMP/le.undeclared"
sed -i '/"type":"RECOVERY"/d' "$WD_TMP/le.undeclared/audit-00000001.jsonl"
expect_exit 1 -- "$WARDEN" audit verify --log "$WD_TMP/le.undeclared" --pubkey "$KE/signing.pub"
expect_stdout_matches "^seq $((n + 1)): missing:"

# ---- (f) a crash before the first record was complete -------------------------------------------

# the writer created the first segment and died before LOG_START reached it
KF="$WD_TMP/kf"
LF="$WD_TMP/lf"
audit_keygen "$KF"
mkdir -m 700 "$LF" && : >"$LF/audit-00000001.jsonl"
expect_exit 0 -- "$WARDEN" audit append --log "$LF" --keys "$KF" $NA --type FIRST --severity LOW
expect_exit 0 -- "$WARDEN" audit verify --log "$LF" --mac-key "$KF/mac.key" --pubkey "$KF/signing.pub"
expect_eq "$(audit_line "$LF" 1 | sed -nE 's/^\{"seq":1,.*"type":"([A-Z_]+)".*/\1/p')" LOG_START \
    "empty first segment: the log starts with LOG_START"
# ... or died half-way through writing LOG_START
KG="$WD_TMP/kg"
LG="$WD_TMP/lg"
audit_keygen "$KG"
mkdir -m 700 "$LG" && printf '{"seq":1,"ts":"2026-11-22T10:00:00.0' >"$LG/audit-00000001.jsonl"
expect_exit 0 -- "$WARDEN" audit append --log "$LG" --keys "$KG" $NA --type FIRST --severity LOW
expect_stderr_contains "WD-A007"
[ -f "$LG/audit-00000001.jsonl.torn-1" ]
wd_check $? "torn LOG_START: the fragment was saved as audit-00000001.jsonl.torn-1" "$(ls "$LG")"
expect_exit 0 -- "$WARDEN" audit verify --log "$LG" --mac-key "$KG/mac.key" --pubkey "$KG/signing.pub"
expect_eq "$(audit_line "$LG" 1 | sed -nE 's/^\{"seq":1,.*"type":"([A-Z_]+)".*/\1/p')" LOG_START \
    "torn LOG_START: the log starts with LOG_START"

# ---- (g) durability always: a log shorter than the writer state is tampering --------------------

KW="$WD_TMP/kw"
LW="$WD_TMP/lw"
SEGW="$LW/audit-00000001.jsonl"
audit_keygen "$KW"
expect_exit 0 -- "$WARDEN" audit append --log "$LW" --keys "$KW" $NA --stdin < <(audit_events 3) # 1..5
cp -a "$LW" "$WD_TMP/lw.sealed"
crash_writer "$LW" "$KW" 4 10 --durability always # 6..9: each acknowledged after its fdatasync
# a crash under always loses nothing: the next writer needs no recovery
cp -a "$LW" "$WD_TMP/lw.crashed"
cp -a "$KW" "$WD_TMP/kw.crashed"
expect_exit 0 -- "$WARDEN" audit append --log "$WD_TMP/lw.crashed" --keys "$WD_TMP/kw.crashed" $NA --type AFTER --severity LOW
expect_stdout_line 1 10
expect_stderr_empty
# records cut after the last checkpoint: with the log alone, intact with every key
cp "$WD_TMP/lw.sealed/audit-00000001.jsonl" "$SEGW"
expect_exit 0 -- "$WARDEN" audit verify --log "$LW" --mac-key "$KW/mac.key" --pubkey "$KW/signing.pub"
expect_stdout_first_word "intact:"
# the writer's state knows better: not a crash recovery, a CRITICAL record
expect_exit 0 -- "$WARDEN" audit append --log "$LW" --keys "$KW" $NA --type AFTER --severity LOW
expect_stderr_contains "WD-A016"
expect_stderr_not_contains "WD-A008"
expect_stdout_line 1 11
expect_exit 0 -- "$WARDEN" audit show --log "$LW" --type TAMPERING --json
expect_stdout_lines 1
expect_stdout_line_matches 1 '^\{"seq":10,.*"type":"TAMPERING","severity":"CRITICAL",.*"details":\{"durable_to":9,"log_ends_at":5,"missing_from":6,"missing_to":9,"reason":"log_shorter_than_state"\}'
expect_exit 0 -- "$WARDEN" audit show --log "$LW" --type RECOVERY
expect_stdout_empty
for key in "--mac-key $KW/mac.key" "--pubkey $KW/signing.pub"; do
    # shellcheck disable=SC2086
    expect_exit 1 -- "$WARDEN" audit verify --log "$LW" $key
    expect_stdout_matches "^seq 6: missing: records 6\.\.9 are gone; the writer found them gone and recorded tampering"
    expect_stdout_not_contains "intact"
done
# a rolled-back copy of the log (the state kept): the same
expect_exit 0 -- "$WARDEN" audit append --log "$LW" --keys "$KW" $NA --stdin < <(audit_events 2)
rm -rf "$LW" && cp -a "$WD_TMP/lw.sealed" "$LW"
expect_exit 0 -- "$WARDEN" audit append --log "$LW" --keys "$KW" $NA --type AFTER_ROLLBACK --severity LOW
expect_stderr_contains "WD-A016"
expect_exit 1 -- "$WARDEN" audit verify --log "$LW" --pubkey "$KW/signing.pub"
expect_stdout_matches "^seq 6: missing: .*tampering"
# a batch or none writer that crashed (the page cache kept): recovered as before, no tampering
for mode in batch none; do
    KM="$WD_TMP/km-$mode"
    LM="$WD_TMP/lm-$mode"
    audit_keygen "$KM"
    crash_writer "$LM" "$KM" 5 1 --durability "$mode"
    expect_exit 0 -- "$WARDEN" audit append --log "$LM" --keys "$KM" $NA --durability "$mode" --type AFTER --severity LOW
    expect_stderr_empty
    expect_exit 0 -- "$WARDEN" audit verify --log "$LM" --mac-key "$KM/mac.key" --pubkey "$KM/signing.pub" --json
    expect_json_eq 'd["intact"]' true
    expect_json_eq 'd["recoveries"]' 0
done

# ---- (h) the checkpoint count survives restarts ------------------------------------------------
# Five writers killed after 8 records each, --checkpoint-every 20: checkpoints at 21 and 42 (the
# count since the last checkpoint lives in the writer state). Before, each process counted from
# zero and this log had no checkpoint at all.

KH="$WD_TMP/kh"
LH="$WD_TMP/lh"
audit_keygen "$KH"
for round in 1 2 3 4 5; do
    crash_writer "$LH" "$KH" 8 $((round * 100)) --checkpoint-every 20 --checkpoint-secs 0
done
expect_eq "$(audit_cat "$LH" | grep -n '"type":"CHECKPOINT"' | cut -d: -f1 | tr '\n' ' ')" "21 42 " \
    "restarts: a checkpoint every 20 records across 5 kill -9 restarts"
expect_exit 0 -- "$WARDEN" audit verify --log "$LH" --mac-key "$KH/mac.key" --pubkey "$KH/signing.pub" --json
expect_json_eq 'd["intact"]' true
expect_json_eq 'd["sealed_seq"]' 42
expect_json_eq 'd["unsealed"]' 1

# ---- (i) the heartbeat seals an idle writer ---------------------------------------------------
# One record, then the writer waits for more input: within its interval (--checkpoint-secs 1) it
# seals the record by itself, while it still runs.

KI="$WD_TMP/ki"
LI="$WD_TMP/li"
audit_keygen "$KI"
rm -f "$WD_TMP/hb.fifo" && mkfifo "$WD_TMP/hb.fifo"
"$WARDEN" audit append --log "$LI" --keys "$KI" $NA --stdin --checkpoint-secs 1 <"$WD_TMP/hb.fifo" >"$WD_TMP/hb.ack" 2>"$WD_TMP/hb.err" &
hb=$!
exec 3>"$WD_TMP/hb.fifo"
audit_events 1 IDLE >&3
sealed=no
for ((i = 0; i < 750; i++)); do
    if [ "$(audit_count "$LI")" -ge 3 ] && audit_line "$LI" 3 | grep -q '"type":"CHECKPOINT"'; then
        sealed=yes
        break
    fi
    sleep 0.02
done
kill -0 "$hb" 2>/dev/null && alive=yes || alive=no
expect_eq "$sealed/$alive" yes/yes "heartbeat: record 2 sealed by CHECKPOINT 3 while the writer still ran"
expect_exit 0 -- "$WARDEN" audit verify --log "$LI" --pubkey "$KI/signing.pub" --fresh 1m
exec 3>&-
wait "$hb"
expect_eq "$?" 0 "heartbeat: the writer exits 0 at the end of its input"
expect_eq "$(audit_count "$LI")" 3 "heartbeat: nothing left to seal at close"
expect_exit 0 -- "$WARDEN" audit verify --log "$LI" --mac-key "$KI/mac.key" --pubkey "$KI/signing.pub"

finish
