#!/usr/bin/env bash
# process_plugins.sh: the shipped process plugins (examples/plugins/shtool, pyfetch, jsonl) run
# unmodified through `warden run`, wardend's HTTP API and its MCP tools: what they read and
# fetch, what they are refused and the words the programs themselves print for it, the audit
# records of each decision, and a verifying log. Then the ways a program can fail, each with
# its code: a status other than 0 (WD-S011), a timeout (WD-S003, its processes gone), output
# over the limit (WD-S007), a json-lines program exiting mid-call (WD-S008), an input line a
# json-lines program cannot take (WD-S012), a program changed after its contract was written
# (WD-L009), and a #! script named without its interpreter (WD-L026).
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"
# shellcheck source=lib/wardend.sh
source "$WD_LIB_DIR/wardend.sh"

PEX="$WD_BINARY_DIR/examples/process"
if [ ! -f "$PEX/shtool/contract.yaml" ] || [ ! -f "$PEX/pyfetch/contract.yaml" ]; then
    echo "error: the process plugin examples under $PEX are missing (build first)" >&2
    exit 2
fi
# The broker needs Landlock and seccomp (user notification came with it long before any
# Landlock kernel): without them nothing here can run. That, and only that, is a skip.
if ! "$WARDEN" sandbox probe --json | python3 -c '
import json, sys
p = json.load(sys.stdin)
sys.exit(0 if p["landlock"]["abi"] >= 1 and p["seccomp"]["filter"] else 1)'; then
    echo "note: no Landlock or no seccomp filter on this kernel: skipping"
    exit 77
fi
for tool in /bin/sh /usr/bin/python3 /usr/bin/curl; do
    if [ ! -x "$tool" ]; then
        echo "error: $tool is needed (scripts/setup.sh installs it)" >&2
        exit 2
    fi
done

# ---- a local HTTP server, and copies of the examples whose policies name its port ------------
mkdir -p "$WD_TMP/www" "$WD_TMP/ex"
echo "served over HTTP" >"$WD_TMP/www/index.txt"
python3 -m http.server 0 --bind 127.0.0.1 --directory "$WD_TMP/www" >"$WD_TMP/http.log" 2>&1 &
BGPIDS+=($!)
PORT=""
for _ in $(seq 200); do
    PORT=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$WD_TMP/http.log" | head -1)
    [ -n "$PORT" ] && break
    sleep 0.05
done
if [ -z "$PORT" ]; then
    echo "error: the local HTTP server did not start: $(cat "$WD_TMP/http.log")" >&2
    exit 2
fi
for p in shtool pyfetch; do
    cp -r "$PEX/$p" "$WD_TMP/ex/$p"
    sed -i "s/ports: \[18081\]/ports: [$PORT]/g" "$WD_TMP/ex/$p/policy.yaml"
done
SH="$WD_TMP/ex/shtool/contract.yaml"
PY="$WD_TMP/ex/pyfetch/contract.yaml"
JL="$PEX/jsonl/contract.yaml"
URL="http://localhost:$PORT/index.txt"
GOOD="{\"read\": [\"data/notes/hello.txt\", \"data/notes/2024/deep.txt\"], \"fetch\": [\"$URL\"]}"
BAD='{"read": ["data/keys/api.secret", "/etc/shadow"], "fetch": ["http://example.com/"]}'
KEYS="$WD_TMP/keys"
LOG="$WD_TMP/log"
audit_keygen "$KEYS"
RUN=("$WARDEN" run --keys "$KEYS" --log "$LOG")

# ---- what a process plugin is, said from its contract (it has no describe()) -------------------
expect_exit 0 -- "$WARDEN" run "$PY" --describe
expect_json_eq 'd["runtime"]' process
expect_json_eq 'd["protocol"]' stdio
expect_json_eq 'd["program"].endswith("/pyfetch.py")' true
expect_json_eq 'd["interpreter"].startswith("/usr/bin/python3")' true

# ---- the shell tool ------------------------------------------------------------------------------
expect_exit 0 -- "${RUN[@]}" "$SH" --input "$GOOD"
expect_stdout_line 1 "read data/notes/hello.txt: Hello from the data directory."
expect_stdout_line 2 "read data/notes/2024/deep.txt: Nested two levels down, still granted."
expect_stdout_line 3 "fetch $URL: served over HTTP"
expect_stderr_empty
# Refused: cat and curl say so in their own words, and the secret never shows.
expect_exit 1 -- "${RUN[@]}" "$SH" --input "$BAD"
expect_stdout_line 1 "read data/keys/api.secret: refused: cat: data/keys/api.secret: Permission denied"
expect_stdout_line 2 "read /etc/shadow: refused: cat: /etc/shadow: Permission denied"
expect_stdout_line 3 "fetch http://example.com/: refused: curl: (6) Could not resolve host: example.com"
expect_stdout_not_contains "hunter2"
expect_stderr_contains "warden: run: WD-S011: the program exited with status 1"
expect_exit 1 -- "${RUN[@]}" "$SH" --input "$BAD" --json
expect_json_stdout
expect_json_eq 'd["ok"], d["code"], d["status"]' "(False, 'WD-S011', 1)"
expect_json_eq 'd["message"]' "the program exited with status 1"
expect_json_eq '"cat: /etc/shadow: Permission denied" in d["output"]' true
expect_json_eq 'd["denied"] >= 3' true
SH_BAD_CORR=$(wd_json_eval 'd["correlation_id"]')
expect_exit 0 -- "${RUN[@]}" "$SH" --input "$GOOD" --json
expect_json_eq 'd["ok"], d["code"], d["status"]' "(True, '', 0)"
expect_json_eq 'd["output"].splitlines()[2]' "fetch $URL: served over HTTP"

# ---- the Python script ---------------------------------------------------------------------------
# results FIELD: "op target FIELD" a line, from the script's JSON output.
results() {
    python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(r["op"], r["target"], r.get(sys.argv[2], ""))' "$WD_OUT" "$1"
}
expect_exit 0 -- "${RUN[@]}" "$PY" --input "$GOOD"
expect_json_stdout
expect_eq "$(results ok | tr '\n' '|')" "read data/notes/hello.txt True|read data/notes/2024/deep.txt True|fetch $URL True|" "pyfetch: both reads and the fetch succeed"
expect_json_eq 'repr(d["results"][2]["content"])' "'served over HTTP\\n'"
expect_exit 1 -- "${RUN[@]}" "$PY" --input "$BAD"
expect_eq "$(results error | tr '\n' '|')" "read data/keys/api.secret PermissionError: [Errno 13] Permission denied: 'data/keys/api.secret'|read /etc/shadow PermissionError: [Errno 13] Permission denied: '/etc/shadow'|fetch http://example.com/ URLError: <urlopen error [Errno -3] Temporary failure in name resolution>|" "pyfetch: the secret, /etc/shadow and example.com refused, in Python's own words"
expect_stdout_not_contains "hunter2"
expect_stderr_contains "WD-S011: the program exited with status 1"
expect_exit 1 -- "${RUN[@]}" "$PY" --input "$BAD" --json
expect_json_eq 'd["code"], d["status"], d["denied"] >= 3' "('WD-S011', 1, True)"
PY_BAD_CORR=$(wd_json_eval 'd["correlation_id"]')
expect_exit 0 -- "${RUN[@]}" "$PY" --input "$GOOD" --json
expect_json_eq 'd["ok"], json.loads(d["output"])["results"][0]["content"]' "(True, 'Hello from the data directory.\n')"
PY_GOOD_CORR=$(wd_json_eval 'd["correlation_id"]')

# ---- what the audit log says -----------------------------------------------------------------------
expect_exit 0 -- "$WARDEN" audit verify --log "$LOG" --mac-key "$KEYS/mac.key" --pubkey "$KEYS/signing.pub"
expect_exit 0 -- "$WARDEN" audit show --log "$LOG" --json
# One line a record: correlation component type op decision target | reason (or the call's counts).
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    d = r.get("details", {})
    if r["type"] == "BROKER_DECISION":
        print(r["correlation_id"], r["component"], "BROKER_DECISION", d["op"], d["decision"], d["target"], "|", d.get("reason", ""))
    elif r["type"] == "PLUGIN_CALL":
        print(r["correlation_id"], r["component"], "PLUGIN_CALL", d["result"], d.get("code", ""), "runtime_reads=%d" % d.get("runtime_reads", -1))
' "$WD_OUT" >"$WD_TMP/records"
# has PATTERN DESC: some record line matches the extended regular expression.
has() {
    grep -qE -- "$1" "$WD_TMP/records"
    wd_check $? "audit: $2" "no record matches $1"
}
D=$(printf '%s' "$WD_TMP/ex" | sed 's/[.[\*^$()+?{|]/\\&/g')
has "^$SH_BAD_CORR examples\.shtool BROKER_DECISION open deny $D/shtool/data/keys/api\.secret \| .*\[deny fs://data/\*\*/\*\.secret \(read\)\]" \
    "shtool's read of the secret denied by the deny glob, under the call's correlation id"
has "^$SH_BAD_CORR examples\.shtool BROKER_DECISION open deny /etc/shadow \| no rule matched" "shtool's read of /etc/shadow denied"
has "^$SH_BAD_CORR examples\.shtool BROKER_DECISION resolve deny example\.com " "shtool's lookup of example.com denied"
has "^[-0-9a-f]{36} examples\.shtool BROKER_DECISION open allow $D/shtool/data/notes/hello\.txt \| .*\[allow fs://data/\*\* \(read\)\]" "shtool's granted read allowed by its rule"
# curl answers localhost itself (127.0.0.1), so its connect is decided by the address rule.
has "^[-0-9a-f]{36} examples\.shtool BROKER_DECISION connect allow 127\.0\.0\.1:$PORT " "shtool's connect to the local server allowed"
has "^$PY_BAD_CORR examples\.pyfetch BROKER_DECISION open deny $D/pyfetch/data/keys/api\.secret \| .*deny fs://data/\*\*/\*\.secret" "pyfetch's read of the secret denied"
has "^$PY_BAD_CORR examples\.pyfetch BROKER_DECISION open deny /etc/shadow " "pyfetch's read of /etc/shadow denied"
has "^$PY_BAD_CORR examples\.pyfetch BROKER_DECISION resolve deny example\.com " "pyfetch's lookup of example.com denied"
# Python asks the resolver, so the name goes through the stub and the connect carries it.
has "^$PY_GOOD_CORR examples\.pyfetch BROKER_DECISION resolve allow localhost \| .*\[allow host localhost ports \[$PORT\]\]" "pyfetch's lookup of localhost allowed by the name rule"
has "^$PY_GOOD_CORR examples\.pyfetch BROKER_DECISION connect allow localhost:$PORT \(127\.0\.0\.1\) " "pyfetch's connect to localhost:$PORT allowed, with the address it stood for"
has "^$PY_GOOD_CORR examples\.pyfetch BROKER_DECISION open allow $D/pyfetch/data/notes/hello\.txt " "pyfetch's granted read allowed"
has "^$SH_BAD_CORR examples\.shtool PLUGIN_CALL failed WD-S011 runtime_reads=[1-9]" "shtool's failed call, its runtime reads counted"
has "^$PY_GOOD_CORR examples\.pyfetch PLUGIN_CALL ok  runtime_reads=[1-9]" "pyfetch's call, its runtime reads counted"
# No allowed open of the secret or of anything under /etc/shadow, ever.
! grep -qE "BROKER_DECISION open allow ($D/[a-z]+/data/keys/api\.secret|/etc/shadow) " "$WD_TMP/records"
wd_check $? "audit: no allowed open of a denied file"
# Reads beneath the runtime roots are counted, never one record each.
! grep -qE "BROKER_DECISION open allow /usr/lib/python3\.11/" "$WD_TMP/records"
wd_check $? "audit: the interpreter's own reads are counted, not recorded one by one"

# ---- json-lines: one warm process serves every call --------------------------------------------------
expect_exit 0 -- "$WARDEN" run "$JL" --input '{"text": "one two three"}' --calls 3 --json
expect_stdout_lines 3
jl=$(python3 -c '
import json, sys
rows = [json.loads(json.loads(l)["output"]) for l in open(sys.argv[1])]
print(len({r["pid"] for r in rows}), [r["call"] for r in rows], [r["words"] for r in rows])' "$WD_OUT")
expect_eq "$jl" "1 [1, 2, 3] [3, 3, 3]" "jsonl: one process answered the three calls, counting them"
expect_exit 0 -- "$WARDEN" run "$JL" --input '{"text": "a b"}'
expect_stdout_line 1 '{"words": 2, "call": 1, "pid": '"$(sed -n 's/.*"pid": \([0-9]*\)}.*/\1/p' "$WD_OUT")"'}'
# An input the line protocol cannot carry is refused before the program sees it.
expect_exit 1 -- "$WARDEN" run "$JL" --input '{"text":
"two lines"}' --json
expect_json_eq 'd["code"], d["output"]' "('WD-S012', '')"
expect_json_eq '"one line" in d["message"]' true

# ---- programs that fail ----------------------------------------------------------------------------------
# program NAME PROTOCOL INTERPRETER BODY [LIMITS]: a contract in $WD_TMP/p/NAME running the
# shell script BODY (with INTERPRETER, or none when it is "-"), /usr/bin readable.
program() {
    local dir="$WD_TMP/p/$1" interp=""
    mkdir -p "$dir"
    printf '#!/bin/sh\n%s\n' "$4" >"$dir/prog.sh"
    chmod 755 "$dir/prog.sh"
    [ "$3" != - ] && interp="interpreter: $3"
    cat >"$dir/contract.yaml" <<EOF
name: tests.$1
type: compute
version: 1.0.0
runtime: process
program: prog.sh
sha256: $(sha256sum "$dir/prog.sh" | cut -d' ' -f1)
$interp
protocol: $2
runtime_roots: [/usr/bin]
security: {level: OFFICIAL}
policy: policy.yaml
EOF
    cat >"$dir/policy.yaml" <<EOF
version: "1.0"
permissions:
  resources:
    limits: {${5:-timeout: "10s"}}
EOF
}

program exit3 stdio /bin/sh 'echo "partial answer"; echo "went wrong" >&2; exit 3'
expect_exit 1 -- "$WARDEN" run "$WD_TMP/p/exit3/contract.yaml" --json
expect_json_eq 'd["ok"], d["code"], d["status"], d["message"]' "(False, 'WD-S011', 3, 'the program exited with status 3')"
expect_json_eq 'repr(d["output"])' "'partial answer\\n'"
expect_exit 1 -- "$WARDEN" run "$WD_TMP/p/exit3/contract.yaml"
expect_stderr_contains "WD-S011: the program exited with status 3"

MARK=$((40000 + $$ % 20000))
program sleeper stdio /bin/sh "sleep $MARK" 'timeout: "1s"'
expect_exit 1 -- "$WARDEN" run "$WD_TMP/p/sleeper/contract.yaml" --json
expect_json_eq 'd["code"]' WD-S003
gone=1
for _ in $(seq 50); do
    pgrep -f "sleep $MARK" >/dev/null || { gone=0; break; }
    sleep 0.1
done
wd_check $gone "timeout: the program and the sleep it started are killed" "$(pgrep -af "sleep $MARK")"

# Nothing the program starts outlives its call: not a new session, not a double fork (the
# program is the first process of a PID namespace of its own; when it ends, so does the rest).
LING=$((MARK + 1))
program linger stdio /bin/sh "setsid sleep $LING >/dev/null 2>&1 & (sleep $LING &); echo started"
expect_exit 0 -- "$WARDEN" run "$WD_TMP/p/linger/contract.yaml"
expect_stdout_line 1 "started"
gone=1
for _ in $(seq 30); do
    pgrep -f "sleep $LING" >/dev/null || { gone=0; break; }
    sleep 0.1
done
wd_check $gone "a new session and a double fork end with the call" "$(pgrep -af "sleep $LING")"

# The program is not its namespace's first process (runner code is), so a signal's default
# action applies to it as anywhere: SIGTERM ends it, and the call says so.
program selfterm stdio /bin/sh 'echo before; kill -TERM $$; echo after'
expect_exit 1 -- "$WARDEN" run "$WD_TMP/p/selfterm/contract.yaml" --json
expect_json_eq 'd["code"]' WD-S002
expect_json_eq '"signal 15" in d["message"]' true
expect_json_eq 'd["output"]' before

program flood stdio /bin/sh 'yes warden | head -c 200000' 'timeout: "10s", output_bytes: "16Ki"'
expect_exit 1 -- "$WARDEN" run "$WD_TMP/p/flood/contract.yaml" --json
expect_json_eq 'd["code"]' WD-S007
expect_json_eq 'len(d["output"]) <= 16384' true

program quitter json-lines /bin/sh 'n=0
while IFS= read -r line; do
    n=$((n + 1))
    [ "$n" -ge 2 ] && exit 5
    printf "{\"n\": %d}\n" "$n"
done'
expect_exit 1 -- "$WARDEN" run "$WD_TMP/p/quitter/contract.yaml" --input '{}' --calls 2 --json
expect_stdout_line_matches 1 '"ok":true.*"output":"\{\\"n\\": 1\}"'
expect_stdout_line_matches 2 '"code":"WD-S008".*exited with status 5 mid-call'

# Two lines for one request (in one write, so they arrive together): refused, never taken for
# the next call's answer: the protocol is one line each way (WD-S006). (A line written late, as
# the next call runs, cannot be told from its answer: the protocol carries no ids.)
program chatty json-lines /bin/sh 'while IFS= read -r line; do printf "{\"a\": 1}\n{\"stray\": 1}\n"; done'
expect_exit 1 -- "$WARDEN" run "$WD_TMP/p/chatty/contract.yaml" --input '{}' --calls 3 --json
expect_stdout_contains '"code":"WD-S006"'
expect_stdout_not_contains 'stray'

# Changed after its contract was written: refused before anything runs.
cp -r "$WD_TMP/ex/shtool" "$WD_TMP/tampered"
echo 'cat /etc/shadow' >>"$WD_TMP/tampered/tool.sh"
expect_exit 1 -- "$WARDEN" run "$WD_TMP/tampered/contract.yaml" --input "$GOOD"
expect_stderr_contains "WD-L009"
expect_stdout_empty

# A #! script is run by the interpreter its contract names, never by its own first line.
program nointerp stdio - 'echo should not run'
expect_exit 1 -- "$WARDEN" run "$WD_TMP/p/nointerp/contract.yaml"
expect_stderr_contains "WD-L026"
expect_stderr_contains "the program is a script (#!): name its interpreter"
expect_stdout_not_contains "should not run"

expect_exit 0 -- "$WARDEN" audit verify --log "$LOG" --mac-key "$KEYS/mac.key" --pubkey "$KEYS/signing.pub"

# ---- wardend: the same plugins over HTTP and as MCP tools -------------------------------------------------
OUT="$WD_TMP/wardend"
SOCK="$WD_TMP/wardend.sock"
mkdir -p "$OUT" "$WD_TMP/policies"
audit_keygen "$WD_TMP/tkeys"
cat >"$WD_TMP/warden.yaml" <<EOF
version: 1
listen:
  unix: $SOCK
tenants:
  - name: demo
    contracts: [$WD_TMP/ex]
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
    invoke examples.shtool "$GOOD"
    expect_json_eq 'd["ok"], d["code"]' "(True, '')"
    expect_json_eq 'd["output"].splitlines()' "['read data/notes/hello.txt: Hello from the data directory.', 'read data/notes/2024/deep.txt: Nested two levels down, still granted.', 'fetch $URL: served over HTTP']"
    invoke examples.shtool "$BAD"
    expect_json_eq 'd["ok"], d["code"], d["status"]' "(False, 'WD-S011', 1)"
    expect_json_eq '"read /etc/shadow: refused: cat: /etc/shadow: Permission denied" in d["output"]' true
    expect_json_eq '"hunter2" in d["output"]' false
    invoke examples.pyfetch "$BAD"
    expect_json_eq 'd["code"], json.loads(d["output"])["results"][0]["error"]' "('WD-S011', \"PermissionError: [Errno 13] Permission denied: 'data/keys/api.secret'\")"
    kill -TERM "$WPID"
    wait "$WPID" 2>/dev/null
    WPID=""
else
    wd_fail "wardend did not start" "$(cat "$OUT/wardend.log")"
fi
{
    printf '{"send": {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "plugin_examples_shtool", "arguments": %s}}, "modern": true}\n' "$GOOD"
    printf '{"send": {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "plugin_examples_shtool", "arguments": %s}}, "modern": true}\n' "$BAD"
} >"$WD_TMP/steps.jsonl"
expect_exit 0 -- python3 "$WD_LIB_DIR/mcp_client.py" --timeout 60 -- "$WARDEND" --mcp --config "$WD_TMP/warden.yaml" <"$WD_TMP/steps.jsonl"
mcp=$(python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for l in lines[:2]:
    r = json.loads(l)["result"]
    text = "".join(c["text"] for c in r["content"])
    print(r.get("isError", False), "|", text.replace("\n", "\\n"))' "$WD_OUT")
expect_eq "$(sed -n 1p <<<"$mcp")" "False | read data/notes/hello.txt: Hello from the data directory.\\nread data/notes/2024/deep.txt: Nested two levels down, still granted.\\nfetch $URL: served over HTTP\\n" "mcp: the shell tool's answer"
case "$(sed -n 2p <<<"$mcp")" in
"True | "*"cat: data/keys/api.secret: Permission denied"*"Could not resolve host: example.com"*) wd_pass "mcp: the refusals, as an error result" ;;
*) wd_fail "mcp: the refusals, as an error result" "got: $(sed -n 2p <<<"$mcp")" ;;
esac
expect_exit 0 -- "$WARDEN" audit verify --log "$WD_TMP/tlog" --mac-key "$WD_TMP/tkeys/mac.key" --pubkey "$WD_TMP/tkeys/signing.pub"
expect_exit 0 -- "$WARDEN" audit show --log "$WD_TMP/tlog" --json --type BROKER_DECISION
expect_stdout_matches '"component":"examples.shtool".*"op":"open","target":"/etc/shadow","decision":"deny"'
expect_stdout_matches '"component":"examples.pyfetch".*"op":"open","target":"[^"]*/pyfetch/data/keys/api.secret","decision":"deny"'

finish
