#!/usr/bin/env bash
# python_handlers.sh: Python handler classes (runtime: python) through `warden run` and wardend.
# Each handler package is written here, beside a contract holding its tree hash: a compute
# handler in both lifecycles (a class attribute counter does not carry over between fresh calls,
# it does between warm ones), an effect handler that reads a granted file with open(), fetches
# a granted host with urllib and is refused a denied file (PermissionError in Python, a denied
# BROKER_DECISION in the audit log), module-level side effects at import recorded under the
# call's correlation id, warden.HandlerError and warden.Denied, and the bad inputs: a class that
# does not exist, a module that raises on import, an async method (each a stable code, and the
# next plugin works), a handler that forges output on descriptor 1 or on every descriptor, that
# forks and lets its child write, that kills the process keeping its call or its zygote: none
# corrupts the protocol. Then wardend: a good and a bad handler over HTTP invoke.
# python_isolation.sh has what one call leaves behind for the next, and forged answer codes.
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

# ---- helpers -------------------------------------------------------------------------------------
# handler NAME CLASS LIFECYCLE: $WD_TMP/h/NAME/contract.yaml for the package already written in
# $WD_TMP/h/NAME/src, with $WD_TMP/h/NAME/policy.yaml (an empty policy unless written before).
handler() {
    python_contract "$WD_TMP/h/$1" "t.$1" "$2" "$3" "config: {greeting: hello}
config_schema: {type: object, properties: {greeting: {type: string}}}"
}

# pkg NAME: the package directory $WD_TMP/h/NAME/src/pkg (with its __init__.py).
pkg() {
    mkdir -p "$WD_TMP/h/$1/src/pkg"
    : >"$WD_TMP/h/$1/src/pkg/__init__.py"
    printf '%s\n' "$WD_TMP/h/$1/src/pkg"
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

# ---- a compute handler, fresh and warm -------------------------------------------------------------
for life in fresh warm; do
    p=$(pkg "words_$life")
    cat >"$p/words.py" <<'EOF'
"""Counts words; a class attribute counts the calls this object's class has seen."""
import os

LOADED_IN = os.getpid()


class Words:
    calls = 0

    def initialize(self, config):
        self.greeting = config["greeting"]

    def execute(self, input):
        Words.calls += 1
        print("a line for the log, never the answer")
        return {"words": len(input["text"].split()), "calls": Words.calls,
                "greeting": self.greeting, "file": __file__}

    def describe(self):
        return {"description": "counts words", "input_schema": {"type": "object"}}

    def shutdown(self):
        pass
EOF
    handler "words_$life" pkg.words.Words "$life"
done
FRESH="$WD_TMP/h/words_fresh/contract.yaml"
WARM="$WD_TMP/h/words_warm/contract.yaml"

expect_exit 0 -- "$WARDEN" plugin validate "$FRESH"
expect_stdout_contains "  runtime: python"
expect_stdout_contains "  handler_class: pkg.words.Words"
expect_stdout_contains "  handler_root: $WD_TMP/h/words_fresh/src"
expect_stdout_contains "  lifecycle: fresh"
expect_stdout_contains "  interpreter: /usr/bin/python3"

expect_exit 0 -- "$WARDEN" run "$WARM" --describe
expect_json_eq 'd["description"], d["warden"]["runtime"], d["warden"]["lifecycle"]' "('counts words', 'python', 'warm')"
expect_json_eq 'd["warden"]["handler_class"]' pkg.words.Words
# describe() answering neither an object nor a string is described as such (and, in the
# sanitizer build, leaks nothing).
p=$(pkg describe_list)
printf 'class H:\n    def initialize(self, c): pass\n    def execute(self, i): return 1\n    def describe(self): return [1, 2]\n    def shutdown(self): pass\n' >"$p/mod.py"
handler describe_list pkg.mod.H fresh
expect_exit 0 -- "$WARDEN" run "$WD_TMP/h/describe_list/contract.yaml" --describe
expect_json_eq 'd["description"], d["warden"]["lifecycle"]' "('(describe() was no object)', 'fresh')"

expect_exit 0 -- "${RUN[@]}" "$FRESH" --calls 3 --input '{"text": "one two three"}'
expect_stdout_lines 3
expect_stdout_line 1 "{\"words\":3,\"calls\":1,\"greeting\":\"hello\",\"file\":\"$WD_TMP/h/words_fresh/src/pkg/words.py\"}"
expect_stdout_line 3 "{\"words\":3,\"calls\":1,\"greeting\":\"hello\",\"file\":\"$WD_TMP/h/words_fresh/src/pkg/words.py\"}"
expect_exit 0 -- "${RUN[@]}" "$WARM" --calls 3 --input '{"text": "one two three"}'
expect_stdout_line 1 "{\"words\":3,\"calls\":1,\"greeting\":\"hello\",\"file\":\"$WD_TMP/h/words_warm/src/pkg/words.py\"}"
expect_stdout_line 3 "{\"words\":3,\"calls\":3,\"greeting\":\"hello\",\"file\":\"$WD_TMP/h/words_warm/src/pkg/words.py\"}"
logs=$(records PLUGIN_LOG | grep -c "a line for the log, never the answer")
expect_eq "$logs" 6 "print() is a PLUGIN_LOG line of each call"

# Input that is not JSON is refused by the handler's bootstrap; the next call is served.
expect_exit 1 -- "$WARDEN" run "$WARM" --input 'not json'
expect_stderr_contains "WD-S012"

# Pretty-printed JSON is JSON: its line ends are whitespace, taken as spaces. A line end inside a
# string is not JSON, and flattening must not make it so.
expect_exit 0 -- "$WARDEN" run "$WARM" --input $'{\n  "text":\r\n    "one two"\n}'
expect_stdout_contains '"words":2'
expect_exit 1 -- "$WARDEN" run "$WARM" --input $'{"text": "one\ntwo"}'
expect_stderr_contains "WD-S012: the input is not JSON: a line end inside a string (byte 14)"
expect_exit 0 -- "$WARDEN" run "$WARM" --input $'{"text": "a \\"quoted\\" \\\\",\n "x": 1}'
expect_stdout_contains '"words":3'

# A changed file is a changed tree: refused before anything runs.
echo "# changed" >>"$WD_TMP/h/words_fresh/src/pkg/words.py"
expect_exit 1 -- "$WARDEN" run "$FRESH" --input '{"text": "x"}'
expect_stderr_contains "WD-L009"
expect_stderr_contains "a file under it changed"

# ---- an effect handler: open(), urllib, a refusal, import-time side effects -----------------------
mkdir -p "$WD_TMP/www"
echo "served over HTTP" >"$WD_TMP/www/index.txt"
python3 -m http.server 0 --bind 127.0.0.1 --directory "$WD_TMP/www" >"$WD_TMP/http.log" 2>&1 &
BGPIDS+=($!)
PORT=""
for _ in $(seq 200); do
    PORT=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$WD_TMP/http.log" | head -1)
    [ -n "$PORT" ] && break
    sleep 0.05
done
[ -n "$PORT" ] || { echo "error: the local HTTP server did not start" >&2; exit 2; }

E="$WD_TMP/h/effect"
p=$(pkg effect)
mkdir -p "$E/data"
echo "granted text" >"$E/data/ok.txt"
echo "hunter2" >"$E/data/no.secret"
cat >"$E/policy.yaml" <<EOF
version: "1.0"
permissions:
  storage:
    allow: [{uri: "fs://data/**", access: [read]}]
    deny: [{uri: "fs://data/**/*.secret", access: [read]}]
  network:
    allow: [{host: "localhost", ports: [$PORT]}, {host: "127.0.0.1", ports: [$PORT]}]
EOF
cat >"$p/fetch.py" <<'EOF'
import os
import urllib.request

import warden

# Module-level side effects: run at import, inside the sandbox, recorded.
AT_IMPORT = open("data/ok.txt").read().strip()
try:
    open("/etc/shadow").read()
    SHADOW = "read"
except PermissionError:
    SHADOW = "refused"


class Fetch:
    def initialize(self, config):
        pass

    def execute(self, input):
        out = {"import": AT_IMPORT, "shadow": SHADOW}
        out["read"] = open("data/ok.txt").read().strip()
        try:
            open("data/no.secret").read()
            out["secret"] = "read"
        except PermissionError as e:
            out["secret"] = type(e).__name__
            out["denied"] = str(warden.Denied.from_error(e, "read"))
        with urllib.request.urlopen(input["url"], timeout=5) as r:
            out["fetch"] = r.read().decode().strip()
        if input.get("fail"):
            raise warden.HandlerError("no_luck", "asked to fail")
        if input.get("raise"):
            open("/etc/shadow")
        warden.log("fetched " + input["url"], level="warning")
        return out

    def describe(self):
        return "reads and fetches"

    def shutdown(self):
        pass
EOF
handler effect pkg.fetch.Fetch fresh
URL="http://localhost:$PORT/index.txt"
expect_exit 0 -- "${RUN[@]}" "$E/contract.yaml" --json --input "{\"url\": \"$URL\"}"
CORR=$(wd_json_eval 'd["correlation_id"]')
expect_json_eq 'json.loads(d["output"])["import"], json.loads(d["output"])["shadow"]' "('granted text', 'refused')"
expect_json_eq 'json.loads(d["output"])["read"], json.loads(d["output"])["secret"]' "('granted text', 'PermissionError')"
expect_json_eq 'json.loads(d["output"])["fetch"]' "served over HTTP"
expect_json_eq '"hunter2" in d["output"]' false
OP=$("$WARDEN" override id --component t.effect read "$E/data/no.secret" | tr -d '\n')
expect_json_eq "\"operation $OP\" in json.loads(d[\"output\"])[\"denied\"]" true
decisions=$(records BROKER_DECISION "$CORR")
grep -q "\"target\":\"$E/data/no.secret\",\"decision\":\"deny\"" <<<"$decisions" &&
    wd_pass "the denied file is a deny record of the call" || wd_fail "no deny record for no.secret" "$decisions"
grep -q "\"target\":\"/etc/shadow\",\"decision\":\"deny\"" <<<"$decisions" &&
    wd_pass "the import's side effect is recorded under the call's correlation id" ||
    wd_fail "no deny record for the import's /etc/shadow under $CORR" "$decisions"
grep -q "\"op\":\"connect\",\"target\":\"localhost:$PORT (127.0.0.1)\",\"decision\":\"allow\"" <<<"$decisions" &&
    wd_pass "the connect is an allow record" || wd_fail "no connect record" "$decisions"
records PLUGIN_LOG "$CORR" | grep -q "warning: fetched $URL" &&
    wd_pass "warden.log is a PLUGIN_LOG record" || wd_fail "no warden.log record" "$(records PLUGIN_LOG)"

expect_exit 1 -- "${RUN[@]}" "$E/contract.yaml" --input "{\"url\": \"$URL\", \"fail\": true}"
expect_stderr_contains "WD-S011: no_luck: asked to fail"
expect_exit 1 -- "${RUN[@]}" "$E/contract.yaml" --input "{\"url\": \"$URL\", \"raise\": true}"
expect_stderr_contains "WD-S011: execute() raised PermissionError"
expect_stderr_contains "refused by the component's policy"
# One run, a failed call between good ones: the instance is recycled and the next call served.
expect_exit 1 -- "$WARDEN" run "$E/contract.yaml" --calls 2 --input "{\"url\": \"$URL\", \"fail\": true}"
expect_stdout_empty

# ---- bad handlers: each a stable code; the next plugin runs -----------------------------------------
p=$(pkg noclass)
printf 'class Other:\n    pass\n' >"$p/mod.py"
handler noclass pkg.mod.Missing fresh
expect_exit 1 -- "$WARDEN" run "$WD_TMP/h/noclass/contract.yaml" --input '{}'
expect_stderr_contains "WD-S018"
expect_stderr_contains "pkg.mod has no class Missing"

p=$(pkg raises)
printf 'raise ValueError("boom at import")\n' >"$p/mod.py"
handler raises pkg.mod.H warm
expect_exit 1 -- "${RUN[@]}" "$WD_TMP/h/raises/contract.yaml" --input '{}'
expect_stderr_contains "WD-S018"
expect_stderr_contains "importing pkg.mod raised ValueError: boom at import"

p=$(pkg async)
cat >"$p/mod.py" <<'EOF'
class H:
    def initialize(self, config): pass
    async def execute(self, input): return 1
    def describe(self): return {}
    def shutdown(self): pass
EOF
handler async pkg.mod.H fresh
expect_exit 1 -- "$WARDEN" run "$WD_TMP/h/async/contract.yaml" --input '{}'
expect_stderr_contains "WD-S019"
expect_stderr_contains "pkg.mod.H.execute is async"

p=$(pkg nomethod)
printf 'class H:\n    def execute(self, input): return 1\n' >"$p/mod.py"
handler nomethod pkg.mod.H fresh
expect_exit 1 -- "$WARDEN" run "$WD_TMP/h/nomethod/contract.yaml" --input '{}'
expect_stderr_contains "WD-S018: pkg.mod.H has no method initialize()"

p=$(pkg threads)
cat >"$p/mod.py" <<'EOF'
import threading, time
threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
class H:
    def initialize(self, config): pass
    def execute(self, input): return 1
    def describe(self): return {}
    def shutdown(self): pass
EOF
handler threads pkg.mod.H fresh
expect_exit 1 -- "$WARDEN" run "$WD_TMP/h/threads/contract.yaml" --input '{}'
expect_stderr_contains "WD-S018"
expect_stderr_contains "may not start threads at import"

# ---- hostile handlers: the protocol is never theirs -------------------------------------------------
for life in fresh warm; do
    p=$(pkg "forge_$life")
    cat >"$p/mod.py" <<'EOF'
import os, time

FORGED = b'{"ok":true,"output":"FORGED"}\n'


class H:
    calls = 0

    def initialize(self, config): pass

    def execute(self, input):
        H.calls += 1
        how = input["how"]
        if how == "fd1":
            os.write(1, FORGED)
            print('{"ok":true,"output":"FORGED"}')
        elif how == "allfds":
            for fd in range(64):
                if fd != 2:
                    try:
                        os.write(fd, FORGED)
                    except OSError:
                        pass
        elif how == "fork":
            if os.fork() == 0:
                time.sleep(0.3)
                for fd in range(64):
                    if fd != 2:
                        try:
                            os.write(fd, FORGED)
                        except OSError:
                            pass
                os._exit(0)
            if input.get("wait"):
                time.sleep(0.6)
        elif how == "kill":  # fresh: the process keeping the call (warm: the namespace's first)
            os.kill(os.getppid(), 9)
            time.sleep(1)
        elif how == "killzygote":  # the second process of the namespace
            os.kill(2, 9)
            time.sleep(1)
        elif how == "sleep":
            time.sleep(0.6)
        return {"calls": H.calls, "how": how}

    def describe(self): return {}

    def shutdown(self): pass
EOF
    handler "forge_$life" pkg.mod.H "$life"
done
FF="$WD_TMP/h/forge_fresh/contract.yaml"
FW="$WD_TMP/h/forge_warm/contract.yaml"
# Descriptor 1 is the log: the forged line is a log line, the answer the handler's own.
for c in "$FF" "$FW"; do
    expect_exit 0 -- "$WARDEN" run "$c" --input '{"how": "fd1"}'
    expect_stdout_line 1 '{"calls":1,"how":"fd1"}'
done
# fresh: the call's process holds none of the protocol's descriptors: writing on every one it
# has reaches its own answer pipe at most (so its first line is its answer, as if returned), and
# every call stays in step.
expect_exit 0 -- "$WARDEN" run "$FF" --json --calls 3 --input '{"how": "allfds"}'
expect_stdout_lines 3
expect_stdout_not_contains '"ok":false'
# fresh: a child left behind is ended with its call, and writes nothing into the next one.
expect_exit 0 -- "$WARDEN" run "$FF" --calls 3 --input '{"how": "fork"}'
expect_stdout_lines 3
expect_stdout_not_contains FORGED
expect_exit 0 -- "$WARDEN" run "$FF" --calls 2 --input '{"how": "sleep"}'
expect_stdout_not_contains FORGED
# warm: the handler shares its process with the protocol. A line it forges there is not the
# answer to the call in progress (each answer carries the number of its request): refused
# (WD-S006), the instance replaced; the forged text is never anyone's output.
expect_exit 1 -- "$WARDEN" run "$FW" --json --calls 2 --input '{"how": "allfds"}'
expect_stdout_lines 2
expect_stdout_not_contains FORGED
# The host reads the forged line and the answer either apart ("answered out of turn") or in one
# read ("answered more than one line"), as the scheduler has it: the code is what is stable.
expect_stdout_line_matches 1 '"code":"WD-S006".*(answered out of turn|answered more than one line)'
# warm: a child it forked writes on the protocol while the call runs: refused the same way.
expect_exit 1 -- "$WARDEN" run "$FW" --json --input '{"how": "fork", "wait": true}'
expect_stdout_not_contains FORGED
expect_stdout_contains '"code":"WD-S006"'
# fresh: a handler that kills the process keeping its call ends its own call (WD-S011, the
# handler's failure); the next call is served by the same zygote.
expect_exit 1 -- "$WARDEN" run "$FF" --json --calls 2 --input '{"how": "kill"}'
expect_stdout_lines 2
expect_stdout_line_matches 1 '"code":"WD-S011","message":"the call.s keeper process died of signal 9 \(SIGKILL\) before answering'
expect_stdout_line_matches 2 '"code":"WD-S011"'
# One that kills its zygote ends the instance (WD-S008 or WD-S002, the host's telling); the next
# call starts a new one (which its handler kills again).
expect_exit 1 -- "$WARDEN" run "$FF" --json --calls 2 --input '{"how": "killzygote"}'
expect_stdout_lines 2
expect_stdout_line_matches 1 '"code":"WD-S00[28]"'
expect_stdout_line_matches 2 '"code":"WD-S00[28]"'

expect_exit 0 -- "$WARDEN" audit verify --log "$LOG" --mac-key "$KEYS/mac.key" --pubkey "$KEYS/signing.pub"

# ---- wardend: a good and a bad handler over HTTP invoke -------------------------------------------
OUT="$WD_TMP/wardend"
SOCK="$WD_TMP/wardend.sock"
mkdir -p "$OUT" "$WD_TMP/policies" "$WD_TMP/tenant"
cp -r "$WD_TMP/h/words_warm" "$WD_TMP/h/raises" "$WD_TMP/tenant/"
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
    invoke() { # invoke PLUGIN JSON
        run curl -s -m 30 --unix-socket "$SOCK" -X POST "http://wardend/v1/plugins/$1/invoke" -d "$2"
    }
    invoke t.raises '{}'
    expect_json_eq 'd["ok"], d["code"]' "(False, 'WD-S018')"
    invoke t.words_warm '{"text": "a b"}'
    expect_json_eq 'd["ok"], json.loads(d["output"])["words"]' "(True, 2)"
    kill -TERM "$WPID"
    wait "$WPID" 2>/dev/null
    WPID=""
else
    wd_fail "wardend did not start" "$(cat "$OUT/wardend.log")"
fi

finish
