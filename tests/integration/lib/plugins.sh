# plugins.sh: what the process-plugin, Python-handler and MCP-server tests share (source it after
# common.sh): the skip where the kernel cannot mediate, the handler tree hash as docs/contracts.md
# defines it, and contracts for a Python handler and for the fake MCP server.

# Skips the test (exit 77) where there is no Landlock or no seccomp filter.
require_confinement() {
    if ! "$WARDEN" sandbox probe --json | python3 -c '
import json, sys
p = json.load(sys.stdin)
sys.exit(0 if p["landlock"]["abi"] >= 1 and p["seccomp"]["filter"] else 1)'; then
        echo "note: no Landlock or no seccomp filter on this kernel: skipping"
        exit 77
    fi
}

# tree_hash ROOT: what a runtime: python contract's sha256 must be (docs/contracts.md).
tree_hash() {
    (cd "$1" && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -printf '%P\n' |
        LC_ALL=C sort | xargs -r -d '\n' sha256sum | sha256sum | cut -d' ' -f1)
}

# python_contract DIR ID CLASS LIFECYCLE [EXTRA-YAML]: DIR/contract.yaml for the package already
# written in DIR/src, with DIR/policy.yaml (an empty policy unless one was written before).
python_contract() {
    mkdir -p "$1"
    [ -f "$1/policy.yaml" ] || printf 'version: "1.0"\npermissions: {}\n' >"$1/policy.yaml"
    cat >"$1/contract.yaml" <<YAML
name: $2
type: compute
version: 1.0.0
runtime: python
handler_class: $3
handler_root: src
sha256: $(tree_hash "$1/src")
lifecycle: $4
${5:-}
security: {level: OFFICIAL}
policy: policy.yaml
YAML
}

# mcp_fake_contract DIR ID MODE: DIR/contract.yaml running tests/integration/mcp_fake_server.py
# (copied to DIR) in MODE as an MCP server plugin; the policy is the caller's.
mcp_fake_contract() {
    mkdir -p "$1"
    cp "$WD_SOURCE_DIR/tests/integration/mcp_fake_server.py" "$1/server.py"
    cat >"$1/contract.yaml" <<YAML
name: $2
type: effect
version: 1.0.0
runtime: process
program: server.py
sha256: $(sha256sum "$1/server.py" | cut -d' ' -f1)
interpreter: /usr/bin/python3
args: [$3]
protocol: mcp
runtime_roots: [/usr/lib/python3, /usr/lib/python3.11]
security: {level: OFFICIAL}
policy: policy.yaml
YAML
}
