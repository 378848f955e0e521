#!/usr/bin/env bash
# wardend_http.sh: wardend over HTTP (issue 7), end to end with curl against the real daemon: a
# Unix socket (peers by uid) and a loopback TCP listener (bearer token), two tenants. Covers the
# small endpoints, decisions one by one and in batches, policy reads and changes, grants, plugin
# calls, the audit log, overrides with a real TOTP code, every error class, tenant isolation,
# hostile clients (oversized, malformed, path traversal, slowloris, a connection flood) while a
# good client keeps being answered, reloads (SIGHUP and the API, broken and good, a rotated
# token), a clean stop (SIGTERM: the log closes intact), start-up refusals, lockdown under a
# signed baseline, and failing closed when the audit log stops accepting records.
#
# Needs curl and python3 (oathtool for the override part; root, setpriv and chattr for the
# other tenant's own client and the broken audit log). The plugin calls need the sandbox; where
# it cannot run (no Landlock, as sandbox_run.sh decides, or `warden run` failing), those
# assertions and only those are skipped with a note: everything else always runs.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"

# shellcheck source=lib/wardend.sh
source "$WD_LIB_DIR/wardend.sh"

# ---- the layout ------------------------------------------------------------------------------
ST="$WD_TMP/state" # everything wardend owns
OUT="$WD_TMP/out"  # everything the test writes (never watched, never compared)
mkdir -p "$ST/run" "$ST/demo" "$ST/other/contracts" "$OUT"
chmod 755 "$ST" "$ST/run"
SOCK="$ST/run/wardend.sock"
CFG="$ST/warden.yaml"
DEMO_POL="$ST/demo/policies"
DEMO_LOG="$ST/demo/audit"
DEMO_KEYS="$ST/demo/keys"
DEMO_OV="$ST/demo/overrides"
OTHER_LOG="$ST/other/audit"
OTHER_KEYS="$ST/other/keys"
audit_keygen "$DEMO_KEYS"
audit_keygen "$OTHER_KEYS"
# The other tenant's contracts: its own copy of wordcount under a name only it has.
cp -r "$EX/wordcount" "$ST/other/contracts/wordcount"
sed -i 's/^name: examples.wordcount$/name: other.private/' "$ST/other/contracts/wordcount/contract.yaml"
# A contract directory to add on reload.
mkdir -p "$ST/extra"
cp -r "$EX/wordcount" "$ST/extra/wordcount"
sed -i 's/^name: examples.wordcount$/name: extra.counter/' "$ST/extra/wordcount/contract.yaml"
# The TCP client's token: 48 random bytes, hex, 0600.
TOKEN_FILE="$ST/demo/token"
python3 -c 'import os; print(os.urandom(48).hex())' >"$TOKEN_FILE"
chmod 600 "$TOKEN_FILE"
TOKEN=$(cat "$TOKEN_FILE")
ME=$(id -u)
OTHER_UID=65534
[ "$ME" = 65534 ] && OTHER_UID=65533
SOCK_GROUP=$(getent group 65534 | cut -d: -f1)
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)

# write_config FILE [EXTRA_CONTRACTS] [BASELINE]: the configuration, written atomically.
write_config() {
    local file=$1 extra=${2:-} baseline=${3:-} group=""
    [ -n "$SOCK_GROUP" ] && [ "$ME" = 0 ] && group="  group: $SOCK_GROUP"
    cat >"$file.tmp" <<EOF
version: 1
listen:
  unix: $SOCK
  mode: "0660"
$group
  tcp: 127.0.0.1:$PORT
limits:
  max_body: 64KiB
  timeout: 2s
  max_connections: 64
  max_batch: 1000
tenants:
  - name: demo
    contracts: [$EX$extra]
    policies: demo/policies
    audit: {log: demo/audit, keys: demo/keys, durability: batch, decisions: all}
    overrides: demo/overrides
$baseline
    clients:
      - {uid: $ME, role: admin}
      - {token_file: demo/token, role: reader}
  - name: other
    contracts: [other/contracts]
    policies: other/policies
    audit: {log: other/audit, keys: other/keys}
    clients:
      - {uid: $OTHER_UID, role: reader}
EOF
    mv "$file.tmp" "$file"
}
write_config "$CFG"

# ---- helpers ---------------------------------------------------------------------------------
# api [-t TOKEN | -n] [-p] METHOD PATH [CURL ARGS...]: one request; the body goes to stdout (for
# expect_stdout_* and expect_json_eq), the status to $HTTP. -t: over TCP with the token; -n: over
# TCP without one; -p: the path as it is (no ../ squashing by curl).
HTTP=""
WD_HDR="$WD_TMP/.headers" # the last answer's head (curl -D)
TOKEN_SEEN="$OUT/token-responses" # every answer the token client got, for the isolation check
: >"$TOKEN_SEEN"
api() {
    local via=(--unix-socket "$SOCK") base="http://wardend" tcp=0 opts=()
    while :; do
        case "$1" in
        -t)
            via=(-H "Authorization: Bearer $2")
            base="http://127.0.0.1:$PORT"
            tcp=1
            shift 2
            ;;
        -n)
            via=()
            base="http://127.0.0.1:$PORT"
            shift
            ;;
        -p)
            opts+=(--path-as-is)
            shift
            ;;
        *) break ;;
        esac
    done
    local method=$1 path=$2
    shift 2
    WD_LAST_CMD="curl -X $method ${path:0:120}$([ "$tcp" = 1 ] && echo ' (tcp, token)')"
    HTTP=$(curl -sS -m 20 -D "$WD_HDR" -o "$WD_OUT" -w '%{http_code}' -X "$method" "${opts[@]}" \
        "${via[@]}" "$@" "$base$path" 2>"$WD_ERR")
    WD_LAST_RC=$?
    [ "$tcp" = 1 ] && { cat "$WD_OUT" >>"$TOKEN_SEEN"; echo >>"$TOKEN_SEEN"; }
    return 0
}
# json_post [api options] PATH JSON
post() {
    local o=()
    while [ "${1:0:1}" = - ]; do
        o+=("$1")
        [ "$1" = -t ] && { o+=("$2"); shift; }
        shift
    done
    api "${o[@]}" POST "$1" -H 'Content-Type: application/json' --data-binary "$2"
}
expect_status() {
    [ "$HTTP" = "$1" ]
    wd_check $? "$WD_LAST_CMD: HTTP $1" "got HTTP $HTTP"
}
# expect_error STATUS CODE: the status and {"error": {"code": CODE, ...}}
expect_error() {
    expect_status "$1"
    expect_json_eq 'd["error"]["code"]' "$2"
}
# header NAME: the last answer's value of header NAME (case-insensitive), "" when absent.
header() {
    grep -i "^$1:" "$WD_HDR" | head -1 | sed -e "s/^[^:]*: *//" -e 's/\r$//'
}
# expect_header NAME VALUE: exactly one NAME header, with exactly VALUE ("" : none at all).
expect_header() {
    local got HEADER_COUNT
    got=$(header "$1")
    HEADER_COUNT=$(grep -ci "^$1:" "$WD_HDR")
    if [ -z "$2" ]; then
        [ "$HEADER_COUNT" = 0 ]
        wd_check $? "$WD_LAST_CMD: no $1 header" "got $1: $got"
    else
        [ "$HEADER_COUNT" = 1 ] && [ "$got" = "$2" ]
        wd_check $? "$WD_LAST_CMD: $1: $2" "got $HEADER_COUNT $1 header(s): $got"
    fi
}
# expect_401 MESSAGE CHALLENGE: 401 WD-D005 saying MESSAGE, with WWW-Authenticate CHALLENGE.
BEARER='Bearer realm="warden"'
INVALID_TOKEN='Bearer realm="warden", error="invalid_token"'
expect_401() {
    expect_error 401 WD-D005
    expect_json_eq 'd["error"]["message"]' "$1"
    expect_header WWW-Authenticate "$2"
}
json() { wd_json_eval "$1"; }
check_json() { # COMPONENT VERB TARGET
    printf '{"component":"%s","verb":"%s","target":"%s"}' "$1" "$2" "$3"
}
health_generation() {
    curl -s -m 5 --unix-socket "$SOCK" http://wardend/health |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])' 2>/dev/null
}
# audit_count_api TYPE: how many records of TYPE the demo log holds (through the API)
audit_count_api() {
    curl -s -m 10 --unix-socket "$SOCK" "http://wardend/v1/audit?type=$1&limit=10000" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])' 2>/dev/null
}
# stop_wardend: SIGTERM, then waits (10 s at most); sets STOP_RC and STOP_SECONDS.
stop_wardend() {
    local t0
    t0=$(date +%s%N)
    kill -TERM "$WPID" 2>/dev/null
    for _ in $(seq 200); do
        kill -0 "$WPID" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$WPID" 2>/dev/null; then
        kill -KILL "$WPID"
    fi
    wait "$WPID"
    STOP_RC=$?
    STOP_SECONDS=$((($(date +%s%N) - t0) / 1000000000))
    WPID=""
}
alive() { [ -n "$WPID" ] && kill -0 "$WPID" 2>/dev/null; }

DATA="$EX/reader/data"
HELLO="$DATA/hello.txt"

# ---- can the sandbox run here? (only the plugin calls depend on it) --------------------------
ABI=$("$WARDEN" sandbox probe --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["landlock"]["abi"])' 2>/dev/null)
SANDBOX=1
if [ "${ABI:-0}" = 0 ] || ! "$WARDEN" run "$EX/wordcount/contract.yaml" --input '{"text": "probe"}' >/dev/null 2>&1; then
    echo "note: the sandbox cannot run here (Landlock ABI ${ABI:-?}): skipping the plugin calls"
    SANDBOX=0
fi

# ---- start-up refusals and --check-config -----------------------------------------------------
expect_exit 0 -- "$WARDEND" --config "$CFG" --check-config
expect_stdout_contains "valid (2 tenants)"
BAD="$ST/bad.yaml"
{ head -n 6 "$CFG"; echo "  max_bodyy: 1KiB"; tail -n +7 "$CFG"; } >"$BAD"
BAD_LINE=$(grep -n 'max_bodyy' "$BAD" | cut -d: -f1)
expect_exit 1 -- "$WARDEND" --config "$BAD" --check-config
expect_stderr_matches "bad.yaml:$BAD_LINE:3: error WD-C005"
expect_exit 1 -- "$WARDEND" --config "$BAD"
expect_stderr_matches "bad.yaml:$BAD_LINE:3: error WD-C005"
expect_stderr_contains "refusing to start"
[ ! -e "$SOCK" ]
wd_check $? "a refused start leaves no socket"
# A token file others may read: refused.
chmod 644 "$TOKEN_FILE"
expect_exit 1 -- "$WARDEND" --config "$CFG" --check-config
expect_stderr_contains "WD-C025"
chmod 600 "$TOKEN_FILE"
expect_exit 2 -- "$WARDEND"
expect_exit 2 -- "$WARDEND" --config "$CFG" --bogus

# ---- enrol an approver before the start --------------------------------------------------------
HAVE_OATH=1
command -v oathtool >/dev/null || HAVE_OATH=0
SECRET=""
if [ "$HAVE_OATH" = 1 ]; then
    expect_exit 0 -- "$WARDEN" override enroll --dir "$DEMO_OV" --label alice --no-qr
    SECRET=$(grep -o 'secret=[A-Z2-7]*' "$WD_OUT" | head -1 | cut -d= -f2)
fi

# ---- start -----------------------------------------------------------------------------------
start_wardend "$CFG"
wd_check $? "wardend starts and answers /health" "$(tail -5 "$OUT/wardend.log")"
if ! alive; then
    echo "wardend did not start: $(cat "$OUT/wardend.log")"
    finish
fi
[ -S "$SOCK" ] && [ "$(stat -c %a "$SOCK")" = 660 ]
wd_check $? "the socket exists with mode 0660"

# ---- the small endpoints -----------------------------------------------------------------------
api GET /health
expect_status 200
expect_json_eq 'd["status"]' ok
expect_json_eq 'd["generation"]' 1
api GET /ready
expect_status 200
expect_json_eq 'd["status"]' ready
api GET /metrics
expect_status 200
expect_stdout_contains 'warden_decisions_total{tenant="demo"'
expect_stdout_contains 'warden_build_info'
api -t "$TOKEN" GET /metrics
expect_error 403 WD-D006
api -n GET /health
expect_status 200

# ---- components --------------------------------------------------------------------------------
api GET /v1/components
expect_status 200
expect_json_eq 'd["tenant"]' demo
expect_json_eq '[c["id"] for c in d["components"]]' "['examples.fetch', 'examples.reader', 'examples.wordcount']"
expect_json_eq '[c["policy_source"] for c in d["components"] if c["id"] == "examples.reader"]' "['base']"
api -t "$TOKEN" GET /v1/components
expect_status 200
expect_json_eq 'd["tenant"]' demo
expect_stdout_not_contains "other.private"

# ---- one decision ----------------------------------------------------------------------------
post /v1/check "$(check_json examples.reader read "$HELLO")"
expect_status 200
expect_json_eq 'd["decision"]' allow
expect_json_eq 'd["reason"]' rule
expect_json_eq '"is the most specific match" in d["explanation"]' true
expect_json_eq 'd["rule"]["text"]' "allow fs://data/** (read)"
expect_json_eq '"operation" in d' false
post /v1/check "$(check_json examples.reader read "$DATA/api.secret")"
expect_status 200
expect_json_eq 'd["decision"]' deny
expect_json_eq 'd["reason"]' rule
expect_json_eq 'd["rule"]["text"]' "deny fs://data/**/*.secret (read)"
expect_json_eq 'len(d["operation"]) == 32 and all(c in "0123456789abcdef" for c in d["operation"])' true
post /v1/check "$(check_json examples.reader read /etc/passwd)"
expect_status 200
expect_json_eq 'd["decision"]' deny
expect_json_eq 'd["reason"]' no_rule
expect_json_eq 'd["explanation"]' "no rule matched (default deny)"
# A tool call (verb call): the reader's policy has no tools list, so the list it is checked
# against is empty; a target that is not a tool name is a malformed request, never a decision.
post /v1/check "$(check_json examples.reader call read_text_file)"
expect_status 200
expect_json_eq 'd["decision"], d["reason"]' "('deny', 'no_rule')"
post /v1/check "$(check_json examples.reader call 'read_*')"
expect_status 200
expect_json_eq 'd["decision"], d["reason"]' "('deny', 'invalid')"
expect_json_eq '"call needs a tool name" in json.dumps(d)' true
api GET /metrics
expect_stdout_matches '^warden_decisions_total\{tenant="demo",kind="tool",result="deny"\} [1-9]'
# The same decision over TCP for the token client.
post -t "$TOKEN" /v1/check "$(check_json examples.reader read "$HELLO")"
expect_status 200
expect_json_eq 'd["decision"]' allow
# Shape errors.
post /v1/check '{"component":"examples.reader","verb":"read"}'
expect_error 400 WD-D002
post /v1/check '{"component":"examples.reader","verb":"read","target":"/x","extra":1}'
expect_error 400 WD-D002
post /v1/check '{"component":"examples.reader","verb":"read","target":7}'
expect_error 400 WD-D002

# ---- batches -----------------------------------------------------------------------------------
DEC0=$(audit_count_api DECISION)
BATCH=$(printf '{"component":"examples.reader","queries":[{"verb":"read","target":"%s"},{"verb":"read","target":"/etc/passwd"},{"verb":"read","target":"%s"},{"verb":"write","target":"/srv/elsewhere/x"}]}' "$HELLO" "$DATA/api.secret")
post /v1/check/batch "$BATCH"
expect_status 200
expect_json_eq '[r["decision"] for r in d["results"]]' "['allow', 'deny', 'deny', 'deny']"
expect_json_eq '[r["reason"] for r in d["results"]]' "['rule', 'no_rule', 'rule', 'no_rule']"
expect_json_eq '(d["allowed"], d["denied"])' "(1, 3)"
DEC1=$(audit_count_api DECISION)
expect_eq "$DEC1" "$((DEC0 + 4))" "a batch of four writes four DECISION records"
# One malformed query refuses the whole batch, and nothing of it is recorded.
for bad in '{"verb":"read"}' '{"verb":"read","target":"/x","more":1}' '5' '{"verb":"read","target":""}' '{"verb":7,"target":"/x"}'; do
    post /v1/check/batch "{\"component\":\"examples.reader\",\"queries\":[{\"verb\":\"read\",\"target\":\"$HELLO\"},{\"verb\":\"read\",\"target\":\"/etc/passwd\"},$bad]}"
    expect_error 400 WD-D002
done
post /v1/check/batch '{"component":"examples.reader","queries":{"verb":"read"}}'
expect_error 400 WD-D002
post /v1/check/batch "{\"component\":\"examples.reader\",\"queries\":[{\"verb\":\"read\",\"target\":\"$HELLO\",\"target\":\"/etc/passwd\"}]}"
expect_error 400 WD-D001
post /v1/check/batch "{\"component\":\"examples.reader\",\"queries\":[{\"verb\":\"read\",\"target\":\"$HELLO\"},{\"verb\":\"read\",\"target\":\"a\\u0000b\"}]}"
expect_error 400 WD-D001
expect_eq "$(audit_count_api DECISION)" "$DEC1" "refused batches record nothing"
# More than max_batch (1000): 413.
BIG=$(python3 -c 'import json; print(json.dumps({"component":"examples.reader","queries":[{"verb":"read","target":"/a"}]*1001}))')
post /v1/check/batch "$BIG"
expect_error 413 WD-D007
expect_eq "$(audit_count_api DECISION)" "$DEC1" "an oversized batch records nothing"
post /v1/check/batch '{"component":"examples.reader","queries":[]}'
expect_status 200
expect_json_eq '(d["results"], d["allowed"], d["denied"])' "([], 0, 0)"
post /v1/check/batch '{"component":"no.such","queries":[{"verb":"read","target":"/a"}]}'
expect_error 404 WD-D009

# ---- policies ----------------------------------------------------------------------------------
api GET /v1/components/examples.reader/policy
expect_status 200
expect_json_eq 'd["component"]' examples.reader
expect_json_eq 'd["source"]' base
expect_json_eq "'fs://$DATA/**' in d[\"policy\"]" true
# A first policy of our own for wordcount.
cat >"$OUT/p1.yaml" <<EOF
version: "1.0"
permissions:
  storage:
    allow:
      - {uri: "fs:///srv/app/**", access: [read]}
EOF
api PUT /v1/components/examples.wordcount/policy -H 'Content-Type: application/yaml' --data-binary @"$OUT/p1.yaml"
expect_status 200
expect_json_eq 'd["source"]' component
expect_json_eq 'd["warnings"]' "[]"
post /v1/check "$(check_json examples.wordcount read /srv/app/x)"
expect_json_eq 'd["decision"]' allow
api GET /v1/components/examples.wordcount/policy
cp "$WD_OUT" "$OUT/wc-policy-before.json"
# Invalid YAML: 400 with file:line:col, and the old policy stays in force.
printf 'version: "1.0"\npermissions:\n  storage:\n    allow: [{uri: "fs:///srv/**", access: [read]\n' >"$OUT/broken.yaml"
api PUT /v1/components/examples.wordcount/policy --data-binary @"$OUT/broken.yaml"
expect_error 400 WD-P005
expect_json_eq 'd["error"]["message"].startswith("examples.wordcount:")' true
expect_stdout_matches '"examples\.wordcount:[0-9]+:[0-9]+: error WD-P005: invalid YAML'
expect_json_eq 'len(d["diagnostics"]) >= 1' true
# A semantically invalid policy (unknown access): 400 too.
printf 'version: "1.0"\npermissions:\n  storage:\n    allow:\n      - {uri: "fs:///srv/**", access: [fly]}\n' >"$OUT/invalid.yaml"
api PUT /v1/components/examples.wordcount/policy --data-binary @"$OUT/invalid.yaml"
expect_status 400
expect_stdout_matches 'examples\.wordcount:5:[0-9]+: error WD-P'
post /v1/check "$(check_json examples.wordcount read /srv/app/x)"
expect_json_eq 'd["decision"]' allow
post /v1/check "$(check_json examples.wordcount read /srv/other)"
expect_json_eq 'd["decision"]' deny
api GET /v1/components/examples.wordcount/policy
cmp -s "$WD_OUT" "$OUT/wc-policy-before.json"
wd_check $? "a refused PUT leaves the policy as it was"
# Granting write on the audit directory: accepted with a WD-W002 warning, never honoured.
cat >"$OUT/p2.yaml" <<EOF
version: "1.0"
permissions:
  storage:
    allow:
      - {uri: "fs://$DEMO_LOG/**", access: [read, write]}
      - {uri: "fs:///srv/app/**", access: [read]}
EOF
api PUT /v1/components/examples.wordcount/policy --data-binary @"$OUT/p2.yaml"
expect_status 200
expect_json_eq 'len(d["warnings"])' 1
expect_json_eq '"warning WD-W002" in d["warnings"][0]' true
expect_json_eq "'$DEMO_LOG' in d[\"warnings\"][0]" true
post /v1/check "$(check_json examples.wordcount write "$DEMO_LOG/audit-00000001.jsonl")"
expect_json_eq 'd["decision"]' deny
expect_json_eq 'd["reason"]' protected
post /v1/check "$(check_json examples.wordcount write "$DEMO_KEYS/mac.key")"
expect_json_eq 'd["decision"]' deny
post /v1/check "$(check_json examples.wordcount write "$CFG")"
expect_json_eq 'd["decision"]' deny
# Unknown components.
api GET /v1/components/no.such/policy
expect_error 404 WD-D009
api PUT /v1/components/no.such/policy --data-binary @"$OUT/p1.yaml"
expect_error 404 WD-D009
[ ! -e "$DEMO_POL/components/no.such.yaml" ]
wd_check $? "no policy file for an unknown component"

# ---- grants ------------------------------------------------------------------------------------
post /v1/check "$(check_json examples.reader read /data/one)"
expect_json_eq 'd["decision"]' deny
post /v1/components/examples.reader/grants '{"kind":"storage","uri":"fs:///data/one","access":["read"]}'
expect_status 200
expect_json_eq 'd["source"]' component
expect_json_eq '"fs:///data/one" in d["policy"]' true
post /v1/check "$(check_json examples.reader read /data/one)"
expect_json_eq 'd["decision"]' allow
expect_json_eq 'd["rule"]["text"]' "allow fs:///data/one (read)"
# The contract's own rules carried over into the component policy.
post /v1/check "$(check_json examples.reader read "$HELLO")"
expect_json_eq 'd["decision"]' allow
post /v1/components/examples.reader/grants '{"kind":"network","host":"api.example.com"}'
expect_status 200
post /v1/check "$(check_json examples.reader connect api.example.com:443)"
expect_json_eq 'd["decision"]' allow
api DELETE /v1/components/examples.reader/grants -H 'Content-Type: application/json' --data-binary '{"kind":"storage","uri":"fs:///data/one"}'
expect_status 200
post /v1/check "$(check_json examples.reader read /data/one)"
expect_json_eq 'd["decision"]' deny
api DELETE /v1/components/examples.reader/grants --data-binary '{"kind":"storage","uri":"fs:///data/one"}'
expect_error 404 WD-D009
api DELETE /v1/components/examples.reader/grants --data-binary '{"kind":"network","host":"never.example.com"}'
expect_status 404
api DELETE /v1/components/examples.reader/grants --data-binary '{"kind":"network","host":"api.example.com"}'
expect_status 200
post /v1/check "$(check_json examples.reader connect api.example.com:443)"
expect_json_eq 'd["decision"]' deny
# A tool grant needs a policy that lists tools: the first entry would deny every other tool.
post /v1/components/examples.reader/grants '{"kind":"tool","name":"read_text_file"}'
expect_status 404
post /v1/components/examples.reader/grants '{"kind":"tool","key":"read_text_file"}'
expect_error 400 WD-D002
post /v1/check "$(check_json examples.reader call read_text_file)"
expect_json_eq 'd["decision"]' deny
post /v1/components/examples.reader/grants '{"kind":"storage","uri":"fs:///data/two","access":["fly"]}'
expect_error 400 WD-D002
post /v1/components/examples.reader/grants '{"kind":"storage","uri":"fs:///data/two"}'
expect_error 400 WD-D002
post /v1/components/examples.reader/grants '{"kind":"magic","uri":"fs:///data/two"}'
expect_error 400 WD-D002
post /v1/components/no.such/grants '{"kind":"storage","uri":"fs:///data/two","access":["read"]}'
expect_error 404 WD-D009
post -t "$TOKEN" /v1/components/examples.reader/grants '{"kind":"storage","uri":"fs:///data/two","access":["read"]}'
expect_error 403 WD-D006
post /v1/check "$(check_json examples.reader read /data/two)"
expect_json_eq 'd["decision"]' deny

# ---- plugin calls ------------------------------------------------------------------------------
if [ "$SANDBOX" = 1 ]; then
    post /v1/plugins/examples.wordcount/invoke '{"text": "the quick brown fox"}'
    expect_status 200
    expect_json_eq 'd["ok"]' true
    expect_json_eq 'd["code"]' ""
    expect_json_eq 'd["output"]' '{"words": 4, "lines": 0, "bytes": 19}'
    expect_json_eq 'len(d["correlation_id"])' 36
    post /v1/plugins/examples.reader/invoke '{"path": "/etc/passwd"}'
    expect_status 200
    expect_json_eq 'd["ok"]' false
    expect_json_eq 'd["code"]' WD-S011
    expect_json_eq 'd["denied"]' 1
    expect_json_eq '"root:" in d.get("output", "")' false
    post /v1/plugins/examples.reader/invoke "{\"path\": \"$HELLO\"}"
    expect_json_eq 'd["ok"]' true
    expect_json_eq 'd["output"].splitlines()[0]' "Hello from the data directory."
    # The audit keys are never readable by a plugin, whatever its policy.
    post /v1/plugins/examples.reader/invoke "{\"path\": \"$DEMO_KEYS/mac.key\"}"
    expect_json_eq 'd["ok"]' false
fi
post /v1/plugins/no.such/invoke '{}'
expect_error 404 WD-D009
post -t "$TOKEN" /v1/plugins/examples.wordcount/invoke '{"text": "x"}'
expect_error 403 WD-D006

# ---- the audit log -----------------------------------------------------------------------------
api GET "/v1/audit?type=DECISION&limit=2"
expect_status 200
expect_json_eq 'd["tenant"]' demo
expect_json_eq 'd["count"]' 2
expect_json_eq '[r["type"] for r in d["records"]]' "['DECISION', 'DECISION']"
expect_json_eq 'd["records"][0]["seq"] < d["records"][1]["seq"]' true
api GET "/v1/audit?type=POLICY_GRANT"
expect_json_eq 'd["count"] >= 2' true
api GET "/v1/audit?component=examples.reader&severity=MEDIUM&limit=5"
expect_status 200
expect_json_eq 'all(r["component"] == "examples.reader" and r["severity"] != "LOW" for r in d["records"])' true
api GET "/v1/audit?limit=abc"
expect_error 400 WD-D002
api GET "/v1/audit?limit=10001"
expect_error 400 WD-D002
api GET "/v1/audit?limit=-1"
expect_error 400 WD-D002
api GET "/v1/audit?bogus=1"
expect_error 400 WD-D002
api GET "/v1/audit?severity=LOUD"
expect_error 400 WD-D002
# More than 31 query arguments: refused with the request head, before any handler (WD-D014).
api GET "/v1/audit?$(seq -s '&' -f 'type=%g' 40)"
expect_error 400 WD-D014
api GET /v1/audit/verify
expect_status 200
expect_json_eq 'd["ok"]' true
expect_json_eq 'd["problem"]' intact
api -t "$TOKEN" GET /v1/audit/verify
expect_error 403 WD-D006

# ---- overrides ---------------------------------------------------------------------------------
if [ "$HAVE_OATH" = 1 ] && [ -n "$SECRET" ]; then
    TARGET=/srv/secret/app.env
    post /v1/check "$(check_json examples.reader read "$TARGET")"
    expect_json_eq 'd["decision"]' deny
    OP=$(json 'd["operation"]')
    CODE=$(oathtool --totp -b "$SECRET")
    post /v1/overrides "{\"operation\":\"$OP\",\"code\":\"$CODE\",\"approver\":\"alice\",\"justification\":\"INC-9: integration test\",\"ttl\":\"5m\"}"
    expect_status 201
    expect_json_eq '(d["approved"], d["operation"], d["approver"], d["ttl_s"])' "(True, '$OP', 'alice', 300)"
    post /v1/check "$(check_json examples.reader read "$TARGET")"
    expect_json_eq '(d["decision"], d["reason"])' "('allow', 'override')"
    expect_json_eq 'd["operation"]' "$OP"
    post /v1/check "$(check_json examples.reader read "$TARGET")"
    expect_json_eq '(d["decision"], d["reason"])' "('deny', 'no_rule')"
    # The same code again: refused.
    post /v1/overrides "{\"operation\":\"$OP\",\"code\":\"$CODE\",\"approver\":\"alice\",\"justification\":\"again\"}"
    expect_error 403 WD-O002
    # A wrong code (one no window around now accepts): refused, or throttled after the replay.
    CODES=" $(oathtool --totp -b "$SECRET" -w 2 --now "$(date -u -d '-60 sec' '+%Y-%m-%d %H:%M:%S')" | tr '\n' ' ')"
    WRONG=000000
    for w in 000000 111111 222222 333333 444444; do
        case "$CODES" in *" $w "*) ;; *) WRONG=$w && break ;; esac
    done
    post /v1/overrides "{\"operation\":\"$OP\",\"code\":\"$WRONG\",\"approver\":\"alice\",\"justification\":\"guess\"}"
    case "$HTTP:$(json 'd["error"]["code"]')" in
    403:WD-O001 | 429:WD-O005) wd_pass "a wrong code: 403 WD-O001 or 429 WD-O005 ($HTTP)" ;;
    *) wd_fail "a wrong code: 403 WD-O001 or 429 WD-O005" "got HTTP $HTTP: $(head -c 300 "$WD_OUT")" ;;
    esac
    post /v1/check "$(check_json examples.reader read "$TARGET")"
    expect_json_eq 'd["decision"]' deny
    post /v1/overrides "{\"operation\":\"$OP\",\"code\":\"$CODE\",\"approver\":\"mallory\",\"justification\":\"x\"}"
    expect_error 404 WD-O006
    post /v1/overrides "{\"operation\":\"$OP\",\"code\":\"$CODE\",\"approver\":\"alice\"}"
    expect_error 400 WD-D002
    post -t "$TOKEN" /v1/overrides "{\"operation\":\"$OP\",\"code\":\"$CODE\",\"approver\":\"alice\",\"justification\":\"x\"}"
    expect_error 403 WD-D006
    ! grep -rqF "\"$CODE\"" "$DEMO_LOG"
    wd_check $? "the accepted code is nowhere in the audit log"
else
    echo "note: oathtool is not installed: skipping the override part"
fi

# ---- errors and authentication -----------------------------------------------------------------
api GET /nope
expect_error 404 WD-D003
api GET /v1/nope
expect_error 404 WD-D003
api GET /v1/components/examples.reader/nope
expect_error 404 WD-D003
# A 405 names what the route table accepts on the path (Allow), for each kind of route: open,
# fixed, with a component id, with one method or two.
for case in "DELETE /health|GET" "POST /ready|GET" "PUT /metrics|GET" "POST /v1/components|GET" \
    "GET /v1/check|POST" "GET /v1/check/batch|POST" \
    "PATCH /v1/components/examples.reader/policy|GET, PUT" \
    "POST /v1/components/examples.reader/policy|GET, PUT" \
    "GET /v1/components/examples.reader/grants|POST, DELETE" \
    "GET /v1/plugins/examples.wordcount/invoke|POST" "POST /v1/plugins/examples.wordcount/tools|GET" \
    "DELETE /v1/audit|GET" "POST /v1/audit/verify|GET" "GET /v1/overrides|POST" "GET /v1/reload|POST"; do
    req=${case%%|*}
    api "${req%% *}" "${req#* }"
    expect_error 405 WD-D004
    expect_header Allow "${case#*|}"
    expect_header WWW-Authenticate ""
done
# The same over TCP, with no token at all: the method is refused before anyone is asked who.
api -n PATCH /v1/components/examples.reader/policy
expect_error 405 WD-D004
expect_header Allow "GET, PUT"
# Nothing else carries Allow.
api GET /nope
expect_error 404 WD-D003
expect_header Allow ""
api GET /health
expect_status 200
expect_header Allow ""
expect_header WWW-Authenticate ""
# TCP without a token, with a wrong one, with another scheme: each 401 says which identity it
# refused, with a Bearer challenge (RFC 6750: invalid_token only when a token was refused).
api -n GET /v1/components
expect_401 "unauthenticated: no bearer token was given (Authorization: Bearer)" "$BEARER"
api -n POST /v1/check -H 'Authorization: Bearer wrong-token' --data-binary "$(check_json examples.reader read /etc/passwd)"
expect_401 "unauthenticated: the bearer token is not known" "$INVALID_TOKEN"
expect_stdout_not_contains "wrong-token"
api -n GET /v1/components -H "Authorization: Bearer ${TOKEN}x"
expect_401 "unauthenticated: the bearer token is not known" "$INVALID_TOKEN"
expect_stdout_not_contains "${TOKEN:0:16}"
api -n GET /v1/components -H "Authorization: Bearer ${TOKEN:0:40}"
expect_401 "unauthenticated: the bearer token is not known" "$INVALID_TOKEN"
api -n GET /v1/components -H "Authorization: Basic $TOKEN"
expect_401 "unauthenticated: the Authorization header holds no bearer token" "$BEARER"
api -n GET /metrics
expect_401 "unauthenticated: no bearer token was given (Authorization: Bearer)" "$BEARER"
# A body from a peer that is no client is refused by the front, before its body is read: the
# same 401, message and challenge.
api -n POST /v1/check --data-binary "$(check_json examples.reader read /etc/passwd)"
expect_401 "unauthenticated: no bearer token was given (Authorization: Bearer)" "$BEARER"
api -n POST /v1/reload -H "Authorization: Bearer nope" --data-binary '{}'
expect_401 "unauthenticated: the bearer token is not known" "$INVALID_TOKEN"
expect_stdout_not_contains "nope"
api -n PUT /v1/components/examples.reader/policy -H "Authorization: Digest x" --data-binary 'a: 1'
expect_401 "unauthenticated: the Authorization header holds no bearer token" "$BEARER"
# On the Unix socket, the identity is the peer's uid: a uid that is no client is told which
# (needs root and setpriv; the socket's group lets it connect).
STRANGER_UID=65531
if [ "$ME" = 0 ] && [ -n "$SOCK_GROUP" ] && command -v setpriv >/dev/null; then
    chmod 711 "$WD_TMP"
    # -i: the head comes before the body on stdout (a file the test opened): this uid cannot
    # open one of its own there.
    AS_STRANGER=(setpriv --reuid="$STRANGER_UID" --regid=65534 --clear-groups curl -sS -i -m 10 --unix-socket "$SOCK")
    for body in "" "$(check_json examples.reader read /etc/passwd)"; do
        if [ -z "$body" ]; then
            expect_exit 0 -- "${AS_STRANGER[@]}" http://wardend/v1/components
        else # refused by the front, before its body is read
            expect_exit 0 -- "${AS_STRANGER[@]}" --data-binary "$body" http://wardend/v1/check
        fi
        cp "$WD_OUT" "$OUT/answer"
        awk -v hdr="$WD_HDR" -v body="$WD_OUT" 'h { print > body; next } /^\r?$/ { h = 1; next }
            { print > hdr }' "$OUT/answer"
        HTTP=$(head -1 "$WD_HDR" | cut -d' ' -f2)
        expect_401 "unauthenticated: uid $STRANGER_UID is not a client of any tenant" "$BEARER"
        expect_stdout_not_contains "$OTHER_UID"
        expect_stdout_not_contains "other"
    done
    chmod 700 "$WD_TMP"
else
    echo "note: not root or no setpriv: skipping the Unix peer that is no client"
fi
# A reader may not change anything.
api -t "$TOKEN" PUT /v1/components/examples.wordcount/policy --data-binary @"$OUT/p1.yaml"
expect_error 403 WD-D006
api -t "$TOKEN" DELETE /v1/components/examples.reader/grants --data-binary '{"kind":"storage","uri":"fs:///x"}'
expect_error 403 WD-D006
api -t "$TOKEN" POST /v1/reload
expect_error 403 WD-D006
api -t "$TOKEN" GET /v1/audit
expect_error 403 WD-D006

# ---- tenant isolation ------------------------------------------------------------------------
# The token client (tenant demo) never reaches tenant other: its components are unknown here.
post -t "$TOKEN" /v1/check "$(check_json other.private read /srv/app/x)"
expect_error 404 WD-D009
api -t "$TOKEN" GET /v1/components/other.private/policy
expect_error 404 WD-D009
post -t "$TOKEN" /v1/check/batch '{"component":"other.private","queries":[{"verb":"read","target":"/a"}]}'
expect_error 404 WD-D009
api -t "$TOKEN" GET /v1/components
expect_json_eq 'd["tenant"]' demo
# Nor does demo's admin.
api GET /v1/components/other.private/policy
expect_error 404 WD-D009
api PUT /v1/components/other.private/policy --data-binary @"$OUT/p1.yaml"
expect_error 404 WD-D009
[ ! -e "$ST/other/policies/components/other.private.yaml" ] && [ ! -e "$DEMO_POL/components/other.private.yaml" ]
wd_check $? "no policy file written for the other tenant's component"
# The other tenant's files are warden's own files to demo too: no grant of demo's reaches them
# (a plugin of demo's reading the other's MAC key would forge its log).
post /v1/components/examples.reader/grants "{\"kind\":\"storage\",\"uri\":\"fs://$ST/other/**\",\"access\":[\"read\",\"write\"]}"
expect_status 200
for f in "$OTHER_KEYS/signing.key" "$ST/other/policies/x.yaml" "$ST/other/audit/x"; do
    post /v1/check "$(check_json examples.reader write "$f")"
    expect_json_eq 'd["reason"]' protected
done
if [ "$SANDBOX" = 1 ]; then
    post /v1/plugins/examples.reader/invoke "{\"path\":\"$OTHER_KEYS/mac.key\"}"
    expect_json_eq 'd["ok"]' false
    expect_stdout_contains "protected path"
fi
api DELETE /v1/components/examples.reader/grants -H 'Content-Type: application/json' \
    --data-binary "{\"kind\":\"storage\",\"uri\":\"fs://$ST/other/**\"}"
expect_status 200
# Every answer the token client got: a "tenant" is always demo, and the other tenant's component
# shows up only where the client named it itself and was told there is no such component.
python3 - "$TOKEN_SEEN" >"$OUT/leaks" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    try:
        d = json.loads(line)
    except ValueError:
        print("not JSON: " + line[:200])
        continue
    if d.get("tenant", "demo") != "demo" or '"other"' in line:
        print("names another tenant: " + line[:200])
    if "other.private" in line and d.get("error", {}).get("code") != "WD-D009":
        print("shows the other tenant's component: " + line[:200])
EOF
WD_LAST_CMD=""
[ ! -s "$OUT/leaks" ] && [ "$(grep -c . "$TOKEN_SEEN")" -gt 10 ]
wd_check $? "the token client's answers only ever name its own tenant" "$(head -3 "$OUT/leaks")"
# The other tenant's own client, as uid OTHER_UID on the socket (needs root and setpriv).
if [ "$ME" = 0 ] && [ -n "$SOCK_GROUP" ] && command -v setpriv >/dev/null; then
    chmod 711 "$WD_TMP"
    AS_OTHER=(setpriv --reuid="$OTHER_UID" --regid=65534 --clear-groups curl -sS -m 10 --unix-socket "$SOCK")
    expect_exit 0 -- "${AS_OTHER[@]}" http://wardend/v1/components
    expect_json_eq 'd["tenant"]' other
    expect_json_eq '[c["id"] for c in d["components"]]' "['other.private']"
    expect_exit 0 -- "${AS_OTHER[@]}" -d "$(check_json examples.reader read "$HELLO")" http://wardend/v1/check
    expect_json_eq 'd["error"]["code"]' WD-D009
    expect_exit 0 -- "${AS_OTHER[@]}" -d "$(check_json other.private read /srv/x)" http://wardend/v1/check
    expect_json_eq 'd["decision"]' deny
    expect_exit 0 -- "${AS_OTHER[@]}" -X PUT --data-binary @"$OUT/p1.yaml" http://wardend/v1/components/other.private/policy
    expect_json_eq 'd["error"]["code"]' WD-D006
    expect_exit 0 -- "${AS_OTHER[@]}" http://wardend/v1/audit
    expect_json_eq 'd["error"]["code"]' WD-D006
    chmod 700 "$WD_TMP"
    # Each tenant's log holds only its own.
    expect_exit 0 -- "$WARDEN" audit show --log "$OTHER_LOG" --json
    expect_stdout_not_contains "examples."
    expect_stdout_contains '"component":"other.private"'
else
    echo "note: not root or no setpriv: skipping the other tenant's own client"
fi
expect_exit 0 -- "$WARDEN" audit show --log "$DEMO_LOG" --json
expect_stdout_not_contains "other.private"

# ---- hostile clients, while good clients keep being answered ----------------------------------
# Two good clients: one on the socket, one over TCP, asking every 50 ms.
good_client() { # NAME CURL ARGS...
    local name=$1
    shift
    while [ ! -e "$OUT/stop-$name" ]; do
        curl -s -m 5 -o /dev/null -w '%{http_code}\n' "$@" >>"$OUT/good-$name.log" 2>/dev/null
        sleep 0.05
    done
}
GOOD_Q=$(check_json examples.reader read "$HELLO")
good_client unix --unix-socket "$SOCK" -H 'Content-Type: application/json' --data-binary "$GOOD_Q" http://wardend/v1/check &
GOOD_UNIX=$!
good_client tcp -H "Authorization: Bearer $TOKEN" --data-binary "$GOOD_Q" "http://127.0.0.1:$PORT/v1/check" &
GOOD_TCP=$!
BGPIDS+=("$GOOD_UNIX" "$GOOD_TCP")

# Slow clients, in the background for the whole section: headers one byte a second, and a body
# one byte a second. With limits.timeout 2s each must be cut off within a few seconds.
cat >"$OUT/slow.py" <<'EOF'
import socket, sys, time
mode, path, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX)
s.connect(path)
if mode == "headers":
    head, drip = b"", b"GET /health HTTP/1.1\r\nHost: wardend\r\nX-Slow: " + b"a" * 500
else:
    head = (b"POST /v1/check HTTP/1.1\r\nHost: wardend\r\nContent-Type: application/json\r\n"
            b"Content-Length: 400\r\n\r\n")
    drip = b" " * 400
t0 = time.monotonic()
def done(how):
    print("%s %.1f" % (how, time.monotonic() - t0))
    sys.exit(0)
try:
    if head:
        s.sendall(head)
    for b in drip:
        s.sendall(bytes([b]))
        s.settimeout(1.0)
        try:
            if s.recv(4096) == b"":
                done("closed")
        except socket.timeout:
            pass
        if time.monotonic() - t0 > limit:
            done("open")
except (BrokenPipeError, ConnectionResetError):
    done("closed")
done("open")
EOF
python3 "$OUT/slow.py" headers "$SOCK" 10 >"$OUT/slow-headers.out" 2>&1 &
SLOW1=$!
python3 "$OUT/slow.py" body "$SOCK" 10 >"$OUT/slow-body.out" 2>&1 &
SLOW2=$!
BGPIDS+=("$SLOW1" "$SLOW2")

# Snapshot of the state directory (everything but the audit logs, which grow), to prove that no
# hostile request touched a file.
snapshot() {
    find "$ST" \( -path "$DEMO_LOG" -o -path "$OTHER_LOG" -o -name writer.state -o -path "$ST/run" \) -prune -o -printf '%p %s %T@ %m\n' | sort
}
snapshot >"$OUT/snap-before"

# Bodies larger than max_body (64 KiB): refused on the announced length, unread. The client
# asks before sending (Expect: 100-continue), as a client that wants the answer to a refused
# upload must: one that pushes the whole body meets a closed connection mid-send (EPIPE) and
# may never read the 413 that is waiting for it.
python3 -c 'import json; print(json.dumps({"component": "examples.reader", "verb": "read", "target": "/" + "a" * 70000}))' >"$OUT/big.json"
api POST /v1/check -H 'Expect: 100-continue' --data-binary @"$OUT/big.json"
expect_error 413 WD-D007
api -t "$TOKEN" POST /v1/check -H 'Expect: 100-continue' --data-binary @"$OUT/big.json"
expect_error 413 WD-D007
head -c 8000000 /dev/zero >"$OUT/zeros"
api PUT /v1/components/examples.wordcount/policy -H 'Expect: 100-continue' --data-binary @"$OUT/zeros"
expect_error 413 WD-D007
# Transfer-Encoding is refused outright (only Content-Length frames a body): 400 WD-D014.
api POST /v1/check/batch -H 'Transfer-Encoding: chunked' --data-binary @"$OUT/zeros"
expect_error 400 WD-D014
# Exactly max_body is accepted (and then judged on its content).
python3 -c 'import sys; b = "{\"component\":\"examples.reader\",\"verb\":\"read\",\"target\":\"/x\"}"; sys.stdout.write(b + " " * (65536 - len(b)))' >"$OUT/exact.json"
api POST /v1/check --data-binary @"$OUT/exact.json"
expect_status 200
# A body announced as far larger than max_body is refused up front, not read to the end.
cat >"$OUT/announce.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"POST /v1/check HTTP/1.1\r\nHost: wardend\r\nContent-Length: 1099511627776\r\n"
          b"Expect: 100-continue\r\n\r\n")
s.settimeout(3)
got = b""
try:
    while b"\r\n" not in got:
        d = s.recv(4096)
        if not d:
            break
        got += d
except socket.timeout:
    pass
print(got.split(b"\r\n")[0].decode(errors="replace") or "(nothing)")
EOF
run python3 "$OUT/announce.py" "$SOCK"
expect_stdout_contains "HTTP/1.1 413"
# Malformed JSON, invalid UTF-8 inside a string, duplicate keys, not an object, NUL, nesting.
post /v1/check '{"component": "examples.reader", "verb": "read", "target": "/x"'
expect_error 400 WD-D001
printf '{"component":"examples.reader","verb":"read","target":"/x\xff\xfe"}' >"$OUT/badutf8.json"
api POST /v1/check --data-binary @"$OUT/badutf8.json"
expect_error 400 WD-D001
printf '{"component":"examples.reader","verb":"read","target":"/\xc0\xaf"}' >"$OUT/overlong.json"
api POST /v1/check --data-binary @"$OUT/overlong.json"
expect_error 400 WD-D001
printf '{"component":"examples.reader","verb":"read","target":"/\xed\xa0\x80"}' >"$OUT/surrogate.json"
api POST /v1/check --data-binary @"$OUT/surrogate.json"
expect_error 400 WD-D001
post /v1/check '{"component":"examples.reader","verb":"read","target":"/a","target":"/b"}'
expect_error 400 WD-D001
post /v1/components/examples.reader/grants '{"kind":"storage","uri":"fs:///data/dup","uri":"fs:///etc","access":["read"]}'
expect_error 400 WD-D001
post /v1/check '["component","examples.reader"]'
expect_error 400 WD-D001
post /v1/check ''
expect_error 400 WD-D001
post /v1/check '{"component":"examples.reader","verb":"read","target":"/x\u0000/y"}'
expect_error 400 WD-D001
python3 -c 'print("[" * 30000 + "]" * 30000)' >"$OUT/deep.json"
api POST /v1/check --data-binary @"$OUT/deep.json"
expect_error 400 WD-D001
post /v1/overrides '{"operation": 1e999999}'
expect_status 400
# Path traversal in ids: never 500, never a file outside the store.
for p in '/v1/components/..%2F..%2Fetc/policy' '/v1/components/../policy' '/v1/components/..%2Fpolicy' \
    '/v1/components/%2e%2e/policy' '/v1/components/./policy' "/v1/components/$(printf 'a%.0s' $(seq 200))/policy" \
    "/v1/components/$(printf 'b%.0s' $(seq 5000))/policy" '/v1/components/a%00b/policy' '/v1/components//policy'; do
    api -p GET "$p"
    expect_status 404
    api -p PUT "$p" --data-binary @"$OUT/p1.yaml"
    expect_status 404
    api -p POST "${p%/policy}/grants" --data-binary '{"kind":"storage","uri":"fs:///","access":["read","write"]}'
    expect_status 404
    inv=${p/\/v1\/components\//\/v1\/plugins\/}
    api -p POST "${inv%/policy}/invoke" --data-binary '{}'
    expect_status 404
done
# An id far beyond the header limit: refused by the HTTP layer, never a 2xx or a 500.
api GET "/v1/components/$(head -c 40000 /dev/zero | tr '\0' c)/policy"
case "$HTTP" in
2* | 5*) wd_fail "an id of 40,000 bytes: not 2xx, not 5xx" "got HTTP $HTTP" ;;
*) wd_pass "an id of 40,000 bytes: refused with $HTTP" ;;
esac
snapshot >"$OUT/snap-after"
WD_LAST_CMD=""
diff "$OUT/snap-before" "$OUT/snap-after" >"$OUT/snap-diff"
wd_check $? "no hostile request touched a file in the state directory" "$(head -5 "$OUT/snap-diff")"
! find "$WD_TMP" \( -name 'policy' -o -name 'policy.yaml' -o -name '*.yaml.tmp' \) -newer "$OUT/snap-before" | grep -q .
wd_check $? "no file named after a traversal was created"
# A normal request is answered while the slow clients are still dripping.
api GET /health
expect_status 200
post /v1/check "$GOOD_Q"
expect_json_eq 'd["decision"]' allow
# The slow clients are cut off within a few seconds of limits.timeout (2 s).
for pid in "$SLOW1" "$SLOW2"; do
    wait "$pid"
done
WD_LAST_CMD=""
for what in headers body; do
    read -r how secs <"$OUT/slow-$what.out"
    [ "$how" = closed ] && python3 -c "import sys; sys.exit(0 if $secs <= 8 else 1)"
    wd_check $? "a slowloris client (the $what a byte a second) is disconnected within 8 s (timeout 2s)" \
        "it was $how after ${secs:-?} s: the connection timeout is only an idle timeout"
done
alive
wd_check $? "wardend is alive after the hostile requests"

# A flood of 300 idle connections (max_connections 64) on the socket: wardend stays up, the TCP
# listener keeps answering, and the socket answers again once they are gone.
touch "$OUT/stop-unix"
wait "$GOOD_UNIX"
cat >"$OUT/flood.py" <<'EOF'
import socket, sys, time
path, n, ready, release = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
import os
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.setblocking(False)
    try:
        s.connect(path)
    except (BlockingIOError, InterruptedError):
        pass
    except OSError:
        s.close()
        continue
    socks.append(s)
open(ready, "w").write("%d\n" % len(socks))
deadline = time.monotonic() + 20
while not os.path.exists(release) and time.monotonic() < deadline:
    time.sleep(0.02)
for s in socks:
    s.close()
EOF
python3 "$OUT/flood.py" "$SOCK" 300 "$OUT/flood-ready" "$OUT/flood-release" &
FLOOD=$!
BGPIDS+=("$FLOOD")
for _ in $(seq 100); do
    [ -s "$OUT/flood-ready" ] && break
    sleep 0.05
done
expect_eq "$(cat "$OUT/flood-ready" 2>/dev/null)" 300 "300 idle connections opened"
T0=$(date +%s%N)
api -t "$TOKEN" GET /v1/components
expect_status 200
expect_eq "$((($(date +%s%N) - T0) / 1000000 < 2000))" 1 "the TCP listener answers at once during the flood"
alive
wd_check $? "wardend is alive during the flood"
touch "$OUT/flood-release"
wait "$FLOOD"
T0=$(date +%s%N)
HTTP=$(curl -s -m 15 -o "$WD_OUT" -w '%{http_code}' --unix-socket "$SOCK" http://wardend/health)
WD_LAST_CMD="curl /health after the flood"
expect_status 200
MS=$((($(date +%s%N) - T0) / 1000000))
expect_eq "$((MS < 5000))" 1 "the socket answers within 5 s once the flood is gone (${MS} ms)"
touch "$OUT/stop-tcp"
wait "$GOOD_TCP"
WD_LAST_CMD=""
for name in unix tcp; do
    n=$(wc -l <"$OUT/good-$name.log")
    bad=$(grep -vc '^200$' "$OUT/good-$name.log")
    [ "$n" -ge 10 ] && [ "$bad" -eq 0 ]
    wd_check $? "the good $name client was answered throughout ($n requests, $bad not 200)" \
        "$(sort "$OUT/good-$name.log" | uniq -c | tr '\n' ' ')"
done

# As many slow, unauthenticated TCP connections as max_connections (64), each dripping a header
# byte a second: they must be cut off (limits.timeout 2s) and must not lock the token client out.
cat >"$OUT/slowtcp.py" <<'EOF'
import socket, sys, time
n, port, limit, ready = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"G")
    socks.append(s)
open(ready, "w").write("%d\n" % len(socks))
msg = b"ET /health HTTP/1.1\r\nHost: wardend\r\nX-Slow: " + b"a" * 1000
t0, i = time.monotonic(), 0
while time.monotonic() - t0 < limit and socks:
    for s in list(socks):
        try:
            s.sendall(msg[i:i + 1])
        except OSError:
            socks.remove(s)
    i += 1
    time.sleep(1)
print("%d of %d still open after %.0f s" % (len(socks), n, time.monotonic() - t0))
EOF
python3 "$OUT/slowtcp.py" 64 "$PORT" 8 "$OUT/slowtcp-ready" >"$OUT/slowtcp.out" 2>&1 &
SLOWTCP=$!
BGPIDS+=("$SLOWTCP")
for _ in $(seq 100); do
    [ -s "$OUT/slowtcp-ready" ] && break
    sleep 0.05
done
sleep 2.5 # past limits.timeout: a deadline would have cut them off by now
: >"$WD_OUT"
T0=$(date +%s%N)
HTTP=$(curl -s -m 4 -o "$WD_OUT" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/v1/components")
MS=$((($(date +%s%N) - T0) / 1000000))
WD_LAST_CMD="curl (tcp, token) /v1/components while 64 slow unauthenticated connections drip"
expect_status 200
api GET /health
expect_status 200
wait "$SLOWTCP"
WD_LAST_CMD=""
grep -q '^0 of 64 still open' "$OUT/slowtcp.out"
wd_check $? "64 slow unauthenticated TCP clients are all disconnected (timeout 2s)" "$(cat "$OUT/slowtcp.out")"
for _ in $(seq 100); do
    [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/v1/components")" = 200 ] && break
    sleep 0.05
done
api -t "$TOKEN" GET /v1/components
expect_status 200

# ---- a second wardend on the same socket refuses ---------------------------------------------
mkdir -p "$ST/second"
audit_keygen "$ST/second/keys"
cat >"$ST/second.yaml" <<EOF
version: 1
listen:
  unix: $SOCK
tenants:
  - name: second
    policies: second/policies
    audit: {log: second/audit, keys: second/keys}
    clients:
      - {uid: $ME, role: admin}
EOF
expect_exit 1 -- "$WARDEND" --config "$ST/second.yaml"
expect_stderr_contains "another wardend is listening"
[ -S "$SOCK" ]
wd_check $? "the refused second wardend left the live socket alone"
expect_exit 1 -- "$WARDEND" --config "$CFG"
api GET /health
expect_status 200

# ---- reload ------------------------------------------------------------------------------------
GEN=$(health_generation)
FAILED0=$(audit_count_api RELOAD_FAILED)
cp "$CFG" "$OUT/cfg-good"
{ cat "$CFG"; echo "bogus: 1"; } >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"
kill -HUP "$WPID"
for _ in $(seq 100); do
    [ "$(audit_count_api RELOAD_FAILED)" -gt "$FAILED0" ] && break
    sleep 0.05
done
expect_eq "$(audit_count_api RELOAD_FAILED)" "$((FAILED0 + 1))" "SIGHUP with a broken config: one RELOAD_FAILED record"
expect_eq "$(health_generation)" "$GEN" "SIGHUP with a broken config: the generation stays"
post /v1/check "$GOOD_Q"
expect_json_eq 'd["decision"]' allow
api POST /v1/reload
expect_error 400 WD-C005
expect_stdout_matches 'warden\.yaml:[0-9]+:1: error WD-C005'
expect_eq "$(health_generation)" "$GEN" "POST /v1/reload with a broken config: the generation stays"
expect_eq "$(audit_count_api RELOAD_FAILED)" "$((FAILED0 + 2))" "POST /v1/reload with a broken config: RELOAD_FAILED"
# A good change: another contract directory, and the token client's token rotated.
write_config "$CFG" ", $ST/extra"
OLD_TOKEN=$TOKEN
python3 -c 'import os; print(os.urandom(48).hex())' >"$TOKEN_FILE.new"
chmod 600 "$TOKEN_FILE.new"
mv "$TOKEN_FILE.new" "$TOKEN_FILE"
TOKEN=$(cat "$TOKEN_FILE")
kill -HUP "$WPID"
for _ in $(seq 100); do
    [ "$(health_generation)" = "$((GEN + 1))" ] && break
    sleep 0.05
done
expect_eq "$(health_generation)" "$((GEN + 1))" "SIGHUP with a good config: generation + 1"
api GET /v1/components
expect_json_eq '"extra.counter" in [c["id"] for c in d["components"]]' true
api -t "$TOKEN" GET /v1/components
expect_status 200
api -t "$OLD_TOKEN" GET /v1/components
expect_401 "unauthenticated: the bearer token is not known" "$INVALID_TOKEN"
post /v1/check "$(check_json examples.reader read "$HELLO")"
expect_json_eq 'd["decision"]' allow
# The component policies written through the API survive the reload.
post /v1/check "$(check_json examples.wordcount read /srv/app/x)"
expect_json_eq 'd["decision"]' allow
write_config "$CFG"
api POST /v1/reload
expect_status 200
expect_json_eq '(d["status"], d["generation"])' "('reloaded', $((GEN + 2)))"
api GET /v1/components
expect_json_eq '"extra.counter" in [c["id"] for c in d["components"]]' false
api GET "/v1/audit?type=CONFIG_RELOADED"
expect_json_eq 'd["count"]' 2

# ---- SIGTERM: a clean stop -------------------------------------------------------------------
alive
wd_check $? "wardend is alive before SIGTERM"
stop_wardend
expect_eq "$STOP_RC" 0 "SIGTERM: wardend exits 0"
expect_eq "$((STOP_SECONDS <= 5))" 1 "SIGTERM: wardend stops within 5 s (took ${STOP_SECONDS} s)"
[ ! -e "$SOCK" ]
wd_check $? "SIGTERM: the socket file is gone"
for t in demo other; do
    expect_exit 0 -- "$WARDEN" audit verify --log "$ST/$t/audit" --mac-key "$ST/$t/keys/mac.key" --pubkey "$ST/$t/keys/signing.pub"
    expect_stdout_contains "intact"
    expect_exit 0 -- "$WARDEN" audit show --log "$ST/$t/audit" --json
    expect_eq "$(tail -n 2 "$WD_OUT" | python3 -c 'import json,sys; print(" ".join(json.loads(l)["type"] for l in sys.stdin))')" \
        "DAEMON_STOPPED CHECKPOINT" "tenant $t: DAEMON_STOPPED is the last record before the final checkpoint"
done
expect_exit 0 -- "$WARDEN" audit show --log "$DEMO_LOG" --json --type DAEMON_STARTED
expect_stdout_lines 1
if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$OUT/wardend.log"; then
    wd_fail "wardend's stderr has a sanitizer report" "$(grep -m3 -E 'ERROR:|runtime error:' "$OUT/wardend.log")"
fi

# ---- lockdown under a signed baseline ----------------------------------------------------------
BL="$ST/baseline"
expect_exit 0 -- "$WARDEN" integrity baseline --manifest "$BL" --keys "$DEMO_KEYS" "$DEMO_POL"
write_config "$CFG" "" "    baseline: {manifest: baseline, pubkey: demo/keys/signing.pub}"
start_wardend "$CFG"
wd_check $? "wardend starts under an intact baseline" "$(tail -5 "$OUT/wardend.log")"
api GET /ready
expect_status 200
post /v1/check "$(check_json examples.wordcount read /srv/app/x)"
expect_json_eq 'd["decision"]' allow
echo "# tampered" >>"$DEMO_POL/components/examples.wordcount.yaml"
T0=$(date +%s%N)
for _ in $(seq 40); do
    post /v1/check "$(check_json examples.wordcount read /srv/app/x)"
    [ "$(json 'd["reason"]')" = lockdown ] && break
    sleep 0.05
done
expect_json_eq '(d["decision"], d["reason"])' "('deny', 'lockdown')"
expect_eq "$((($(date +%s%N) - T0) / 1000000 <= 2000))" 1 "lockdown within 2 s of the change"
expect_json_eq "d[\"explanation\"]" "lockdown: $DEMO_POL/components/examples.wordcount.yaml changed"
post /v1/check/batch "{\"component\":\"examples.reader\",\"queries\":[{\"verb\":\"read\",\"target\":\"$HELLO\"},{\"verb\":\"read\",\"target\":\"/etc/passwd\"}]}"
expect_json_eq '[(r["decision"], r["reason"]) for r in d["results"]]' "[('deny', 'lockdown'), ('deny', 'lockdown')]"
post -t "$TOKEN" /v1/check "$(check_json examples.reader read "$HELLO")"
expect_json_eq '(d["decision"], d["reason"])' "('deny', 'lockdown')"
api GET /ready
expect_error 503 WD-T006
api PUT /v1/components/examples.wordcount/policy --data-binary @"$OUT/p1.yaml"
expect_error 503 WD-T006
post /v1/components/examples.reader/grants '{"kind":"storage","uri":"fs:///data/three","access":["read"]}'
expect_error 503 WD-T006
post /v1/plugins/examples.wordcount/invoke '{"text": "a"}'
expect_error 503 WD-T006
api GET /health
expect_status 200
# A reload under the same baseline does not end it.
api POST /v1/reload
case "$HTTP" in
200) wd_fail "a reload under the same baseline is refused" "got 200" ;;
*) wd_pass "a reload under the same baseline is refused ($HTTP)" ;;
esac
post /v1/check "$(check_json examples.wordcount read /srv/app/x)"
expect_json_eq 'd["reason"]' lockdown
stop_wardend
expect_eq "$STOP_RC" 0 "SIGTERM in lockdown: exit 0"
expect_exit 0 -- "$WARDEN" audit show --log "$DEMO_LOG" --json --type INTEGRITY_LOCKDOWN
expect_stdout_lines 1
expect_stdout_contains '"severity":"CRITICAL"'
expect_exit 0 -- "$WARDEN" audit verify --log "$DEMO_LOG" --mac-key "$DEMO_KEYS/mac.key" --pubkey "$DEMO_KEYS/signing.pub"
# Restarting with the tampered file refuses to start.
expect_exit 1 -- "$WARDEND" --config "$CFG"
expect_stderr_contains "WD-T004"
expect_stderr_contains "refusing to start"
[ ! -e "$SOCK" ]
wd_check $? "the refused start left no socket"

# ---- an audit log that stops accepting records: fail closed ----------------------------------
# (root only: the current segment made immutable, so the next append fails.) Decisions and
# changes are refused, /ready says so, the other tenant is unaffected, and after the log is
# writable again a restart carries on with an intact log.
write_config "$CFG"
start_wardend "$CFG"
wd_check $? "wardend starts again without the baseline" "$(tail -5 "$OUT/wardend.log")"
SEG=$(audit_segments "$DEMO_LOG" | tail -1)
if [ "$ME" = 0 ] && alive && chattr +i "$SEG" 2>/dev/null; then
    cp "$DEMO_POL/components/examples.reader.yaml" "$OUT/reader-before-broken.yaml"
    post /v1/check "$(check_json examples.reader read "$HELLO")"
    expect_error 503 WD-D012
    post /v1/check/batch "{\"component\":\"examples.reader\",\"queries\":[{\"verb\":\"read\",\"target\":\"$HELLO\"}]}"
    expect_error 503 WD-D012
    post /v1/components/examples.reader/grants '{"kind":"storage","uri":"fs:///data/unrecorded","access":["read"]}'
    case "$HTTP" in
    2*) wd_fail "a grant that cannot be audited is refused" "got HTTP $HTTP" ;;
    *) wd_pass "a grant that cannot be audited is refused ($HTTP $(json 'd["error"]["code"]'))" ;;
    esac
    cmp -s "$DEMO_POL/components/examples.reader.yaml" "$OUT/reader-before-broken.yaml"
    wd_check $? "the unaudited grant changed nothing"
    api GET /v1/components/examples.reader/policy
    expect_json_eq '"fs:///data/unrecorded" in d["policy"]' false
    # Every decision of tenant demo is refused: not ready.
    api GET /ready
    expect_status 503
    api GET /health
    expect_status 200
    if [ -n "$SOCK_GROUP" ] && command -v setpriv >/dev/null; then
        chmod 711 "$WD_TMP"
        expect_exit 0 -- setpriv --reuid="$OTHER_UID" --regid=65534 --clear-groups curl -sS -m 10 --unix-socket "$SOCK" \
            -d "$(check_json other.private read /srv/x)" http://wardend/v1/check
        expect_json_eq 'd["decision"]' deny
        chmod 700 "$WD_TMP"
    fi
    chattr -i "$SEG"
    stop_wardend
    start_wardend "$CFG"
    wd_check $? "wardend restarts once the log is writable again" "$(tail -5 "$OUT/wardend.log")"
    post /v1/check "$(check_json examples.reader read "$HELLO")"
    expect_status 200
    expect_json_eq 'd["decision"]' allow
else
    echo "note: not root or no chattr here: skipping the broken audit log part"
fi
# SIGTERM while a client dribbles a request body a byte a second: that request is cut off
# (limits.timeout 2s), so the drain does not wait for it and the stop takes a few seconds.
python3 "$OUT/slow.py" body "$SOCK" 20 >"$OUT/slow-term.out" 2>&1 &
SLOW3=$!
BGPIDS+=("$SLOW3")
sleep 1.5
stop_wardend
expect_eq "$STOP_RC" 0 "the last SIGTERM: exit 0"
expect_eq "$((STOP_SECONDS <= 5))" 1 "SIGTERM with a client dribbling a body: stopped within 5 s (took ${STOP_SECONDS} s of the 10 s drain)"
kill "$SLOW3" 2>/dev/null
expect_exit 0 -- "$WARDEN" audit verify --log "$DEMO_LOG" --mac-key "$DEMO_KEYS/mac.key" --pubkey "$DEMO_KEYS/signing.pub"
expect_stdout_contains "intact"

finish
