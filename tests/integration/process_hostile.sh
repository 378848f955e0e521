#!/usr/bin/env bash
# process_hostile.sh: hostile process plugins (runtime: process) against the real broker. The
# programs are executables built from tests/hostile/process/*.c beside their contracts
# (build/tests/hostile/process/NAME/); each run is `warden run --json` audited into a fresh
# log, and every refusal is looked up in that log as a BROKER_DECISION record.
#
#   1 races: a thread flips the path (or the port) another thread's open (connect) names; the
#     denied file is never read, the denied listener never accepts
#   2 tricks: symlinks, .., /proc/self/fd and /proc/self/root, hard links, RENAME_EXCHANGE,
#     directory renames, O_PATH, a directory descriptor climbing out, set-id bits
#   3 bypasses: a second seccomp filter, io_uring, ptrace, process_vm_*, TIOCSTI, file
#     handles, unshare + mount, raw/packet/netlink sockets, local sockets, UDP to 8.8.8.8
#   4 signals: a 1 ms timer interrupting notified opens, with SA_RESTART and without
# (5, the Landlock backstop, is tests/unit/test_process_backstop.c.)
#
# Sizes (environment): WD_RACE_OPENS (default 200000), WD_RACE_CONNECTS (4000),
# WD_SIGNALS (10000 per mode).
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$(dirname "$0")/lib/audit.sh"
# shellcheck source=lib/plugin.sh
source "$(dirname "$0")/lib/plugin.sh"
plugin_cleanup_on_exit
# Listeners the script started die with it, however it ends.
LISTENERS=()
trap 'for p in "${LISTENERS[@]}"; do kill "$p" 2>/dev/null; done
find "$WD_TMP" -name "audit-*.jsonl*" -exec chattr -a {} + >/dev/null 2>&1; rm -rf "$WD_TMP"' EXIT

: "${WD_BINARY_DIR:=$WD_SOURCE_DIR/build}"
PROC="$WD_BINARY_DIR/tests/hostile/process"
RACE_OPENS=${WD_RACE_OPENS:-200000}
RACE_CONNECTS=${WD_RACE_CONNECTS:-4000}
SIGNALS=${WD_SIGNALS:-10000}
export WD_TIMEOUT=150

for p in race tricks bypass signals; do
    if [ ! -x "$PROC/$p/$p" ] || [ ! -f "$PROC/$p/contract.yaml" ]; then
        echo "error: $PROC/$p is not built" >&2
        exit 2
    fi
done

PROBE=$("$WARDEN" sandbox probe --json)
MIN=()
if [ "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["landlock"]["abi"])' "$PROBE")" = 0 ]; then
    MIN=(--min-landlock 0)
fi

# stage NAME: a copy of the built plugin in $WD_TMP/NAME (the tests plant files and ports).
stage() {
    rm -rf "${WD_TMP:?}/$1"
    cp -a "$PROC/$1" "$WD_TMP/$1"
}

# call NAME INPUT: one audited `warden run --json` of the staged NAME, into a fresh log.
# Afterwards: R_OK, R_CODE, R_OUTPUT (a file), and $A_RECORDS, the call's records, one a line:
#   TYPE<TAB>OP<TAB>DECISION<TAB>VERB<TAB>TARGET<TAB>REASON<TAB>RUNTIME_READS
A_RECORDS="$WD_TMP/.records"
R_OUTPUT="$WD_TMP/.output"
CALLS=0
call() {
    local name=$1 input=$2
    CALLS=$((CALLS + 1))
    local keys="$WD_TMP/keys$CALLS" log="$WD_TMP/log$CALLS"
    audit_keygen "$keys"
    run "$WARDEN" run "$WD_TMP/$name/contract.yaml" --json --keys "$keys" --log "$log" \
        --input "$input" "${MIN[@]}"
    "$WARDEN" audit show --log "$log" --json >"$WD_TMP/.audit.json" 2>/dev/null
    eval "$(python3 -S -c '
import json, shlex, sys
out, audit, r_output, records = sys.argv[1:5]
try:
    d = json.load(open(out))
except Exception:
    d = {}
print("R_OK=%s" % shlex.quote(str(d.get("ok", "")).lower()))
print("R_CODE=%s" % shlex.quote(str(d.get("code", ""))))
print("R_MESSAGE=%s" % shlex.quote(str(d.get("message", ""))))
open(r_output, "w").write(d.get("output") or "")
with open(records, "w") as f:
    for line in open(audit):
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get("correlation_id") != d.get("correlation_id"):
            continue
        x = r.get("details") or {}
        row = [r["type"]] + [str(x.get(k, "")) for k in
                             ("op", "decision", "verb", "target", "reason", "runtime_reads")]
        f.write("\t".join(c.replace("\t", " ").replace("\n", " ") for c in row) + "\n")
' "$WD_OUT" "$WD_TMP/.audit.json" "$R_OUTPUT" "$A_RECORDS")"
}

expect_call_ok() {
    [ "$R_OK" = true ] && [ "$WD_LAST_RC" -eq 0 ]
    wd_check $? "$1: the program ran to its end (ok, not killed)" \
        "exit $WD_LAST_RC, ok \"$R_OK\", code \"$R_CODE\": $R_MESSAGE"
}

# field KEY: the value of KEY=VALUE in the program's output (first line that has it).
field() {
    tr ' ' '\n' <"$R_OUTPUT" | sed -n "s/^$1=//p" | head -n 1
}

expect_field() { # KEY VALUE WHAT
    local v
    v=$(field "$1")
    expect_eq "${v:-<none>}" "$2" "$3: $1 = $2"
}

expect_field_positive() { # KEY WHAT
    local v
    v=$(field "$1")
    [ -n "$v" ] && [ "$v" -gt 0 ]
    wd_check $? "$2: $1 > 0" "$1 is \"$v\": $(head -c 300 "$R_OUTPUT")"
}

# records OP DECISION TARGET_SUFFIX: how many BROKER_DECISION records of the call match (a
# target ending in TARGET_SUFFIX; "" for any).
records() {
    OP=$1 DEC=$2 SUF=$3 awk -F'\t' '
        $1 == "BROKER_DECISION" && $2 == ENVIRON["OP"] && $3 == ENVIRON["DEC"] &&
        (ENVIRON["SUF"] == "" || substr($5, length($5) - length(ENVIRON["SUF"]) + 1) == ENVIRON["SUF"]) { n++ }
        END { print n + 0 }' "$A_RECORDS"
}

# ---- 1. races -----------------------------------------------------------------------------

# Two counting listeners: one the race's policy names (by its port), one it does not.
LISTEN_PY='
import signal, socket, sys
out = sys.argv[1]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1024)
n = 0
def done(*_):
    open(out, "w").write("%d\n" % n)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    n += 1
    c.close()
'
listen() { # NAME: starts a counting listener; its port in $WD_TMP/NAME.port
    python3 -c "$LISTEN_PY" "$WD_TMP/$1.count" >"$WD_TMP/$1.port" &
    LISTENERS+=($!)
    local i
    for ((i = 0; i < 100; i++)); do
        [ -s "$WD_TMP/$1.port" ] && return 0
        sleep 0.05
    done
    echo "error: listener $1 did not start" >&2
    exit 2
}
stop_listeners() {
    local p
    for p in "${LISTENERS[@]}"; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    LISTENERS=()
}
stage race
listen granted
listen denied
PORT_OK=$(cat "$WD_TMP/granted.port")
PORT_NO=$(cat "$WD_TMP/denied.port")
sed -i "s/@PORT_OK@/$PORT_OK/" "$WD_TMP/race/policy.yaml"

# The allowed side is a file beneath a runtime root (/etc/ld.so.cache: decided and counted, not
# recorded one by one), so that every one of the opens is decided and performed, past the
# call's budget of 4,096 records; the denied side is data/no.secret, denied by a rule.
call race "open /etc/ld.so.cache data/no.secret $RACE_OPENS"
expect_call_ok "race: $RACE_OPENS opens of a flipping path"
expect_field opens "$RACE_OPENS" "race"
expect_field denied_content 0 "race: never the denied file's content"
expect_field_positive allowed "race: the allowed file was opened"
expect_field_positive refused "race: the denied file was refused"
expect_eq "$(records open allow no.secret)" 0 "race: no record allows data/no.secret"

# Both sides in the data directory, few enough opens that each is recorded: the records agree
# with what the program saw, open by open.
call race "open data/ok.txt data/no.secret 3000"
expect_call_ok "race: 3000 opens, data/ok.txt against data/no.secret"
expect_field denied_content 0 "race (data)"
expect_field_positive allowed "race (data)"
expect_eq "$(records open allow /data/ok.txt)" "$(field allowed)" \
    "race (data): one allow record per open the program completed"
expect_eq "$(records open allow no.secret)" 0 "race (data): no record allows data/no.secret"
[ "$(records open deny /data/no.secret)" -gt 0 ]
wd_check $? "race (data): data/no.secret refused and recorded"

# Connect: the denied listener counts what it accepts.
call race "connect $PORT_OK $PORT_NO $RACE_CONNECTS"
sleep 0.2
stop_listeners
expect_call_ok "race: $RACE_CONNECTS connects to a flipping port"
expect_field denied 0 "race (connect): never connected to the denied port"
expect_field_positive allowed "race (connect)"
expect_eq "$(cat "$WD_TMP/denied.count" 2>/dev/null)" 0 "race (connect): the denied listener accepted nothing"
[ "$(cat "$WD_TMP/granted.count" 2>/dev/null || echo 0)" -gt 0 ]
wd_check $? "race (connect): the granted listener accepted"
expect_eq "$(records connect allow "")" "$(field allowed)" \
    "race (connect): one allow record per connection the program got"

# ---- 2. tricks ----------------------------------------------------------------------------

stage tricks
ln -s no.secret "$WD_TMP/tricks/data/p_secret"
call tricks ""
expect_call_ok "tricks"
expect_stdout_contains '"ok":true'
DATA="$WD_TMP/tricks/data"

# trick NAME ERRNO [OP DECISION TARGET]: the program's line for NAME ends with errno ERRNO, and
# (when OP is given) the call has a BROKER_DECISION record OP DECISION with a target ending
# in TARGET.
trick() {
    local name=$1 want=$2 line
    line=$(grep -m1 "^$name " "$R_OUTPUT")
    [[ $line == *" errno=$want"* ]]
    wd_check $? "tricks: $name gives errno $want" "line: ${line:-<missing>}"
    if [ $# -gt 2 ]; then
        [ "$(records "$3" "$4" "$5")" -gt 0 ]
        wd_check $? "tricks: $name audited as $3 $4 ...$5" \
            "records: $(awk -F'\t' '$1 == "BROKER_DECISION" { print $2, $3, $5 }' "$A_RECORDS" | tr '\n' ';')"
    fi
}
EACCES=13 EPERM=1 EXDEV=18 ENOENT=2
trick control_ok 0 open allow /data/ok.txt
grep -q '^control_ok .*content=OK' "$R_OUTPUT"
wd_check $? "tricks: the allowed file reads OK"
# A link the broker would make is the host's user's: it may lead only where the plugin may
# read, so these are refused when made (and opening them then finds nothing); a link planted
# by someone else is decided as its target when opened.
trick symlink_make_secret $EACCES symlink deny /data/l_secret
trick symlink_secret $ENOENT
trick symlink_make_shadow $EACCES symlink deny /data/l_shadow
trick symlink_shadow $ENOENT
trick symlink_make_etc $EACCES symlink deny /data/l_etc
trick symlink_dir_shadow $ENOENT
trick symlink_planted $EACCES open deny /data/no.secret
trick dotdot_policy $EACCES open deny "$WD_TMP/tricks/policy.yaml"
trick dotdot_beyond_root $EACCES open deny ../etc/shadow
trick dotdot_absolute $EACCES open deny /../../etc/shadow
trick procfd_reopen_write $EACCES
trick procfd_reopen_rdwr $EACCES
[ "$(OP=open awk -F'\t' '$1 == "BROKER_DECISION" && $3 == "deny" && $5 ~ /^\/proc\/self\/fd\// { n++ } END { print n + 0 }' "$A_RECORDS")" -eq 2 ]
wd_check $? "tricks: both /proc/self/fd re-opens audited as denied"
trick procroot_shadow $EACCES open deny /proc/self/root/etc/shadow
trick procroot_secret $EACCES open deny /proc/self/cwd/data/no.secret
trick hardlink $EPERM link deny data/ok.txt
trick hardlink_secret $EPERM link deny data/no.secret
trick rename_exchange $EACCES rename deny /data/no.secret
grep -q '^after_exchange .*content=OK' "$R_OUTPUT"
wd_check $? "tricks: data/ok.txt still holds OK after the refused exchange"
trick rename_secret_out $EACCES
trick rename_into_secret $EACCES rename deny /data/ok.secret
trick rename_dir $EXDEV rename deny "$DATA/d1 -> $DATA/d2"
trick opath_secret $EACCES
trick dirfd_ok 0
trick dirfd_escape_policy $EACCES
trick dirfd_escape_root $EACCES
trick chmod_setuid 0 chmod allow /data/new.bin
trick fchmod_setuid $EPERM
grep -q '^mode_after rc=0 errno=0 mode=755$' "$R_OUTPUT"
wd_check $? "tricks: no set-id bit on the created file" "$(grep '^mode_after' "$R_OUTPUT")"
[ ! -u "$DATA/new.bin" ] && [ ! -g "$DATA/new.bin" ]
wd_check $? "tricks: the host sees no set-id bit either"
expect_eq "$(records open allow no.secret)" 0 "tricks: no record allows data/no.secret"
expect_eq "$(records open allow /etc/shadow)" 0 "tricks: no record allows /etc/shadow"
[ -e "$DATA/no.secret" ] && [ ! -e "$DATA/leak.txt" ] && [ ! -e "$DATA/hl.txt" ] && [ -d "$DATA/d1" ]
wd_check $? "tricks: no file was linked or renamed"
# An O_PATH descriptor of an allowed file is handed over like any other.
trick opath_allowed 0
grep -q '^done$' "$R_OUTPUT"
wd_check $? "tricks: the program ran every trick"

# ---- 3. bypasses --------------------------------------------------------------------------

stage bypass
# A unix socket the program could reach by path if its connect were not decided: the
# directory and socket are open to the plugin's uid, so only the broker stands in the way.
chmod 0755 "$WD_TMP"
python3 -c '
import os, signal, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(16)
n = 0
def done(*_):
    open(sys.argv[2], "w").write("%d\n" % n); sys.exit(0)
signal.signal(signal.SIGTERM, done)
open(sys.argv[2] + ".ready", "w").close()
while True:
    c, _ = s.accept(); n += 1; c.close()
' "$WD_TMP/unix.sock" "$WD_TMP/unix.count" &
LISTENERS+=($!)
for ((i = 0; i < 100; i++)); do
    [ -e "$WD_TMP/unix.count.ready" ] && break
    sleep 0.05
done
call bypass "$WD_TMP/unix.sock"
stop_listeners
expect_call_ok "bypass"
bypass() { # NAME ERRNO
    local line
    line=$(grep -m1 "^$1 " "$R_OUTPUT")
    [ "$line" = "$1 rc=-1 errno=$2" ]
    wd_check $? "bypass: $1 refused with errno $2" "line: ${line:-<missing>}"
}
ENOSYS=38 EAFNOSUPPORT=97
bypass seccomp_filter $EPERM
bypass seccomp_listener $EPERM
bypass prctl_seccomp_filter $EPERM
bypass prctl_seccomp_strict $EPERM
bypass io_uring_setup $ENOSYS
bypass ptrace_traceme $EPERM
bypass ptrace_attach_parent $EPERM
bypass ptrace_seize_parent $EPERM
bypass process_vm_readv_parent $EPERM
bypass process_vm_writev_parent $EPERM
bypass ioctl_tiocsti $EPERM
bypass name_to_handle_at $EPERM
bypass open_by_handle_at $EPERM
bypass unshare_user_mount $EPERM
bypass mount_tmpfs $EPERM
bypass socket_raw $EPERM
bypass socket_packet $EAFNOSUPPORT
bypass socket_netlink $EAFNOSUPPORT
bypass connect_unix_abstract $EACCES
bypass connect_unix_path $EACCES
bypass udp_sendto_8888 $EACCES
bypass udp_connect_8888 $EACCES
grep -q '^alive$' "$R_OUTPUT"
wd_check $? "bypass: the program is alive after every attempt"
expect_eq "$(cat "$WD_TMP/unix.count" 2>/dev/null)" 0 "bypass: the unix listener accepted nothing"
expect_eq "$(records connect deny "")" 3 "bypass: the 2 local connects and the UDP connect audited as denied"
expect_eq "$(records send deny 8.8.8.8:53)" 1 "bypass: the UDP datagram audited as denied"

# ---- 4. signals ---------------------------------------------------------------------------

stage signals
for mode in restart norestart; do
    call signals "$mode $SIGNALS"
    expect_call_ok "signals ($mode)"
    expect_field leaked 0 "signals ($mode): no descriptor beyond the program's own"
    expect_field wrong 0 "signals ($mode): every descriptor is the file asked for"
    expect_field other 0 "signals ($mode): no open failed but by the signal"
    expect_field runtime_other 0 "signals ($mode): no runtime open failed but by the signal"
    expect_field_positive opens "signals ($mode)"
    if [ "$mode" = restart ]; then
        expect_field eintr 0 "signals (restart): SA_RESTART restarts every interrupted open"
    fi
    expect_eq "$(records open allow /data/ok.txt)" "$(field opens)" \
        "signals ($mode): exactly one BROKER_DECISION per completed open"
done

finish
