#!/usr/bin/env bash
# mcp_client.sh: warden as the MCP client of a stdio server run as a process plugin
# (protocol: mcp), through `warden run`: the handshake (what --describe says: the server, the
# revision agreed, its tools, listed over pages too), tool calls and their output (the server's
# result object), a tool's own error and a JSON-RPC error (WD-S011), an unknown tool and inputs
# of the wrong shape (WD-S012, the server never asked), a warm server keeping its state across
# calls, the server's requests answered and refused, and the audit records: each tool decided
# (BROKER_DECISION op "call"), the server's notifications as PLUGIN_LOG, its file accesses
# decided by the broker under the call's correlation id.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"

# shellcheck source=lib/plugins.sh
source "$WD_LIB_DIR/plugins.sh"
require_confinement
# The audit log's segments are append-only where the file system allows it.
trap 'find "$WD_TMP" -name "audit-*.jsonl*" -exec chattr -a {} + >/dev/null 2>&1; rm -rf "$WD_TMP"' EXIT

# server NAME MODE [LIMITS]: a contract in $WD_TMP/NAME running the fake server in MODE, its
# data directory readable, data/secret/ denied.
server() {
    local dir="$WD_TMP/$1"
    mkdir -p "$dir/data/secret"
    echo "hello from the data directory" >"$dir/data/hello.txt"
    echo "hunter2" >"$dir/data/secret/key.txt"
    mcp_fake_contract "$dir" "tests.$1" "$2"
    cat >"$dir/policy.yaml" <<EOF
version: "1.0"
permissions:
  storage:
    allow: [{uri: "fs://data/**", access: [read]}]
    deny: [{uri: "fs://data/secret/**", access: [read]}]
  resources:
    limits: {${3:-timeout: "10s"}}
EOF
}
KEYS="$WD_TMP/keys"
LOG="$WD_TMP/log"
audit_keygen "$KEYS"
RUN=("$WARDEN" run --keys "$KEYS" --log "$LOG")

server good good
G="$WD_TMP/good/contract.yaml"

# ---- the handshake, as --describe shows it ----------------------------------------------------
expect_exit 0 -- "$WARDEN" run "$G" --describe
expect_json_eq 'd["runtime"], d["protocol"]' "('process', 'mcp')"
expect_json_eq 'd["server"]' "{'name': 'fake-good', 'version': '1.2.3'}"
expect_json_eq 'd["protocolVersion"]' 2025-06-18
expect_json_eq 'd["tools"]' "['echo', 'read', 'count', 'fail', 'boom', 'die', 'bye', 'garbage', 'hang']"
server paged paged
expect_exit 0 -- "$WARDEN" run "$WD_TMP/paged/contract.yaml" --describe
expect_json_eq 'd["tools"]' "['echo', 'read', 'count']"

# ---- calls ----------------------------------------------------------------------------------------
expect_exit 0 -- "${RUN[@]}" "$G" --input '{"tool": "echo", "arguments": {"b": [1, 2], "a": "x"}}' --json
expect_json_eq 'd["ok"], json.loads(d["output"])' "(True, {'content': [{'type': 'text', 'text': '{\"a\": \"x\", \"b\": [1, 2]}'}]})"
ECHO_CORR=$(wd_json_eval 'd["correlation_id"]')
# arguments may be left out, or null: the server gets {}.
expect_exit 0 -- "${RUN[@]}" "$G" --input '{"tool": "echo"}'
expect_stdout_line 1 '{"content":[{"type":"text","text":"{}"}]}'
expect_exit 0 -- "${RUN[@]}" "$G" --input '{"tool": "echo", "arguments": null}'
expect_stdout_line 1 '{"content":[{"type":"text","text":"{}"}]}'
# What the server reads goes through the broker: the granted file, and not the others.
expect_exit 0 -- "${RUN[@]}" "$G" --input '{"tool": "read", "arguments": {"path": "data/hello.txt"}}' --json
expect_json_eq 'json.loads(d["output"])["content"][0]["text"].strip()' "hello from the data directory"
READ_CORR=$(wd_json_eval 'd["correlation_id"]')
expect_exit 1 -- "${RUN[@]}" "$G" --input '{"tool": "read", "arguments": {"path": "data/secret/key.txt"}}' --json
expect_json_eq 'd["code"], d["message"]' "('WD-S011', \"tool read reported an error: PermissionError: [Errno 13] Permission denied: 'data/secret/key.txt'\")"
expect_json_eq 'json.loads(d["output"])["isError"]' true
expect_stdout_not_contains hunter2
SECRET_CORR=$(wd_json_eval 'd["correlation_id"]')
expect_exit 1 -- "${RUN[@]}" "$G" --input '{"tool": "read", "arguments": {"path": "/etc/shadow"}}' --json
expect_json_eq 'd["code"]' WD-S011
SHADOW_CORR=$(wd_json_eval 'd["correlation_id"]')
# A JSON-RPC error answer: WD-S011 with the error object as the output.
expect_exit 1 -- "${RUN[@]}" "$G" --input '{"tool": "boom"}' --json
expect_json_eq 'd["code"], d["message"], json.loads(d["output"])' "('WD-S011', 'the server answered tools/call boom with error -32000: boom', {'code': -32000, 'message': 'boom'})"
expect_exit 1 -- "${RUN[@]}" "$G" --input '{"tool": "fail"}'
expect_stderr_contains "WD-S011: tool fail reported an error: it failed, as asked"

# ---- inputs refused before the server is asked -----------------------------------------------------
for bad in '{"tool": "nosuch"}' '[1]' '{"tool": 5}' '{"tool": "echo", "arguments": [1]}' \
    '{"tool": "echo", "extra": 1}' '{"tool": "bad name"}' 'not json' '{"tool": "echo", "tool": "read"}'; do
    expect_exit 1 -- "${RUN[@]}" "$G" --input "$bad" --json
    expect_json_eq 'd["code"]' WD-S012
done
expect_exit 1 -- "$WARDEN" run "$G" --input '{"tool": "nosuch"}' --json
expect_json_eq 'd["message"]' "the server lists no tool nosuch"

# ---- a warm server keeps its state between calls --------------------------------------------------
expect_exit 0 -- "$WARDEN" run "$G" --input '{"tool": "count"}' --calls 3 --json
warm=$(python3 -c '
import json, sys
rows = [json.loads(json.loads(l)["output"])["content"][0]["text"].split() for l in open(sys.argv[1])]
print([r[0] for r in rows], len({r[1] for r in rows}))' "$WD_OUT")
expect_eq "$warm" "['1', '2', '3'] 1" "one server process counted the three calls"
# A tool's own error does not end the server: the next call is its next.
printf '{"tool": "fail"}' >"$WD_TMP/fail.json"
expect_exit 1 -- "$WARDEN" run "$G" --input @"$WD_TMP/fail.json" --calls 2 --json
expect_stdout_lines 2

# ---- the server's own requests ------------------------------------------------------------------------
server asks asks
expect_exit 0 -- "${RUN[@]}" "$WD_TMP/asks/contract.yaml" --input '{"tool": "echo"}' --json
expect_json_eq 'sorted((str(a["id"]), a.get("result"), a.get("error", {}).get("code")) for a in json.loads(json.loads(d["output"])["content"][0]["text"]))' \
    "[('7', None, -32601), ('p', {}, None), ('s1', None, -32601)]"

# ---- the records ------------------------------------------------------------------------------------------
expect_exit 0 -- "$WARDEN" audit verify --log "$LOG" --mac-key "$KEYS/mac.key" --pubkey "$KEYS/signing.pub"
expect_exit 0 -- "$WARDEN" audit show --log "$LOG" --json
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    d = r.get("details", {})
    if r["type"] == "BROKER_DECISION":
        print(r["correlation_id"], r["component"], "BROKER_DECISION", d["op"], d["decision"], d["target"], "|", d.get("reason", ""))
    elif r["type"] == "PLUGIN_LOG":
        print(r["correlation_id"], r["component"], "PLUGIN_LOG", d["level"], d["message"])
    elif r["type"] == "PLUGIN_CALL":
        print(r["correlation_id"], r["component"], "PLUGIN_CALL", d["result"], d.get("code", ""))
' "$WD_OUT" >"$WD_TMP/records"
has() {
    grep -qE -- "$1" "$WD_TMP/records"
    wd_check $? "audit: $2" "no record matches $1"
}
D=$(printf '%s' "$WD_TMP" | sed 's/[.[\*^$()+?{|]/\\&/g')
has "^$ECHO_CORR tests\.good BROKER_DECISION call allow echo \| the policy lists no tools" "the tool decided before the call, under its correlation id"
has "^$ECHO_CORR tests\.good PLUGIN_LOG info fake: calling echo$" "the server's log notification as PLUGIN_LOG"
has "^$ECHO_CORR tests\.good PLUGIN_CALL ok $" "the call's record"
has "^$READ_CORR tests\.good BROKER_DECISION open allow $D/good/data/hello\.txt \| .*allow fs://data/\*\*" "the server's granted read"
has "^$SECRET_CORR tests\.good BROKER_DECISION open deny $D/good/data/secret/key\.txt \| .*deny fs://data/secret/\*\*" "the server's read in the denied glob refused by warden"
has "^$SHADOW_CORR tests\.good BROKER_DECISION open deny /etc/shadow \| no rule matched" "the server's read of /etc/shadow refused by warden"
has "^$SECRET_CORR tests\.good PLUGIN_CALL failed WD-S011" "a tool's error is a failed call, not a containment"
has " tests\.asks PLUGIN_LOG debug the server asked sampling/createMessage: refused \(-32601\)" "the server's request, refused, in the log"
! grep -qE "BROKER_DECISION open allow ($D/good/data/secret/|/etc/shadow)" "$WD_TMP/records"
wd_check $? "audit: no allowed open of a denied file"

finish
