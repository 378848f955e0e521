#!/usr/bin/env bash
# wardend_mcp.sh: `wardend --mcp` (docs/mcp.md) driven over stdio by a scripted MCP client
# (lib/mcp_client.py): the initialize handshake and the stateless 2026-07-28 revision, the
# example plugins as tools, a denial explained by warden_check and lifted by warden_grant,
# role gating, malformed and oversized messages answered without ending the session, and the
# tenant's audit log verifying afterwards.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"
trap 'find "$WD_TMP" -name "audit-*.jsonl*" -exec chattr -a {} + >/dev/null 2>&1; rm -rf "$WD_TMP"' EXIT

: "${WD_BINARY_DIR:=$WD_SOURCE_DIR/build}"
WARDEND="$WD_BINARY_DIR/src/daemon/wardend"
EX="$WD_BINARY_DIR/examples/plugins"
if [ ! -x "$WARDEND" ] || [ ! -f "$EX/reader/contract.yaml" ]; then
    echo "error: $WARDEND or the example plugins under $EX are missing (build first)" >&2
    exit 2
fi
# Plugins run only in the sandbox, and wardend asks for Landlock (ABI 1 at least) and seccomp:
# on a kernel without them nothing here could run. That, and only that, is a skip.
if ! "$WARDEN" sandbox probe --json | python3 -c '
import json, sys
p = json.load(sys.stdin)
sys.exit(0 if p["landlock"]["abi"] >= 1 and p["seccomp"]["filter"] else 1)'; then
    echo "note: no Landlock or no seccomp filter on this kernel: the sandbox cannot run: skipping"
    exit 77
fi

KEYS="$WD_TMP/keys"
LOG="$WD_TMP/audit"
FILES="$WD_TMP/files"
audit_keygen "$KEYS"
mkdir -p "$WD_TMP/policies" "$FILES"
echo "some notes" >"$FILES/notes.txt"
# config ROLE: a configuration whose one tenant has this uid as a client with ROLE.
config() {
    cat >"$WD_TMP/warden-$1.yaml" <<EOF
version: 1
listen:
  unix: $WD_TMP/wardend.sock
tenants:
  - name: demo
    contracts: [$EX]
    policies: $WD_TMP/policies
    audit:
      log: $LOG
      keys: $KEYS
    clients:
      - uid: $(id -u)
        role: $1
EOF
}
config admin
config reader
config operator

# ---- the scripted session ------------------------------------------------------------------
# step JSON: appends a step (lib/mcp_client.py) and sets N to its number, the line of its
# response in the client's output.
STEPS="$WD_TMP/steps.jsonl"
N=0
: >"$STEPS"
step() {
    printf '%s\n' "$1" >>"$STEPS"
    N=$((N + 1))
}
# session ROLE [ARGS...]: runs the steps so far against `wardend --mcp` and starts a new script.
session() {
    local role=$1
    shift
    expect_exit 0 -- python3 "$WD_LIB_DIR/mcp_client.py" --timeout 60 -- \
        "$WARDEND" --mcp --config "$WD_TMP/warden-$role.yaml" "$@" <"$STEPS"
    : >"$STEPS"
    N=0
}
# mcp_eq K PYEXPR VALUE: str(PYEXPR) == VALUE, with r the response to step K ("last": the
# client's summary line), text(i) the text of content block i, sc() the structured content
# and names() the tool names of a tools/list result.
mcp_eq() {
    local v
    v=$(python3 -c '
import json, sys
k, expr, path = sys.argv[1:4]
lines = open(path).read().splitlines()
try:
    r = json.loads(lines[-1] if k == "last" else lines[int(k) - 1])
    text = lambda i=0: r["result"]["content"][i]["text"]
    sc = lambda: r["result"]["structuredContent"]
    names = lambda: [t["name"] for t in r["result"]["tools"]]
    v = eval(expr)
    print(json.dumps(v) if isinstance(v, (bool, type(None))) else v)
except Exception as e:
    print("<error: %s: %s>" % (type(e).__name__, e))
' "$1" "$2" "$WD_OUT")
    [ "$v" = "$3" ]
    wd_check $? "mcp step $1: $2 == $3" "$2 is \"${v:0:300}\", expected \"$3\""
}
call() { # call ID TOOL ARGS-JSON: a tools/call request
    printf '{"send": {"jsonrpc": "2.0", "id": %s, "method": "tools/call", "params": {"name": "%s", "arguments": %s}}}' "$1" "$2" "$3"
}
req() { # req ID METHOD [PARAMS-JSON]
    local params='{}'
    [ $# -ge 3 ] && params=$3
    printf '{"send": {"jsonrpc": "2.0", "id": %s, "method": "%s", "params": %s}}' "$1" "$2" "$params"
}

# ---- 1. the handshake era (2025-11-25), as an admin ----------------------------------------
step "$(req 1 tools/list)"
S_EARLY=$N
step "$(req 2 initialize '{"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "wardend_mcp.sh", "version": "1.0.0"}}')"
S_INIT=$N
step '{"send": {"jsonrpc": "2.0", "method": "notifications/initialized"}}'
S_INITIALIZED=$N
step "$(req 3 ping)"
S_PING=$N
step "$(req 4 tools/list)"
S_LIST=$N
step "$(call 5 plugin_examples_wordcount '{"text": "the quick brown fox"}')"
S_WC=$N
step "$(call 6 plugin_examples_wordcount '{"no": "text"}')"
S_WC_FAIL=$N
step "$(call 7 warden_check "{\"component\": \"examples.reader\", \"verb\": \"read\", \"target\": \"$FILES/notes.txt\"}")"
S_DENIED=$N
step "$(call 8 plugin_examples_reader "{\"path\": \"$FILES/notes.txt\"}")"
S_READ_REFUSED=$N
step "$(call 9 warden_policy_get '{"component": "examples.reader"}')"
S_POLICY=$N
step "$(call 10 warden_grant "{\"component\": \"examples.reader\", \"kind\": \"storage\", \"value\": \"fs://$FILES/**\", \"access\": [\"read\"]}")"
S_GRANT=$N
step "$(call 11 warden_check "{\"component\": \"examples.reader\", \"verb\": \"read\", \"target\": \"$FILES/notes.txt\"}")"
S_ALLOWED=$N
step "$(call 12 plugin_examples_reader "{\"path\": \"$FILES/notes.txt\"}")"
S_READ=$N
step "$(call 13 warden_revoke "{\"component\": \"examples.reader\", \"kind\": \"storage\", \"value\": \"fs://$FILES/**\"}")"
S_REVOKE=$N
step "$(call 14 warden_check "{\"component\": \"examples.reader\", \"verb\": \"read\", \"target\": \"$FILES/notes.txt\"}")"
S_DENIED_AGAIN=$N
# Mistakes: each answered, none ends the session.
step '{"raw": "{\"jsonrpc\": \"2.0\", \"id\": 15, \"method\": \"tools/list\""}'
S_MALFORMED=$N
step "$(req 16 ping)"
S_AFTER_MALFORMED=$N
step "$(req 17 no/such/method)"
S_NO_METHOD=$N
step "$(call 18 plugin_no_such_plugin '{}')"
S_NO_TOOL=$N
step "$(call 19 warden_check '{"component": "examples.reader", "verb": "read"}')"
S_BAD_ARGS=$N
step "$(call 20 warden_grant '{"component": "examples.reader", "kind": "storage", "value": "fs:///x"}')"
S_BAD_GRANT=$N
step "$(call 21 warden_check '{"component": "no.such.component", "verb": "read", "target": "/x"}')"
S_NO_COMPONENT=$N
# A target over its bound is the caller's mistake, refused before anything is decided or
# recorded: never an audit failure.
step "$(call 24 warden_check "{\"component\": \"examples.reader\", \"verb\": \"read\", \"target\": \"/$(head -c 70000 /dev/zero | tr '\0' a)\"}")"
S_OVERSIZE=$N
step '{"raw": "[{\"jsonrpc\": \"2.0\", \"id\": 22, \"method\": \"ping\"}]"}'
S_BATCH=$N
step '{"raw_hex": "7b226a736f6e727063223a22322e30222c226964223a32332c226d6574686f64223a2270696e67222c2278223a22ff227d"}'
S_UTF8=$N
step '{"big": 5000000}'
S_BIG=$N
step '{"send": {"jsonrpc": "2.0", "id": null, "method": "ping"}}'
S_NULL_ID=$N
step '{"raw": "\"just a string\""}'
S_SCALAR=$N
step "$(req 24 initialize '{"protocolVersion": "2025-11-25"}')"
S_REINIT=$N
step '{"send": {"jsonrpc": "2.0", "method": "notifications/no_such_thing"}}'
step "$(req 25 ping)"
S_LAST_PING=$N
session admin

mcp_eq "$S_EARLY" 'r["error"]["code"]' -32600
mcp_eq "$S_EARLY" '"not initialized" in r["error"]["message"]' true
mcp_eq "$S_EARLY" 'r["id"]' 1
mcp_eq "$S_INIT" 'r["result"]["protocolVersion"]' 2025-11-25
mcp_eq "$S_INIT" 'r["result"]["serverInfo"]["name"]' wardend
mcp_eq "$S_INIT" '"tools" in r["result"]["capabilities"]' true
mcp_eq "$S_INIT" '"resultType" in r["result"]' false
mcp_eq "$S_INITIALIZED" 'r' null
mcp_eq "$S_PING" 'r["result"]' '{}'
mcp_eq "$S_LIST" 'sorted(n for n in names() if n.startswith("warden_"))' \
    "['warden_check', 'warden_grant', 'warden_policy_get', 'warden_revoke']"
mcp_eq "$S_LIST" '"plugin_examples_wordcount" in names() and "plugin_examples_reader" in names()' true
mcp_eq "$S_LIST" 'all(__import__("re").fullmatch("[A-Za-z0-9_-]{1,64}", n) for n in names())' true
mcp_eq "$S_LIST" '[t for t in r["result"]["tools"] if t["name"] == "plugin_examples_wordcount"][0]["inputSchema"]["required"]' "['text']"
mcp_eq "$S_LIST" '"Counts words" in [t for t in r["result"]["tools"] if t["name"] == "plugin_examples_wordcount"][0]["description"]' true
mcp_eq "$S_LIST" '[t for t in r["result"]["tools"] if t["name"] == "plugin_examples_reader"][0]["title"]' examples.reader
mcp_eq "$S_LIST" '[t for t in r["result"]["tools"] if t["name"] == "warden_grant"][0]["inputSchema"]["required"]' \
    "['component', 'kind', 'value']"
mcp_eq "$S_WC" 'r["result"]["isError"]' false
mcp_eq "$S_WC" 'text()' '{"words": 4, "lines": 0, "bytes": 19}'
mcp_eq "$S_WC" 'len(r["result"]["_meta"]["dev.warden/correlationId"])' 36
mcp_eq "$S_WC_FAIL" 'r["result"]["isError"]' true
mcp_eq "$S_WC_FAIL" 'text(0)' 'WD-S011: execute() returned 2'
mcp_eq "$S_WC_FAIL" 'text(1)' '{"error": "input needs a \"text\" string"}'
# The denial, explained; the plugin refused the same access by the broker, which says why.
mcp_eq "$S_DENIED" 'r["result"]["isError"]' false
mcp_eq "$S_DENIED" 'sc()["decision"]' deny
mcp_eq "$S_DENIED" 'sc()["reason"]' no_rule
mcp_eq "$S_DENIED" 'sc()["explanation"]' 'no rule matched (default deny)'
mcp_eq "$S_DENIED" 'json.loads(text()) == sc()' true
mcp_eq "$S_READ_REFUSED" 'r["result"]["isError"]' true
mcp_eq "$S_READ_REFUSED" 'text(0).startswith("WD-S011: ")' true
mcp_eq "$S_READ_REFUSED" '"refused" in text(1) and "notes.txt" in text(1)' true
mcp_eq "$S_POLICY" 'sc()["source"]' base
mcp_eq "$S_POLICY" '"fs://" in sc()["policy"]' true
# Granted: the change is the component's own policy now, and both the check and the plugin
# see it at once.
mcp_eq "$S_GRANT" 'r["result"]["isError"]' false
mcp_eq "$S_GRANT" 'sc()["source"]' component
mcp_eq "$S_GRANT" "\"fs://$FILES/**\" in sc()[\"policy\"]" true
mcp_eq "$S_GRANT" 'sc()["access"]' "['read']"
mcp_eq "$S_ALLOWED" 'sc()["decision"]' allow
mcp_eq "$S_ALLOWED" 'sc()["reason"]' rule
mcp_eq "$S_ALLOWED" 'sc()["rule"]["text"]' "allow fs://$FILES/** (read)"
mcp_eq "$S_ALLOWED" '"most specific match" in sc()["explanation"]' true
mcp_eq "$S_READ" 'r["result"]["isError"]' false
mcp_eq "$S_READ" 'text() == "some notes\n"' true
mcp_eq "$S_REVOKE" 'r["result"]["isError"]' false
mcp_eq "$S_REVOKE" "\"$FILES\" in sc()[\"policy\"]" false
mcp_eq "$S_DENIED_AGAIN" 'sc()["decision"]' deny
mcp_eq "$S_MALFORMED" 'r["error"]["code"]' -32700
mcp_eq "$S_MALFORMED" 'r["id"]' null
mcp_eq "$S_AFTER_MALFORMED" 'r["result"]' '{}'
mcp_eq "$S_NO_METHOD" 'r["error"]["code"]' -32601
mcp_eq "$S_NO_TOOL" 'r["error"]["code"]' -32602
mcp_eq "$S_NO_TOOL" 'r["error"]["message"]' 'unknown tool: plugin_no_such_plugin'
mcp_eq "$S_BAD_ARGS" 'r["result"]["isError"]' true
mcp_eq "$S_BAD_ARGS" 'text()' 'invalid arguments: "target" must be a non-empty string'
mcp_eq "$S_BAD_GRANT" 'r["result"]["isError"]' true
mcp_eq "$S_BAD_GRANT" '"access" in text()' true
mcp_eq "$S_NO_COMPONENT" 'r["result"]["isError"]' true
mcp_eq "$S_NO_COMPONENT" '"no.such.component" in text()' true
mcp_eq "$S_OVERSIZE" 'r["result"]["isError"]' true
mcp_eq "$S_OVERSIZE" 'text()' 'invalid arguments: "target" is longer than 4096 bytes (WD-D016)'
mcp_eq "$S_BATCH" 'r["error"]["code"]' -32600
mcp_eq "$S_BATCH" '"batch" in r["error"]["message"]' true
mcp_eq "$S_UTF8" 'r["error"]["code"]' -32700
mcp_eq "$S_UTF8" 'r["id"]' null
mcp_eq "$S_BIG" 'r["error"]["code"]' -32600
mcp_eq "$S_BIG" '"longer than 4194304 bytes" in r["error"]["message"]' true
mcp_eq "$S_NULL_ID" 'r["error"]["code"]' -32600
mcp_eq "$S_SCALAR" 'r["error"]["code"]' -32600
mcp_eq "$S_REINIT" 'r["error"]["code"]' -32600
mcp_eq "$S_LAST_PING" 'r["id"]' 25
# EOF on stdin ends the server cleanly, and nothing was said out of turn (a reply to a
# notification would show here).
mcp_eq last 'r["exit"]' 0
mcp_eq last 'r["unexpected"]' '[]'
expect_stderr_contains "wardend: mcp: initialize: client wardend_mcp.sh 1.0.0"

# ---- 2. the stateless revision (2026-07-28): no handshake, the version in every request -----
step '{"send": {"jsonrpc": "2.0", "id": "d", "method": "server/discover", "params": {}}, "modern": true}'
S_DISCOVER=$N
step '{"send": {"jsonrpc": "2.0", "id": "l", "method": "tools/list", "params": {}}, "modern": true}'
S_MLIST=$N
step '{"send": {"jsonrpc": "2.0", "id": "c", "method": "tools/call", "params": {"name": "plugin_examples_wordcount", "arguments": {"text": "a\nb"}}}, "modern": true}'
S_MCALL=$N
step '{"send": {"jsonrpc": "2.0", "id": "v", "method": "tools/list", "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "1900-01-01", "io.modelcontextprotocol/clientCapabilities": {}}}}}'
S_VERSION=$N
step '{"send": {"jsonrpc": "2.0", "id": "n", "method": "tools/list", "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}}}'
S_NO_CAPS=$N
step '{"send": {"jsonrpc": "2.0", "id": "p", "method": "ping", "params": {}}, "modern": true}'
S_MPING=$N
step "$(req 1 tools/list)"
S_STILL_LEGACY=$N
session admin

mcp_eq "$S_DISCOVER" 'r["result"]["supportedVersions"]' "['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26']"
mcp_eq "$S_DISCOVER" 'r["result"]["resultType"]' complete
mcp_eq "$S_DISCOVER" 'r["result"]["capabilities"]' "{'tools': {}}"
mcp_eq "$S_DISCOVER" 'r["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"]' wardend
mcp_eq "$S_MLIST" 'r["result"]["resultType"]' complete
mcp_eq "$S_MLIST" '(r["result"]["ttlMs"], r["result"]["cacheScope"])' "(0, 'private')"
mcp_eq "$S_MLIST" '"plugin_examples_reader" in names()' true
mcp_eq "$S_MCALL" 'r["result"]["resultType"]' complete
mcp_eq "$S_MCALL" 'text()' '{"words": 2, "lines": 1, "bytes": 3}'
mcp_eq "$S_VERSION" 'r["error"]["code"]' -32022
mcp_eq "$S_VERSION" 'r["error"]["data"]["requested"]' 1900-01-01
mcp_eq "$S_VERSION" '"2026-07-28" in r["error"]["data"]["supported"]' true
mcp_eq "$S_NO_CAPS" 'r["error"]["code"]' -32602
mcp_eq "$S_MPING" 'r["error"]["code"]' -32601
mcp_eq "$S_STILL_LEGACY" 'r["error"]["code"]' -32600
mcp_eq last 'r["exit"]' 0
mcp_eq last 'r["unexpected"]' '[]'

# ---- 3. roles: a reader checks and reads policies; an operator also calls plugins ----------
step "$(req 1 initialize '{"protocolVersion": "2099-01-01", "capabilities": {}, "clientInfo": {"name": "reader", "version": "1"}}')"
S_RINIT=$N
step "$(req 2 tools/list)"
S_RLIST=$N
step "$(call 3 warden_grant "{\"component\": \"examples.reader\", \"kind\": \"storage\", \"value\": \"fs://$FILES/**\", \"access\": [\"read\"]}")"
S_RGRANT=$N
step "$(call 4 plugin_examples_wordcount '{"text": "x"}')"
S_RCALL=$N
step "$(call 5 warden_check "{\"component\": \"examples.reader\", \"verb\": \"read\", \"target\": \"$FILES/notes.txt\"}")"
S_RCHECK=$N
session reader
mcp_eq "$S_RINIT" 'r["result"]["protocolVersion"]' 2025-11-25
mcp_eq "$S_RLIST" 'names()' "['warden_check', 'warden_policy_get']"
mcp_eq "$S_RGRANT" 'r["result"]["isError"]' true
mcp_eq "$S_RGRANT" 'text()' 'forbidden: warden_grant needs the admin role (this client is reader)'
mcp_eq "$S_RCALL" 'r["result"]["isError"]' true
mcp_eq "$S_RCALL" '"needs the operator role" in text()' true
mcp_eq "$S_RCHECK" 'sc()["decision"]' deny
mcp_eq last 'r["exit"]' 0

step "$(req 1 initialize '{"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "operator", "version": "1"}}')"
S_OINIT=$N
step "$(req 2 tools/list)"
S_OLIST=$N
step "$(call 3 plugin_examples_wordcount '{"text": "x"}')"
S_OCALL=$N
step "$(call 4 warden_revoke "{\"component\": \"examples.reader\", \"kind\": \"network\", \"value\": \"example.com\"}")"
S_OREVOKE=$N
session operator
mcp_eq "$S_OINIT" 'r["result"]["protocolVersion"]' 2025-06-18
mcp_eq "$S_OLIST" '"warden_grant" in names() or "warden_revoke" in names()' false
mcp_eq "$S_OLIST" '"plugin_examples_wordcount" in names()' true
mcp_eq "$S_OCALL" 'text()' '{"words": 1, "lines": 0, "bytes": 1}'
mcp_eq "$S_OREVOKE" '"needs the admin role" in text()' true
mcp_eq last 'r["exit"]' 0

# ---- 3b. revision 2025-03-26 (hosts on older SDKs): agreed on, tools served, and its JSON-RPC
# batches answered as one array (and only in such a session)
step "$(req 1 initialize '{"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "old-sdk", "version": "1"}}')"
S_3INIT=$N
step '{"send": {"jsonrpc": "2.0", "method": "notifications/initialized"}}'
step "$(req 2 tools/list)"
S_3LIST=$N
step "$(call 3 plugin_examples_wordcount '{"text": "a b"}')"
S_3CALL=$N
step '{"batch": [{"jsonrpc": "2.0", "id": 4, "method": "tools/list"}, {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 3}}, {"jsonrpc": "2.0", "id": "p", "method": "ping"}, 7, {"jsonrpc": "2.0", "id": 5, "method": "initialize", "params": {"protocolVersion": "2025-03-26"}}]}'
S_3BATCH=$N
step '{"raw": "[]"}'
S_3EMPTY=$N
step "$(req 6 initialize '{"protocolVersion": "2025-03-26"}')"
S_3AGAIN=$N
session operator
mcp_eq "$S_3INIT" 'r["result"]["protocolVersion"]' 2025-03-26
mcp_eq "$S_3LIST" '"plugin_examples_wordcount" in names() and "warden_check" in names()' true
mcp_eq "$S_3CALL" 'text()' '{"words": 2, "lines": 0, "bytes": 3}'
# Four replies (none to the notification), in order: the list, the ping, the element that is no
# message, and initialize refused inside a batch.
mcp_eq "$S_3BATCH" '[m.get("id") for m in r]' "[4, 'p', None, 5]"
mcp_eq "$S_3BATCH" '"plugin_examples_wordcount" in [t["name"] for t in r[0]["result"]["tools"]]' true
mcp_eq "$S_3BATCH" 'r[1]["result"]' '{}'
mcp_eq "$S_3BATCH" 'r[2]["error"]["code"]' -32600
mcp_eq "$S_3BATCH" 'r[3]["error"]["code"]' -32600
mcp_eq "$S_3BATCH" '"batch" in r[3]["error"]["message"]' true
mcp_eq "$S_3EMPTY" 'r["error"]["code"]' -32600
mcp_eq "$S_3AGAIN" 'r["error"]["code"]' -32600
mcp_eq last 'r["exit"]' 0
mcp_eq last 'r["unexpected"]' '[]'

# ---- 4. a tenant this uid is no client of is refused before anything is served -------------
expect_exit 1 -- "$WARDEND" --mcp --config "$WD_TMP/warden-admin.yaml" --tenant nosuch </dev/null
expect_stdout_empty

# ---- 5. everything above is in the tenant's log, and the log verifies ---------------------
expect_exit 0 -- "$WARDEN" audit verify --log "$LOG" --mac-key "$KEYS/mac.key" --pubkey "$KEYS/signing.pub"
expect_exit 0 -- "$WARDEN" audit show --log "$LOG" --json --type DECISION
expect_stdout_contains "\"target\":\"$FILES/notes.txt\""
expect_stdout_contains '"decision":"allow"'
expect_exit 0 -- "$WARDEN" audit show --log "$LOG" --json --type PLUGIN_CALL
expect_stdout_contains '"component":"examples.wordcount"'

finish
