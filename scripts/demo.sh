#!/usr/bin/env bash
# warden's main job, the whole story on the shipped examples: install what it needs, build,
# start wardend, invoke the example plugins in their kernel-enforced sandboxes, show an
# allowed and a denied access with their explanations, approve the denied one with a TOTP code
# from a phone-style authenticator (oathtool), see it go through exactly once, run two
# unmodified programs (a shell tool and a Python script) as plugins under the same policies,
# verify the audit log, and stop. (scripts/demo-cli.sh shows the same engine from the command
# line.)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
W=build/src/warden
D=build/src/daemon/wardend
BUILT=$PWD/build/examples

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
show() { printf '\033[2m$ %s\033[0m\n' "$*"; }
demo=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; chattr -R -a "$demo" 2>/dev/null; rm -rf "$demo"' EXIT
sock="$demo/wardend.sock"
# A local web server for the process plugins to fetch from, on whatever port is free; the
# examples are used from a copy whose policies name that port (the shipped ones say 18081).
mkdir -p "$demo/www"
echo "served over HTTP by the demo's own server" >"$demo/www/index.txt"
python3 -m http.server 0 --bind 127.0.0.1 --directory "$demo/www" >"$demo/http.log" 2>&1 &
http_pid=$!
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; kill "$http_pid" 2>/dev/null; chattr -R -a "$demo" 2>/dev/null; rm -rf "$demo"' EXIT
port=""
for _ in $(seq 100); do
    port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$demo/http.log" | head -1)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "demo: the local web server did not start: $(cat "$demo/http.log")" >&2; exit 1; }
# The library plugins and the process plugins (any program), in one directory for wardend.
mkdir -p "$demo/plugins"
for c in "$BUILT"/plugins/*/contract.yaml "$BUILT"/process/*/contract.yaml "$BUILT"/python/*/contract.yaml; do
    cp -r "$(dirname "$c")" "$demo/plugins/"
done
EX=$demo/plugins
sed -i "s/ports: \[18081\]/ports: [$port]/g" "$EX/shtool/policy.yaml" "$EX/pyfetch/policy.yaml"
sed -i "s/ports: \[18082\]/ports: [$port]/g" "$EX/pyreadfetch/policy.yaml"
# An existing MCP server, unmodified: the reference filesystem server (scripts/setup.sh installs
# it from npm at a pinned version), told it may serve "/", under a policy that grants its own
# code, one data directory and three of its tools.
NM=$PWD/tests/npm/node_modules
FS_SERVER=$NM/@modelcontextprotocol/server-filesystem/dist/index.js
if [ -f "$FS_SERVER" ] && [ -x /usr/bin/node ]; then
    mkdir -p "$EX/mcpfs/data/pub" "$EX/mcpfs/data/secret"
    chmod 755 "$demo" "$EX" "$EX/mcpfs" "$EX/mcpfs/data"
    echo "served by an MCP server that warden contains" >"$EX/mcpfs/data/pub/readme.txt"
    echo "hunter2" >"$EX/mcpfs/data/secret/key.txt"
    cat >"$EX/mcpfs/contract.yaml" <<YAML
name: examples.mcpfs
type: effect
version: 1.0.0
runtime: process
program: /usr/bin/node
args: ["$FS_SERVER", "/"]
protocol: mcp
security: {level: OFFICIAL}
policy: policy.yaml
YAML
    cat >"$EX/mcpfs/policy.yaml" <<YAML
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
    allow: [{name: read_text_file}, {name: list_directory}, {name: list_allowed_directories}]
  resources:
    limits: {memory: "2Gi", open_files: 1024, timeout: "60s"}
YAML
fi
# api METHOD PATH [JSON]: one request to wardend over its Unix socket, the answer pretty-printed.
api() {
    local method=$1 path=$2 body=${3:-}
    show "curl --unix-socket wardend.sock -X $method http://warden$path ${body:+-d '$body'}"
    local args=(-s --unix-socket "$sock" -X "$method" "http://warden$path")
    [ -n "$body" ] && args+=(-d "$body")
    curl "${args[@]}" | python3 -m json.tool --no-ensure-ascii | cut -c1-200
}

say "1. A configuration: one tenant, the example plugins, its own policies, audit log and approvers"
$W audit keygen --dir "$demo/keys" >/dev/null
cat >"$demo/warden.yaml" <<YAML
version: 1
listen:
  unix: wardend.sock
tenants:
  - name: demo
    contracts: [$EX]
    policies: policies
    audit: {log: audit, keys: keys, durability: batch}
    overrides: overrides
    clients:
      - uid: $(id -u)
        role: admin
YAML
sed 's/^/    /' "$demo/warden.yaml"
show "wardend --config warden.yaml --check-config"
$D --config "$demo/warden.yaml" --check-config

say "2. A human enrols as an approver (scan the QR code, or the URI, with any authenticator app)"
show "warden override enroll --dir overrides --label alice --no-qr"
uri=$($W override enroll --dir "$demo/overrides" --label alice --no-qr | grep '^otpauth://')
echo "$uri"
secret=$(printf '%s' "$uri" | sed 's/.*secret=\([A-Z2-7]*\).*/\1/')

say "3. wardend starts: contracts reviewed and registered, policies compiled, socket 0660"
$D --config "$demo/warden.yaml" 2>"$demo/wardend.log" &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
cat "$demo/wardend.log"
api GET /v1/components

say "4. Plugins run in sandboxes (Landlock, seccomp, namespaces, rlimits) behind the broker"
api POST /v1/plugins/examples.wordcount/invoke '{"text": "least privilege, enforced by the kernel"}'
api POST /v1/plugins/examples.reader/invoke "{\"path\": \"$EX/reader/data/hello.txt\"}"

say "5. Allowed and denied, each with the rule that decided (or why none did)"
api POST /v1/check "{\"component\": \"examples.reader\", \"verb\": \"read\", \"target\": \"$EX/reader/data/hello.txt\"}"
api POST /v1/check "{\"component\": \"examples.reader\", \"verb\": \"read\", \"target\": \"$EX/reader/data/api.secret\"}"
op=$(curl -s --unix-socket "$sock" -d "{\"component\": \"examples.reader\", \"verb\": \"read\", \"target\": \"$EX/reader/data/api.secret\"}" http://warden/v1/check |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["operation"])')
echo "The plugin itself is refused the same way, inside its sandbox:"
api POST /v1/plugins/examples.reader/invoke "{\"path\": \"$EX/reader/data/api.secret\"}"

say "6. alice approves exactly that operation, once, with the code her authenticator shows"
code=$(oathtool --totp -b "$secret")
api POST /v1/overrides "{\"operation\": \"$op\", \"code\": \"$code\", \"approver\": \"alice\", \"justification\": \"rotate the demo key\", \"ttl\": \"5m\"}"
echo "The same code again is a replay:"
api POST /v1/overrides "{\"operation\": \"$op\", \"code\": \"$code\", \"approver\": \"alice\", \"justification\": \"again\"}"
echo "The plugin's next read of it goes through, once; the one after is denied again:"
api POST /v1/plugins/examples.reader/invoke "{\"path\": \"$EX/reader/data/api.secret\"}"
api POST /v1/plugins/examples.reader/invoke "{\"path\": \"$EX/reader/data/api.secret\"}"

say "7. No policy may grant changing warden's own files, whatever it says"
api POST /v1/components/examples.reader/grants "{\"kind\": \"storage\", \"uri\": \"fs://$demo/audit\", \"access\": [\"write\"]}" | grep -E '"(component|source)"'
api POST /v1/check "{\"component\": \"examples.reader\", \"verb\": \"write\", \"target\": \"$demo/audit/x\"}"

say "8. Plugins in any language: an unmodified shell tool and a Python script, same policies"
echo "Their policy grants data/** except data/**/*.secret, and the demo's web server by name"
echo "(localhost:$port) and address; the programs know nothing of warden (examples/plugins/)."
sed -n '/^permissions:/,$p' "$EX/shtool/policy.yaml" | sed 's/^/    /'
good="{\"read\": [\"data/notes/hello.txt\"], \"fetch\": [\"http://localhost:$port/index.txt\"]}"
bad='{"read": ["data/keys/api.secret", "/etc/shadow"], "fetch": ["http://example.com/"]}'
invoke_out() { # invoke_out PLUGIN JSON: the call, then what the program printed
    show "curl --unix-socket wardend.sock -X POST http://warden/v1/plugins/$1/invoke -d '$2'"
    curl -s --unix-socket "$sock" -X POST "http://warden/v1/plugins/$1/invoke" -d "$2" |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print("ok" if d["ok"] else d["code"] + ": " + d["message"]); print(d["output"].rstrip())' |
        sed 's/^/    /'
}
invoke_out examples.shtool "$good"
echo "The shell tool (cat and curl) is refused the secret, /etc/shadow and example.com, in their own words:"
invoke_out examples.shtool "$bad"
echo "The Python script (open() and urllib), the same:"
invoke_out examples.pyfetch "$good"
invoke_out examples.pyfetch "$bad"
echo "Each decision is audited with the rule that made it (the interpreter's own reads are counted):"
show "curl --unix-socket wardend.sock 'http://warden/v1/audit?type=BROKER_DECISION&component=examples.pyfetch&limit=1000'"
curl -s --unix-socket "$sock" "http://warden/v1/audit?type=BROKER_DECISION&component=examples.pyfetch&limit=1000" |
    python3 -c '
import json, re, sys
for r in json.load(sys.stdin)["records"]:
    d = r["details"]
    t = d["target"]
    if d["op"] in ("resolve", "connect") and "local socket" not in t or "/data/" in t or t == "/etc/shadow":
        why = re.sub(r"/\S*/policy\.yaml:\d+:\d+ ", "", d.get("reason", ""))
        print("    %-8s %-5s %-42s %s" % (d["op"], d["decision"], t.replace(sys.argv[1] + "/", ""), why[:80]))' "$EX"
curl -s --unix-socket "$sock" "http://warden/v1/audit?type=PLUGIN_CALL&component=examples.pyfetch" |
    python3 -c 'import json,sys; [print("    PLUGIN_CALL", json.dumps(r["details"])) for r in json.load(sys.stdin)["records"]]'

say "8b. Python handler classes: the pinned package imported inside the sandbox, a zygote per plugin"
echo "examples.pywords (compute, warm: one object across calls) and examples.pyreadfetch"
echo "(effect, fresh: a new object in a new process per call, forked from a warm zygote)."
invoke_out examples.pywords '{"text": "least privilege for every plugin, least privilege for every call"}'
invoke_out examples.pywords '{"text": "the second call reuses the warm handler"}'
invoke_out examples.pyreadfetch "{\"read\": [\"notes/hello.txt\"], \"fetch\": [\"http://127.0.0.1:$port/index.txt\"]}"
echo "Its open() of a secret is refused by the broker, which the handler reports cleanly:"
invoke_out examples.pyreadfetch '{"read": ["keys/api.secret"]}'

if [ -f "$EX/mcpfs/contract.yaml" ]; then
    say "8c. An existing MCP server, contained: warden speaks MCP to it and decides all it does"
    sed -n '/^permissions:/,$p' "$EX/mcpfs/policy.yaml" | sed 's/^/    /'
    show "curl --unix-socket wardend.sock http://warden/v1/plugins/examples.mcpfs/tools"
    curl -s --unix-socket "$sock" http://warden/v1/plugins/examples.mcpfs/tools |
        python3 -c 'import json,sys; print("    tools:", " ".join(t["name"] for t in json.load(sys.stdin)["tools"]))'
    invoke_out examples.mcpfs "{\"tool\": \"read_text_file\", \"arguments\": {\"path\": \"$EX/mcpfs/data/pub/readme.txt\"}}"
    echo "The server believes it may serve /; warden refuses the secret glob and /etc/shadow:"
    invoke_out examples.mcpfs "{\"tool\": \"read_text_file\", \"arguments\": {\"path\": \"$EX/mcpfs/data/secret/key.txt\"}}"
    invoke_out examples.mcpfs '{"tool": "read_text_file", "arguments": {"path": "/etc/shadow"}}'
    echo "and a tool its policy does not list never reaches the server:"
    invoke_out examples.mcpfs "{\"tool\": \"write_file\", \"arguments\": {\"path\": \"$EX/mcpfs/data/pub/x\", \"content\": \"x\"}}"
fi

say "9. Everything above is in the tenant's audit log, which verifies"
api GET "/v1/audit?type=OVERRIDE_USED"
api GET /v1/audit/verify
show "curl --unix-socket wardend.sock http://warden/metrics | grep decisions_total"
curl -s --unix-socket "$sock" http://warden/metrics | grep '^warden_decisions_total' | grep -v ' 0$'

say "10. SIGTERM: in-flight requests drain, the log is sealed with a signed checkpoint"
kill -TERM "$pid"
wait "$pid" || true
pid=""
cat "$demo/wardend.log" | tail -1
show "warden audit verify --log audit --mac-key keys/mac.key --pubkey keys/signing.pub"
$W audit verify --log "$demo/audit" --mac-key "$demo/keys/mac.key" --pubkey "$demo/keys/signing.pub"
