#!/usr/bin/env bash
# mcp_hostile.sh: MCP servers that misbehave (tests/integration/mcp_fake_server.py's modes), run
# as process plugins through wardend beside a well-behaved one. Each misbehaviour ends its call
# in its stable code, recorded (PLUGIN_CALL, contained); wardend keeps answering and the other
# components keep working; the next call of the same component gets a fresh server. And the
# warm server itself: state kept between calls, kept after a tool's own error (WD-S011) and an
# input refused before the server saw it (WD-S012), recycled after a protocol violation, a
# hang (WD-S003), an exit (WD-S008), and a change of the component's policy.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"
# shellcheck source=lib/wardend.sh
source "$WD_LIB_DIR/wardend.sh"

# shellcheck source=lib/plugins.sh
source "$WD_LIB_DIR/plugins.sh"
require_confinement

# server ID MODE: a contract in $WD_TMP/c/ID running the fake server in MODE.
server() {
    local dir="$WD_TMP/c/$1"
    mcp_fake_contract "$dir" "tests.$1" "$2"
    printf 'version: "1.0"\npermissions: {}\n' >"$dir/policy.yaml"
}
MODES="bad-json wrong-jsonrpc wrong-id batch flood silent exit huge-tools bad-name dup-name ask-flood old-version refuse-init"
server good good
for m in $MODES; do
    server "${m//-/}" "$m"
done

OUT="$WD_TMP/wardend"
SOCK="$WD_TMP/wardend.sock"
mkdir -p "$OUT" "$WD_TMP/policies"
audit_keygen "$WD_TMP/keys"
cat >"$WD_TMP/warden.yaml" <<EOF
version: 1
listen:
  unix: $SOCK
limits:
  invoke_timeout: 3s
tenants:
  - name: demo
    contracts: [$WD_TMP/c]
    policies: $WD_TMP/policies
    audit: {log: $WD_TMP/log, keys: $WD_TMP/keys}
    clients:
      - uid: $(id -u)
        role: admin
EOF
if ! start_wardend "$WD_TMP/warden.yaml"; then
    wd_fail "wardend did not start" "$(cat "$OUT/wardend.log")"
    finish
fi
invoke() { # invoke ID INPUT
    run curl -s -m 30 --unix-socket "$SOCK" -X POST "http://wardend/v1/plugins/tests.$1/invoke" -d "$2"
}
count() { # count EXPECTED DESC: the good server's count tool says EXPECTED
    invoke good '{"tool": "count"}'
    expect_json_eq 'd["ok"], json.loads(d["output"])["content"][0]["text"].split()[0]' "(True, '$1')"
}

# ---- the warm server: what keeps it, what recycles it ----------------------------------------------
count 1
count 2
invoke good '{"tool": "fail"}'
expect_json_eq 'd["code"]' WD-S011
count 4 # a tool's own error kept the server (the failed call counted too)
invoke good '{"tool": "nosuch"}'
expect_json_eq 'd["code"]' WD-S012
count 5 # so did an input refused before the server was asked
invoke good '{"tool": "garbage"}'
expect_json_eq 'd["code"], d["message"]' "('WD-S006', \"the server broke JSON-RPC: not JSON: '[' or '{' expected near 'this' at byte 4\")"
count 1 # a protocol violation recycled it
invoke good '{"tool": "hang"}'
expect_json_eq 'd["code"]' WD-S003
count 1 # so did a hang
invoke good '{"tool": "die"}'
expect_json_eq 'd["code"], d["message"]' "('WD-S008', 'the program exited with status 4 mid-call')"
count 1
count 2
invoke good '{"tool": "bye"}'
expect_json_eq 'd["ok"]' true
sleep 0.3
count 1 # a parked server that ended between calls is replaced, not handed the next call
count 2
run curl -s -m 30 --unix-socket "$SOCK" -X PUT http://wardend/v1/components/tests.good/policy --data-binary $'version: "1.0"\npermissions:\n  environment:\n    allow: [{key: LANG}]\n'
expect_json_eq 'd.get("component", d)' tests.good
count 1 # a new policy: a new server

# ---- servers that misbehave -----------------------------------------------------------------------------
expect_code() { # expect_code MODE CODE MESSAGE-FRAGMENT
    local id=${1//-/}
    invoke "$id" '{"tool": "echo", "arguments": {"a": 1}}'
    expect_json_eq 'd["ok"], d["code"]' "(False, '$2')"
    expect_json_eq "'''$3''' in d['message']" true
    # The host carries on: wardend answers, another component works, and the same one gets a
    # fresh server that fails the same way (nothing of the last one is left to wait on).
    run curl -s -m 5 --unix-socket "$SOCK" http://wardend/health
    expect_json_eq 'd["status"]' ok
    invoke good '{"tool": "echo", "arguments": {"after": "'"$1"'"}}'
    expect_json_eq 'd["ok"]' true
    invoke "$id" '{"tool": "echo", "arguments": {"a": 1}}'
    expect_json_eq 'd["code"]' "$2"
}
expect_code bad-json WD-S006 "the server broke JSON-RPC: not JSON"
expect_code wrong-jsonrpc WD-S006 'jsonrpc must be "2.0"'
expect_code wrong-id WD-S006 "the server answered id 1003; warden waits for id 3 (tools/call)"
expect_code batch WD-S006 "a batch (JSON array)"
expect_code flood WD-S006 "more than 1024 notifications and requests from the server in one call"
expect_code silent WD-S003 "timeout"
expect_code exit WD-S008 "exited with status 3 mid-call"
expect_code huge-tools WD-S006 "tools/list: more than 1024 tools"
expect_code bad-name WD-S006 'tool name "bad name" breaks'
expect_code dup-name WD-S006 "tool echo is listed twice"
expect_code ask-flood WD-S006 "more than 64 requests from the server in one call"
expect_code old-version WD-S006 "the server speaks MCP 1999-01-01"
expect_code refuse-init WD-S010 "the server answered initialize with error -32603: no"
# Servers that cannot list tools offer none; the listing itself does not fail.
run curl -s -m 30 --unix-socket "$SOCK" http://wardend/v1/plugins/tests.badname/tools
expect_json_eq 'd["error"]["code"]' WD-S006
run curl -s -m 30 --unix-socket "$SOCK" http://wardend/v1/plugins/tests.good/tools
expect_json_eq '[t["name"] for t in d["tools"]][:3]' "['echo', 'read', 'count']"
kill -TERM "$WPID"
wait "$WPID" 2>/dev/null
WPID=""

printf '{"send": {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}, "modern": true}\n' >"$WD_TMP/steps.jsonl"
expect_exit 0 -- python3 "$WD_LIB_DIR/mcp_client.py" --timeout 120 -- "$WARDEND" --mcp --config "$WD_TMP/warden.yaml" <"$WD_TMP/steps.jsonl"
expect_eq "$(sed -n 1p "$WD_OUT" | python3 -c '
import json, sys
names = [t["name"] for t in json.load(sys.stdin)["result"]["tools"] if t["name"].startswith("plugin_")]
print(sorted({n[len("plugin_tests_"):n.index("_T")] for n in names}), len(names))')" \
    "['askflood', 'badjson', 'batch', 'exit', 'flood', 'good', 'silent', 'wrongid', 'wrongjsonrpc'] 81" \
    "mcp: the servers that greet properly offer their nine tools, those that cannot list them none"
expect_stderr_contains "the MCP server tests.badname did not list its tools (it offers none)"

# ---- the records ---------------------------------------------------------------------------------------
expect_exit 0 -- "$WARDEN" audit verify --log "$WD_TMP/log" --mac-key "$WD_TMP/keys/mac.key" --pubkey "$WD_TMP/keys/signing.pub"
expect_exit 0 -- "$WARDEN" audit show --log "$WD_TMP/log" --json --type PLUGIN_CALL
for pair in badjson:WD-S006 silent:WD-S003 exit:WD-S008 flood:WD-S006; do
    expect_stdout_matches "\"component\":\"tests\\.${pair%%:*}\".*\"result\":\"contained\",\"code\":\"${pair#*:}\""
done
expect_exit 0 -- "$WARDEN" audit show --log "$WD_TMP/log" --json --type PLUGIN_START
expect_stdout_matches '"component":"tests\.refuseinit".*"code":"WD-S010"'

finish
