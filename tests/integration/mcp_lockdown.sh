#!/usr/bin/env bash
# mcp_lockdown.sh: warm plugins and the two things that must not wait on them. A parked MCP
# server (kept running between calls) stops the moment the tenant's integrity watch goes into
# lockdown, not at the component's next call; in lockdown nothing is started to list a server's
# tools. And a server slow to greet, while its tools are being listed, delays no policy change
# of another component.
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
server good good
server mute mute

OUT="$WD_TMP/wardend"
SOCK="$WD_TMP/wardend.sock"
mkdir -p "$OUT" "$WD_TMP/policies/components"
audit_keygen "$WD_TMP/keys"
# A watched file: changing it puts the tenant into lockdown.
echo "# watched" >"$WD_TMP/policies/components/watched.yaml"
"$WARDEN" audit keygen --dir "$WD_TMP/bkeys" >/dev/null
expect_exit 0 -- "$WARDEN" integrity baseline --manifest "$WD_TMP/baseline" --keys "$WD_TMP/bkeys" "$WD_TMP/policies/components/watched.yaml"
cat >"$WD_TMP/warden.yaml" <<EOF
version: 1
listen:
  unix: $SOCK
limits:
  invoke_timeout: 12s
tenants:
  - name: demo
    contracts: [$WD_TMP/c]
    policies: $WD_TMP/policies
    audit: {log: $WD_TMP/log, keys: $WD_TMP/keys}
    baseline: {manifest: $WD_TMP/baseline, pubkey: $WD_TMP/bkeys/signing.pub}
    clients:
      - uid: $(id -u)
        role: admin
EOF
if ! start_wardend "$WD_TMP/warden.yaml"; then
    wd_fail "wardend did not start" "$(cat "$OUT/wardend.log")"
    finish
fi
api() { # api ARGS...: curl against wardend, the answer in $WD_OUT
    run curl -s -m "${MAXTIME:-30}" --unix-socket "$SOCK" "$@"
}
# The fake servers' processes: the interpreter running this test's copy of server.py.
alive() { pgrep -f "$WD_TMP/c/$1/server.py" | wc -l; }

# ---- a slow server's listing delays no policy change of another component ---------------------
# tests.mute never answers initialize: listing its tools waits up to the invoke timeout (12 s).
curl -s -m 30 --unix-socket "$SOCK" http://wardend/v1/plugins/tests.mute/tools >"$WD_TMP/silent.json" &
LISTING=$!
BGPIDS+=("$LISTING")
for _ in $(seq 200); do
    [ "$(alive mute)" -gt 0 ] && break
    sleep 0.05
done
expect_eq "$(alive mute)" 1 "the slow server is being started to list its tools"
MAXTIME=6 api -X PUT http://wardend/v1/components/tests.good/policy --data-binary $'version: "1.0"\npermissions:\n  environment:\n    allow: [{key: LANG}]\n'
expect_json_eq 'd.get("component")' tests.good
wait "$LISTING"
expect_eq "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("error", d).get("code"))' "$WD_TMP/silent.json")" WD-S003 \
    "the slow server's listing ends in its timeout: $(cat "$WD_TMP/silent.json")"

# ---- lockdown stops a parked server at once --------------------------------------------------------
api -X POST http://wardend/v1/plugins/tests.good/invoke -d '{"tool": "count"}'
expect_json_eq 'd["ok"]' true
expect_eq "$(alive good)" 1 "the server is parked, running, between calls"
echo "# tampered" >>"$WD_TMP/policies/components/watched.yaml"
for _ in $(seq 200); do
    [ "$(alive good)" -eq 0 ] && break
    sleep 0.05
done
expect_eq "$(alive good)" 0 "lockdown stopped the parked server without waiting for a call"
api http://wardend/ready
expect_json_eq 'd["tenant"]["lockdown"]' true
# In lockdown nothing is started, not even to list tools.
api http://wardend/v1/plugins/tests.good/tools
expect_json_eq 'd["error"]["code"]' WD-T006
expect_eq "$(alive good)" 0 "listing tools in lockdown started no server"
api -X POST http://wardend/v1/plugins/tests.good/invoke -d '{"tool": "count"}'
expect_json_eq 'd["error"]["code"]' WD-T006
finish
