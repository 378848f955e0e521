#!/usr/bin/env bash
# warden from the command line: install what it needs, build, run the example plugins in
# the kernel-enforced sandbox (an allowed and a refused access each, explained and audited),
# then validate the shipped and the Wassette policies and decide a batch of requests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
W=build/src/warden

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@" || true; }
demo=$(mktemp -d)
http_pid=""
trap '[ -n "$http_pid" ] && kill "$http_pid" 2>/dev/null; chattr -R -a "$demo" 2>/dev/null; rm -rf "$demo"' EXIT

EX=build/examples/plugins
printf '\nWhat this kernel lets warden enforce:\n'
step $W sandbox probe
printf '\nThree example plugins, each in its own sandbox. Pure compute:\n'
step $W run $EX/wordcount/contract.yaml --input '{"text": "least privilege, enforced by the kernel"}'
printf '\nA file reader: its policy grants its data directory, minus *.secret:\n'
step $W audit keygen --dir "$demo/pkeys"
R="$W run $EX/reader/contract.yaml --keys $demo/pkeys --log $demo/plog"
step $R --input "{\"path\": \"$PWD/$EX/reader/data/hello.txt\"}"
step $R --input "{\"path\": \"$PWD/$EX/reader/data/api.secret\"}"
climb=$(printf '../%.0s' $(seq "$(printf '%s' "$PWD/$EX/reader/data" | tr -cd / | wc -c)"))
step $R --input "{\"path\": \"$PWD/$EX/reader/data/${climb}etc/shadow\"}"
printf '\nA fetcher: the broker connects for it, only where its policy allows:\n'
mkdir -p "$demo/www" && echo "hello over TCP, through the broker" >"$demo/www/index.txt"
python3 -m http.server 18080 --bind 127.0.0.1 --directory "$demo/www" >/dev/null 2>&1 &
http_pid=$!
sleep 0.5
step $W run $EX/fetch/contract.yaml --input '{"host": "127.0.0.1", "port": "18080", "path": "/index.txt"}'
step $W run $EX/fetch/contract.yaml --input '{"host": "example.com", "port": "80"}'
printf '\nEvery broker decision and every call is in the audit log, which verifies:\n'
step $W audit show --log "$demo/plog" --type BROKER_DECISION
step $W audit verify --log "$demo/plog" --mac-key "$demo/pkeys/mac.key" --pubkey "$demo/pkeys/signing.pub"

step $W policy validate examples/policies/agent-tool.yaml tests/data/compat/wassette/*.yaml
step $W policy show examples/policies/agent-tool.yaml --data-dir /srv/tool
step $W check --policy examples/policies/agent-tool.yaml --data-dir /srv/tool read /srv/tool/workspace/app/.env
step $W check --policy examples/policies/agent-tool.yaml --data-dir /srv/tool --batch examples/queries/agent-tool.txt
printf '\nThe same decisions as JSON, for programs:\n'
step $W check --policy examples/policies/agent-tool.yaml --data-dir /srv/tool --json connect 169.254.169.254

printf '\nEvery decision recorded in a tamper-evident audit log, then verified:\n'
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
