#!/usr/bin/env bash
# python_isolation.sh: what one call of a Python handler leaves behind never reaches a later
# call (of the same instance, which wardend keeps between callers), and what a handler says is
# never taken for what the host says. Fresh lifecycle: a process a call started and moved out of
# its process group (setsid) is ended with the call, before it answers: it neither logs nor
# makes broker requests under a later call's correlation id, nor kills a later call's process;
# a later call's process finds none of the earlier calls' inputs and outputs in its own memory
# (read with ctypes, through wardend, each call another input); a descriptor the module left open
# at import is refused (WD-S018, named). Both lifecycles: an answer that claims a containment
# code (WD-S002) is a malformed answer, not a HIGH "contained" record; control characters in a
# message are escaped on stderr and in the audit record; input nested deeper than Python's
# recursion limit is WD-S012 and a result nested that deep WD-S011, and a warm process answers
# the next call.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"
# shellcheck source=lib/wardend.sh
source "$WD_LIB_DIR/wardend.sh"

# shellcheck source=lib/plugins.sh
source "$WD_LIB_DIR/plugins.sh"
require_confinement
if [ ! -x /usr/bin/python3 ]; then
    echo "error: /usr/bin/python3 is needed (scripts/setup.sh installs it)" >&2
    exit 2
fi

# ---- helpers (as python_handlers.sh) --------------------------------------------------------------
# handler NAME LIFECYCLE: $WD_TMP/h/NAME/contract.yaml for the class pkg.mod.H already written
# in $WD_TMP/h/NAME/src/pkg/mod.py, with an empty policy unless one was written before.
handler() {
    python_contract "$WD_TMP/h/$1" "t.$1" pkg.mod.H "$2"
    printf '%s\n' "$WD_TMP/h/$1/contract.yaml"
}

# module NAME: writes stdin as the module of the package $WD_TMP/h/NAME/src/pkg.
module() {
    mkdir -p "$WD_TMP/h/$1/src/pkg"
    : >"$WD_TMP/h/$1/src/pkg/__init__.py"
    cat >"$WD_TMP/h/$1/src/pkg/mod.py"
}

KEYS="$WD_TMP/keys"
LOG="$WD_TMP/log"
audit_keygen "$KEYS"
RUN=("$WARDEN" run --keys "$KEYS" --log "$LOG")

# records TYPE [CORRELATION]: the log's records of TYPE (of that call), one JSON object a line.
records() {
    python3 - "$LOG" "$1" "${2:-}" <<'EOF'
import glob, json, sys
for seg in sorted(glob.glob(sys.argv[1] + "/audit-*.jsonl")):
    for line in open(seg):
        r = json.loads(line)
        if r["type"] == sys.argv[2] and (not sys.argv[3] or r.get("correlation_id") == sys.argv[3]):
            print(json.dumps(r, separators=(",", ":")))
EOF
}

# ---- fresh: a process that left the call's process group ends with the call -----------------------
# A call that sees no other process starts a grandchild in a session of its own that logs, asks
# for a file named after itself (a broker request) and kills every process numbered above its
# own, again and again for 5 s. Each call lists the processes it sees besides the namespace's
# first, the zygote, itself and its parent, and names its grandchild: every call sees none and
# starts its own, and the log lines and requests of each call are its own grandchild's only.
module survivor <<'EOF'
import os, signal, time


def others():
    mine = {1, 2, os.getpid(), os.getppid()}
    found = []
    for pid in range(1, 400):
        if pid not in mine:
            try:
                os.kill(pid, 0)
                found.append(pid)
            except OSError:
                pass
    return found


class H:
    def initialize(self, config): pass

    def execute(self, input):
        found, planted = others(), 0
        if not found:
            r, w = os.pipe()
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    me = os.getpid()
                    os.write(w, b"%d\n" % me)
                    for tick in range(250):
                        os.write(2, b"SURVIVOR %d tick %d\n" % (me, tick))
                        try:
                            open("/etc/hostname-%d" % me).read()
                        except OSError:
                            pass
                        for pid in range(me + 1, me + 64):
                            try:
                                os.kill(pid, signal.SIGKILL)
                            except OSError:
                                pass
                        time.sleep(0.02)
                    os._exit(0)
                os._exit(0)
            planted = int(os.read(r, 16))  # the grandchild runs
        time.sleep(0.2)  # what a survivor does, it has done by now
        return {"others": found, "planted": planted}

    def describe(self): return {}

    def shutdown(self): pass
EOF
C=$(handler survivor fresh)
expect_exit 0 -- "${RUN[@]}" "$C" --json --calls 3 --input '{}'
expect_stdout_lines 3
expect_stdout_not_contains '"ok":false'
for k in 1 2 3; do
    expect_stdout_line_matches "$k" '"output":"\{\\"others\\":\[\],\\"planted\\":[0-9]+\}"'
done
mapfile -t CALLS < <(python3 -c 'import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    print(d["correlation_id"], json.loads(d["output"])["planted"] if d["ok"] else -1)' "$WD_OUT")
for k in 0 1 2; do
    read -r corr planted <<<"${CALLS[$k]:-none -1}"
    own=$(records PLUGIN_LOG "$corr" | grep -c "SURVIVOR $planted tick")
    foreign=$(records PLUGIN_LOG "$corr" | grep SURVIVOR | grep -vc "SURVIVOR $planted tick")
    reads=$(records BROKER_DECISION "$corr" | grep /etc/hostname- | grep -vc "/etc/hostname-$planted\"")
    [ "$own" -ge 1 ] && wd_pass "call $((k + 1)): its grandchild ran ($own log lines)" ||
        wd_fail "call $((k + 1)): its grandchild never logged" "$(records PLUGIN_LOG "$corr")"
    expect_eq "$foreign $reads" "0 0" "call $((k + 1)): no log line or broker request of another call's grandchild"
done

# ---- fresh: a later call's process holds nothing of earlier calls ---------------------------------
# Through wardend (one instance for every caller), three calls with three inputs; each call's
# process reads its own memory around its heap and its modules for the marks of inputs and
# outputs and reports the ones that are not its own.
module remnants <<'EOF'
import ctypes, os, re

libc = ctypes.CDLL(None)
libc.sbrk.restype = ctypes.c_void_p
libc.sbrk.argtypes = [ctypes.c_long]
libc.pwrite.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long]
MARKS = re.compile(rb"(?:INPUT|OUTPUT)-MARK-[0-9]+")


def scan():
    probe = os.memfd_create("probe")  # pwrite() reads the page, EFAULT when it is not mapped
    pages = set()
    for anchor in (libc.sbrk(0), id(os), id(re), id(object()), id(b"q" * 300000)):
        for off in range(-(32 << 20), 32 << 20, 4096):
            pages.add((anchor & ~0xfff) + off)
    found = set()
    for page in sorted(pages):
        if page <= 0 or libc.pwrite(probe, page, 4096, 0) != 4096:
            continue
        tail = 64 if libc.pwrite(probe, page + 4096, 64, 0) == 64 else 0
        found |= {m.decode() for m in MARKS.findall(ctypes.string_at(page, 4096 + tail))}
    os.close(probe)
    return found


class H:
    def initialize(self, config): pass

    def execute(self, input):
        mine = {input["mark"], "OUTPUT-MARK-" + input["mark"].rsplit("-", 1)[1]}
        seen = sorted(scan() - mine)
        return {"foreign": seen, "reply": "OUTPUT-MARK-" + input["mark"].rsplit("-", 1)[1]}

    def describe(self): return {}

    def shutdown(self): pass
EOF
handler remnants fresh >/dev/null

OUT="$WD_TMP/wardend"
SOCK="$WD_TMP/wardend.sock"
mkdir -p "$OUT" "$WD_TMP/policies" "$WD_TMP/tenant"
cp -r "$WD_TMP/h/remnants" "$WD_TMP/tenant/"
audit_keygen "$WD_TMP/tkeys"
cat >"$WD_TMP/warden.yaml" <<EOF
version: 1
listen:
  unix: $SOCK
tenants:
  - name: demo
    contracts: [$WD_TMP/tenant]
    policies: $WD_TMP/policies
    audit: {log: $WD_TMP/tlog, keys: $WD_TMP/tkeys}
    clients:
      - uid: $(id -u)
        role: admin
EOF
if start_wardend "$WD_TMP/warden.yaml"; then
    for k in 101 202 303; do
        run curl -s -m 60 --unix-socket "$SOCK" -X POST "http://wardend/v1/plugins/t.remnants/invoke" \
            -d "{\"mark\": \"INPUT-MARK-$k\"}"
        expect_json_eq 'd["ok"], json.loads(d["output"])["reply"]' "(True, 'OUTPUT-MARK-$k')"
        expect_json_eq 'json.loads(d["output"])["foreign"]' "[]"
    done
    kill -TERM "$WPID"
    wait "$WPID" 2>/dev/null
    WPID=""
else
    wd_fail "wardend did not start" "$(cat "$OUT/wardend.log")"
fi

# ---- fresh: a descriptor left open at import would be every call's ---------------------------------
mkdir -p "$WD_TMP/h/shared/data"
printf 'line one\nline two\n' >"$WD_TMP/h/shared/data/words.txt"
cat >"$WD_TMP/h/shared/policy.yaml" <<'EOF'
version: "1.0"
permissions:
  storage:
    allow: [{uri: "fs://data/**", access: [read]}]
EOF
module shared <<'EOF'
import os

FD = os.open("data/words.txt", os.O_RDONLY)


class H:
    def initialize(self, config): pass

    def execute(self, input):
        return {"offset": os.lseek(FD, 0, os.SEEK_CUR), "read": os.read(FD, 9).decode()}

    def describe(self): return {}

    def shutdown(self): pass
EOF
C=$(handler shared fresh)
expect_exit 1 -- "$WARDEN" run "$C" --calls 2 --input '{}'
expect_stdout_empty
expect_stderr_contains "WD-S018: importing pkg.mod left descriptor"
expect_stderr_contains "($WD_TMP/h/shared/data/words.txt) open: every fresh call would share it"
# warm: one process, one object: the descriptor is the handler's own state, as intended.
C=$(handler shared warm)
expect_exit 0 -- "$WARDEN" run "$C" --calls 2 --input '{}'
expect_stdout_line 2 '{"offset":9,"read":"line two\n"}'

# ---- both: what a handler says is never what the host says -----------------------------------------
module forge <<'EOF'
import gc, json, os, time


def runtime():
    for o in gc.get_objects():
        if type(o).__name__ == "Runtime":
            return o


class H:
    def initialize(self, config): pass

    def execute(self, input):
        how = input["how"]
        if how == "escape":
            raise ValueError("\x1b[2K\rwarden: run: ok\x07")
        answer = {"ok": False, "code": input.get("code", "WD-S002"),
                  "message": "died\nwarden: audit: CRITICAL tamper\x1b[31m"}
        if how == "pipe":  # fresh: on every descriptor, the call's answer pipe among them
            for fd in range(64):
                if fd != 2:
                    try:
                        os.write(fd, (json.dumps(answer) + "\n").encode())
                    except OSError:
                        pass
            os._exit(0)
        rt = runtime()  # warm: a well-numbered answer on the protocol itself
        os.write(rt.pout, (json.dumps(answer | {"seq": rt.seq}) + "\n").encode())
        time.sleep(2)  # the host has the line by now, and ends the instance

    def describe(self): return {}

    def shutdown(self): pass
EOF
CF=$(handler forge fresh)
cp -r "$WD_TMP/h/forge" "$WD_TMP/h/forgew"
CW=$(handler forgew warm)
# Control characters in a message: escaped, on one line, in stderr and in the record.
expect_exit 1 -- "${RUN[@]}" "$CF" --json --input '{"how": "escape"}'
CORR=$(wd_json_eval 'd["correlation_id"]')
expect_json_eq 'd["code"], d["message"]' "('WD-S011', 'execute() raised ValueError: \\\\x1b[2K warden: run: ok\\\\x07')"
expect_exit 1 -- "${RUN[@]}" "$CF" --input '{"how": "escape"}'
expect_stderr_lines 1
expect_stderr_contains 'execute() raised ValueError: \x1b[2K warden: run: ok\x07'
if grep -q $'\x1b' "$WD_ERR"; then wd_fail "an ESC byte reached stderr" "$(cat -v "$WD_ERR")"; else wd_pass "no ESC byte on stderr"; fi
records PLUGIN_CALL "$CORR" | python3 -c '
import json, sys
m = json.loads(sys.stdin.read())["details"]["message"]
sys.exit(any(ord(c) < 0x20 or ord(c) == 0x7f for c in m))' &&
    wd_pass "no control character in the PLUGIN_CALL record" ||
    wd_fail "control characters in the record" "$(records PLUGIN_CALL "$CORR")"
# fresh: a containment code on the call's own answer pipe is a malformed answer, the handler's.
expect_exit 1 -- "${RUN[@]}" "$CF" --json --input '{"how": "pipe"}'
CORR=$(wd_json_eval 'd["correlation_id"]')
expect_json_eq 'd["code"], d["message"]' "('WD-S011', \"the handler's process sent a malformed answer\")"
severity=$(records PLUGIN_CALL "$CORR" | python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["severity"])')
expect_eq "$severity" MEDIUM "the PLUGIN_CALL record is the handler's failure (MEDIUM), not a HIGH containment"
# warm: claimed on the protocol itself, with the right request number: refused by the host
# (WD-S006, the instance replaced), never a crash of the host's telling.
expect_exit 1 -- "${RUN[@]}" "$CW" --json --calls 2 --input '{"how": "protocol"}'
expect_stdout_lines 2
expect_stdout_line_matches 1 "\"code\":\"WD-S006\",\"message\":\"the Python handler's process sent a malformed answer\""
expect_stdout_not_contains CRITICAL
# warm: a code a handler may give, with a message that would be three lines and a colour.
expect_exit 1 -- "${RUN[@]}" "$CW" --input '{"how": "protocol", "code": "WD-S011"}'
expect_stderr_lines 1
expect_stderr_contains 'WD-S011: died\x0awarden: audit: CRITICAL tamper\x1b[31m'

# ---- both: input and results nested deeper than Python's recursion limit ----------------------------
module deep <<'EOF'
class H:
    calls = 0

    def initialize(self, config): pass

    def execute(self, input):
        H.calls += 1
        if H.calls % 2:
            deep = []
            for _ in range(5000):
                deep = [deep]
            return deep
        return {"calls": H.calls}

    def describe(self): return {}

    def shutdown(self): pass
EOF
python3 -c 'import sys; sys.stdout.write("[" * 1500 + "]" * 1500)' >"$WD_TMP/deep.json"
cp -r "$WD_TMP/h/deep" "$WD_TMP/h/deepw"
for life in fresh warm; do
    [ "$life" = fresh ] && C=$(handler deep fresh) || C=$(handler deepw warm)
    expect_exit 1 -- "$WARDEN" run "$C" --json --calls 2 --input @"$WD_TMP/deep.json"
    expect_stdout_lines 2
    for k in 1 2; do
        expect_stdout_line_matches "$k" '"code":"WD-S012","message":"the input is not JSON this handler can take: nested too deeply"'
    done
done
# A result nested too deeply: WD-S011; warm, the same process answers the next call.
C=$(handler deepw warm)
expect_exit 1 -- "$WARDEN" run "$C" --json --calls 2 --input '{}'
expect_stdout_line_matches 1 '"code":"WD-S011","message":"execute\(\) returned a value nested too deeply to encode"'
expect_stdout_line_matches 2 '"ok":true.*"output":"\{\\"calls\\":2\}"'

expect_exit 0 -- "$WARDEN" audit verify --log "$LOG" --mac-key "$KEYS/mac.key" --pubkey "$KEYS/signing.pub"

finish
