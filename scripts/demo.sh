#!/usr/bin/env bash
# warden's main job on a real example: install what it needs, build, validate the shipped and
# the Wassette policies, then decide a handful of requests and explain each decision.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
W=build/src/warden

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@" || true; }

step $W policy validate examples/policies/agent-tool.yaml tests/data/compat/wassette/*.yaml
step $W policy show examples/policies/agent-tool.yaml --data-dir /srv/tool
step $W check --policy examples/policies/agent-tool.yaml --data-dir /srv/tool read /srv/tool/workspace/app/.env
step $W check --policy examples/policies/agent-tool.yaml --data-dir /srv/tool --batch examples/queries/agent-tool.txt
printf '\nThe same decisions as JSON, for programs:\n'
step $W check --policy examples/policies/agent-tool.yaml --data-dir /srv/tool --json connect 169.254.169.254

printf '\nEvery decision recorded in a tamper-evident audit log, then verified:\n'
demo=$(mktemp -d)
trap 'chattr -R -a "$demo" 2>/dev/null; rm -rf "$demo"' EXIT
step $W audit keygen --dir "$demo/keys"
step $W check --policy examples/policies/agent-tool.yaml --data-dir /srv/tool \
    --batch examples/queries/agent-tool.txt --audit-log "$demo/log" --audit-keys "$demo/keys"
step $W audit show --log "$demo/log" --type DECISION --severity MEDIUM --limit 3
step $W audit verify --log "$demo/log" --mac-key "$demo/keys/mac.key" --pubkey "$demo/keys/signing.pub"
printf '\nNow someone edits one recorded decision from deny to allow:\n'
seg="$demo/log/audit-00000001.jsonl"
chattr -a "$seg" 2>/dev/null || true
sed -i '3s/"decision":"deny"/"decision":"allow"/' "$seg"
step $W audit verify --log "$demo/log" --mac-key "$demo/keys/mac.key" --pubkey "$demo/keys/signing.pub"
