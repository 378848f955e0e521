#!/usr/bin/env bash
# mcp_server_plugin.sh: a real third-party MCP server, @modelcontextprotocol/server-filesystem
# at the version tests/npm pins (scripts/setup.sh installs it with npm ci), run unmodified by
# the system's node as a process plugin (protocol: mcp). The server is told it may serve "/";
# its policy grants it its own code, one data directory minus a denied glob inside it, and a
# list of tools without write_file. Through `warden run`, wardend's HTTP API and its MCP front
# end: the server's tools are listed; a granted file reads; /etc/shadow and a file in the denied
# glob are refused by warden (the server reports EACCES, the audit log has the denied
# BROKER_DECISION with the path); write_file is refused by the policy (WD-S017, audited) and
# nothing is written. Offline: nothing here fetches anything.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"
# shellcheck source=lib/wardend.sh
source "$WD_LIB_DIR/wardend.sh"

NM="$WD_SOURCE_DIR/tests/npm/node_modules"
SERVER="$NM/@modelcontextprotocol/server-filesystem/dist/index.js"
NODE=/usr/bin/node
# Missing prerequisites fail CI (which installs them: scripts/setup.sh) and are a skip elsewhere.
missing() {
    if [ "${CI:-}" = true ]; then
        echo "error: $1" >&2
        exit 1
    fi
    echo "note: $1: skipping"
    exit 77
}
[ -f "$SERVER" ] || missing "$SERVER is not installed (run scripts/setup.sh, which runs npm ci in tests/npm)"
[ -x "$NODE" ] || missing "$NODE is not installed (scripts/setup.sh installs nodejs)"
if ! "$WARDEN" sandbox probe --json | python3 -c '
import json, sys
p = json.load(sys.stdin)
sys.exit(0 if p["landlock"]["abi"] >= 1 and p["seccomp"]["filter"] else 1)'; then
    echo "note: no Landlock or no seccomp filter on this kernel: skipping"
    exit 77
fi
VERSION=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' "${SERVER%/dist/index.js}/package.json")
expect_eq "$VERSION" "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["dependencies"]["@modelcontextprotocol/server-filesystem"])' "$WD_SOURCE_DIR/tests/npm/package.json")" \
    "the installed server is the pinned version"

# ---- the plugin: the server, its policy, its data ------------------------------------------------
DIR="$WD_TMP/c/fs"
mkdir -p "$DIR/data/pub" "$DIR/data/secret" "$WD_TMP/policies"
# The server runs as an unprivileged user and resolves paths itself (realpath) before it opens
# them through the broker: the directories on the way must be searchable by anyone.
chmod 755 "$WD_TMP" "$WD_TMP/c" "$DIR" "$DIR/data"
echo "public text" >"$DIR/data/pub/a.txt"
echo "hunter2" >"$DIR/data/secret/key.txt"
cat >"$DIR/contract.yaml" <<EOF
name: tests.fs
type: effect
version: 1.0.0
runtime: process
program: $NODE
args: ["$SERVER", "/"]
protocol: mcp
security: {level: OFFICIAL}
policy: policy.yaml
EOF
# Node reads OpenSSL's configuration at start; V8 reserves address space generously and the
# module loader opens many files at once.
cat >"$DIR/policy.yaml" <<EOF
version: "1.0"
permissions:
  storage:
    allow:
      - {uri: "fs://$NM/**", access: [read]}
      - {uri: "fs:///etc/ssl/openssl.cnf", access: [read]}
      - {uri: "fs://data/**", access: [read]}
    deny:
      - {uri: "fs://data/secret/**", access: [read]}
  tools:
    allow:
      - {name: read_text_file}
      - {name: read_file}
      - {name: list_directory}
      - {name: list_allowed_directories}
  resources:
    limits: {memory: "2Gi", open_files: 1024, timeout: "60s"}
EOF
C="$DIR/contract.yaml"
KEYS="$WD_TMP/keys"
LOG="$WD_TMP/log"
audit_keygen "$KEYS"
RUN=("$WARDEN" run --keys "$KEYS" --log "$LOG")
call() { # call TOOL ARGUMENTS-JSON
    printf '{"tool": "%s", "arguments": %s}' "$1" "$2"
}

# ---- warden run ------------------------------------------------------------------------------------
expect_exit 0 -- "$WARDEN" run "$C" --describe
expect_json_eq 'd["server"]["name"], d["protocolVersion"] in ("2025-06-18", "2025-03-26", "2024-11-05")' "('secure-filesystem-server', True)"
expect_json_eq '[t for t in ("read_text_file", "list_directory", "write_file") if t in d["tools"]]' "['read_text_file', 'list_directory', 'write_file']"

expect_exit 0 -- "${RUN[@]}" "$C" --input "$(call read_text_file "{\"path\": \"$DIR/data/pub/a.txt\"}")" --json
expect_json_eq 'd["ok"], json.loads(d["output"])["content"][0]["text"].strip()' "(True, 'public text')"
GOOD_CORR=$(wd_json_eval 'd["correlation_id"]')
expect_exit 1 -- "${RUN[@]}" "$C" --input "$(call read_text_file "{\"path\": \"$DIR/data/secret/key.txt\"}")" --json
expect_json_eq 'd["code"], "EACCES" in d["message"], "hunter2" in d["output"]' "('WD-S011', True, False)"
SECRET_CORR=$(wd_json_eval 'd["correlation_id"]')
expect_exit 1 -- "${RUN[@]}" "$C" --input "$(call read_text_file '{"path": "/etc/shadow"}')" --json
expect_json_eq 'd["code"], "EACCES" in d["message"]' "('WD-S011', True)"
SHADOW_CORR=$(wd_json_eval 'd["correlation_id"]')
expect_exit 1 -- "${RUN[@]}" "$C" --input "$(call write_file "{\"path\": \"$DIR/data/pub/new.txt\", \"content\": \"x\"}")" --json
expect_json_eq 'd["code"]' WD-S017
expect_json_eq 'd["message"]' "the policy refuses tool write_file: no rule matched (default deny)"
WRITE_CORR=$(wd_json_eval 'd["correlation_id"]')
[ ! -e "$DIR/data/pub/new.txt" ]
wd_check $? "write_file wrote nothing"
expect_exit 0 -- "${RUN[@]}" "$C" --input "$(call list_directory "{\"path\": \"$DIR/data\"}")" --json
expect_json_eq 'sorted(json.loads(d["output"])["content"][0]["text"].splitlines())' "['[DIR] pub', '[DIR] secret']"

expect_exit 0 -- "$WARDEN" audit verify --log "$LOG" --mac-key "$KEYS/mac.key" --pubkey "$KEYS/signing.pub"
expect_exit 0 -- "$WARDEN" audit show --log "$LOG" --json
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    d = r.get("details", {})
    if r["type"] == "BROKER_DECISION":
        print(r["correlation_id"], r["component"], "BROKER_DECISION", d["op"], d["decision"], d["target"], "|", d.get("reason", ""))
    elif r["type"] == "PLUGIN_CALL":
        print(r["correlation_id"], r["component"], "PLUGIN_CALL", d["result"], d.get("code", ""))
' "$WD_OUT" >"$WD_TMP/records"
has() { # has FILE PATTERN DESC
    grep -qE -- "$2" "$1"
    wd_check $? "audit: $3" "no record matches $2"
}
D=$(printf '%s' "$DIR" | sed 's/[.[\*^$()+?{|]/\\&/g')
R="$WD_TMP/records"
has "$R" "^$GOOD_CORR tests\.fs BROKER_DECISION call allow read_text_file \| .*\[allow tool read_text_file\]" "the tool allowed by its rule"
has "$R" "^$GOOD_CORR tests\.fs BROKER_DECISION open allow $D/data/pub/a\.txt \| .*\[allow fs://data/\*\* \(read\)\]" "the server's granted read"
has "$R" "^$SECRET_CORR tests\.fs BROKER_DECISION open deny $D/data/secret/key\.txt \| .*\[deny fs://data/secret/\*\* \(read\)\]" "the server's read in the denied glob, refused by warden"
has "$R" "^$SHADOW_CORR tests\.fs BROKER_DECISION open deny /etc/shadow \| no rule matched" "the server's read of /etc/shadow, refused by warden"
has "$R" "^$WRITE_CORR tests\.fs BROKER_DECISION call deny write_file \| no rule matched" "write_file refused by the tools list"
has "$R" "^$WRITE_CORR tests\.fs PLUGIN_CALL refused WD-S017" "the refused tool's call record"
! grep -qE "BROKER_DECISION open allow ($D/data/secret/|/etc/shadow)" "$R"
wd_check $? "audit: no allowed open of a denied file"
! grep -qE "^$WRITE_CORR .* BROKER_DECISION open " "$R"
wd_check $? "audit: a refused tool never reached the server (nothing opened under its call)"

# ---- wardend: HTTP and the MCP front end -----------------------------------------------------------
OUT="$WD_TMP/wardend"
SOCK="$WD_TMP/wardend.sock"
mkdir -p "$OUT"
audit_keygen "$WD_TMP/tkeys"
cat >"$WD_TMP/warden.yaml" <<EOF
version: 1
listen:
  unix: $SOCK
limits:
  invoke_timeout: 60s
tenants:
  - name: demo
    contracts: [$WD_TMP/c]
    policies: $WD_TMP/policies
    audit: {log: $WD_TMP/tlog, keys: $WD_TMP/tkeys}
    clients:
      - uid: $(id -u)
        role: admin
EOF
if start_wardend "$WD_TMP/warden.yaml"; then
    http() { # http METHOD PATH [BODY]
        run curl -s -m 90 --unix-socket "$SOCK" -X "$1" "http://wardend$2" ${3:+-d "$3"}
    }
    http GET /v1/plugins/tests.fs/tools
    expect_json_eq 'd["component"], "read_text_file" in [t["name"] for t in d["tools"]], "write_file" in [t["name"] for t in d["tools"]]' "('tests.fs', True, True)"
    expect_json_eq '[t["inputSchema"]["type"] for t in d["tools"]][0]' object
    http POST /v1/plugins/tests.fs/invoke "$(call read_text_file "{\"path\": \"$DIR/data/pub/a.txt\"}")"
    expect_json_eq 'd["ok"], json.loads(d["output"])["content"][0]["text"].strip()' "(True, 'public text')"
    HTTP_CORR=$(wd_json_eval 'd["correlation_id"]')
    http POST /v1/plugins/tests.fs/invoke "$(call read_text_file '{"path": "/etc/shadow"}')"
    expect_json_eq 'd["ok"], d["code"]' "(False, 'WD-S011')"
    HTTP_SHADOW=$(wd_json_eval 'd["correlation_id"]')
    http POST /v1/plugins/tests.fs/invoke "$(call write_file "{\"path\": \"$DIR/data/pub/new.txt\", \"content\": \"x\"}")"
    expect_json_eq 'd["ok"], d["code"]' "(False, 'WD-S017')"
    HTTP_WRITE=$(wd_json_eval 'd["correlation_id"]')
    kill -TERM "$WPID"
    wait "$WPID" 2>/dev/null
    WPID=""
else
    wd_fail "wardend did not start" "$(cat "$OUT/wardend.log")"
fi
step() { # step ID TOOL ARGUMENTS
    printf '{"send": {"jsonrpc": "2.0", "id": %s, "method": "tools/call", "params": {"name": "%s", "arguments": %s}}, "modern": true}\n' "$1" "$2" "$3"
}
{
    printf '{"send": {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}, "modern": true}\n'
    step 2 plugin_tests_fs_Tread_Utext_Ufile "{\"path\": \"$DIR/data/pub/a.txt\"}"
    step 3 plugin_tests_fs_Tread_Utext_Ufile "{\"path\": \"$DIR/data/secret/key.txt\"}"
    step 4 plugin_tests_fs_Twrite_Ufile "{\"path\": \"$DIR/data/pub/new.txt\", \"content\": \"x\"}"
} >"$WD_TMP/steps.jsonl"
expect_exit 0 -- python3 "$WD_LIB_DIR/mcp_client.py" --timeout 120 -- "$WARDEND" --mcp --config "$WD_TMP/warden.yaml" <"$WD_TMP/steps.jsonl"
sed -n 1p "$WD_OUT" >"$WD_TMP/list.json"
mcp=$(python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
tools = {t["name"]: t for t in json.loads(lines[0])["result"]["tools"]}
t = tools["plugin_tests_fs_Tread_Utext_Ufile"]
print("listed", "plugin_tests_fs_Twrite_Ufile" in tools, "plugin_tests_fs" in tools, t["inputSchema"]["type"],
      "secure-filesystem-server" in t["description"], "tests.fs" in t["description"])
for l in lines[1:4]:
    r = json.loads(l)["result"]
    print(r["isError"], "|", r["content"][0]["text"].strip()[:80], "|", bool(r["_meta"]["dev.warden/correlationId"]))' "$WD_OUT")
expect_eq "$(sed -n 1p <<<"$mcp")" "listed True False object True True" "mcp: each server tool re-exported under its own name, with the server's schema, not the server itself"
expect_eq "$(sed -n 2p <<<"$mcp")" "False | public text | True" "mcp: the granted read"
case "$(sed -n 3p <<<"$mcp")" in
"True | EACCES: permission denied, open '$DIR/data/secret/key.txt' | True") wd_pass "mcp: the denied glob, refused by warden" ;;
*) wd_fail "mcp: the denied glob, refused by warden" "got: $(sed -n 3p <<<"$mcp")" ;;
esac
expect_eq "$(sed -n 4p <<<"$mcp")" "True | WD-S017: the policy refuses tool write_file: no rule matched (default deny) | True" "mcp: write_file refused by the policy"
[ ! -e "$DIR/data/pub/new.txt" ]
wd_check $? "nothing was written through wardend either"

expect_exit 0 -- "$WARDEN" audit verify --log "$WD_TMP/tlog" --mac-key "$WD_TMP/tkeys/mac.key" --pubkey "$WD_TMP/tkeys/signing.pub"
expect_exit 0 -- "$WARDEN" audit show --log "$WD_TMP/tlog" --json
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    d = r.get("details", {})
    if r["type"] == "BROKER_DECISION":
        print(r["correlation_id"], r["component"], "BROKER_DECISION", d["op"], d["decision"], d["target"], "|", d.get("reason", ""))
' "$WD_OUT" >"$WD_TMP/trecords"
T="$WD_TMP/trecords"
has "$T" "^$HTTP_CORR tests\.fs BROKER_DECISION open allow $D/data/pub/a\.txt " "wardend: the granted read under the invoke's correlation id"
has "$T" "^$HTTP_SHADOW tests\.fs BROKER_DECISION open deny /etc/shadow " "wardend: /etc/shadow refused"
has "$T" "^$HTTP_WRITE tests\.fs BROKER_DECISION call deny write_file " "wardend: write_file refused"
has "$T" " tests\.fs BROKER_DECISION open deny $D/data/secret/key\.txt " "wardend (MCP): the denied glob refused"

finish
