#!/usr/bin/env bash
# wardend_crash.sh: wardend killed with SIGKILL while grants pour in (issue 7). Several rounds:
# start wardend, fire grants (fs:///data/N, read) from three concurrent clients, SIGKILL it at a
# random point, restart it. After every restart: the component's policy file parses and holds
# only whole grants, every grant acknowledged with 200 before the kill is there (and audited),
# nothing appears that was never asked for, and the audit log verifies intact (a torn last line
# is recovered with a RECOVERY record). Then, idle, wardend seals its log by itself (the audit
# heartbeat), and a clean stop closes the log intact.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"

# shellcheck source=lib/wardend.sh
source "$WD_LIB_DIR/wardend.sh"

ST="$WD_TMP/state"
OUT="$WD_TMP/out"
mkdir -p "$ST" "$OUT"
SOCK="$ST/wardend.sock"
CFG="$ST/warden.yaml"
POL="$ST/policies"
LOG="$ST/audit"
KEYS="$ST/keys"
POLFILE="$POL/components/examples.reader.yaml"
audit_keygen "$KEYS"
cat >"$CFG" <<EOF
version: 1
listen:
  unix: $SOCK
tenants:
  - name: demo
    contracts: [$EX]
    policies: policies
    audit: {log: audit, keys: keys, durability: batch, decisions: all}
    clients:
      - {uid: $(id -u), role: admin}
EOF
ROUNDS=5
WORKER_COUNT=3


# worker ROUND W: grants fs:///data/N for N = ROUND*100000 + W*10000 + 1, 2, ... until wardend
# stops answering (or the stop file appears); each attempt is logged before it is made ("try N")
# and its status after ("N STATUS").
worker() {
    local round=$1 w=$2 i n code
    local log="$OUT/grants-$round-$w.log"
    for ((i = 1; i < 10000; i++)); do
        [ -e "$OUT/stop-$round" ] && break
        n=$((round * 100000 + w * 10000 + i))
        echo "try $n" >>"$log"
        code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
            -H 'Content-Type: application/json' \
            --data-binary "{\"kind\":\"storage\",\"uri\":\"fs:///data/$n\",\"access\":[\"read\"]}" \
            http://wardend/v1/components/examples.reader/grants 2>/dev/null)
        echo "$n $code" >>"$log"
        [ "$code" = 000 ] && break
    done
}

# check_store ROUND: the assertions after a restart.
check_store() {
    local round=$1
    cat "$OUT"/grants-*.log 2>/dev/null >"$OUT/all-grants"
    # The policy through the API: 200, parses, and every data rule is whole.
    run curl -sS -m 10 --unix-socket "$SOCK" http://wardend/v1/components/examples.reader/policy
    expect_json_eq 'd["source"]' component
    python3 - "$WD_OUT" "$POLFILE" "$OUT/all-grants" "$LOG" >"$OUT/check-$round" <<'EOF'
import json, re, sys, yaml
api, polfile, grants, _ = sys.argv[1:5]
problems = []
def data_rules(text, where):
    """The N of every fs:///data/N allow rule, checking that each is whole."""
    ns = []
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        problems.append("%s does not parse: %s" % (where, e))
        return ns
    allow = ((doc.get("permissions") or {}).get("storage") or {}).get("allow") or []
    for r in allow:
        uri = r.get("uri", "")
        m = re.fullmatch(r"fs:///data/(\d+)", uri)
        if uri.startswith("fs:///data/") and not m:
            problems.append("%s: a torn uri %r" % (where, uri))
        if m:
            if r.get("access") != ["read"] or set(r) != {"uri", "access"}:
                problems.append("%s: rule %s is not whole: %r" % (where, uri, r))
            ns.append(int(m.group(1)))
    # The text too: every mention of a data URI is a whole rule line.
    mentions = re.findall(r"fs:///data/[^\"\n]*", text)
    if len(mentions) != len(ns):
        problems.append("%s: %d data URIs in the text, %d whole rules" % (where, len(mentions), len(ns)))
    if len(set(ns)) != len(ns):
        problems.append("%s: a grant appears twice" % where)
    return ns
api_ns = data_rules(json.load(open(api))["policy"], "GET policy")
try:
    file_text = open(polfile).read()
except FileNotFoundError:
    file_text = None
file_ns = data_rules(file_text, polfile) if file_text is not None else []
if sorted(api_ns) != sorted(file_ns):
    problems.append("the engine's policy and the file differ: %d vs %d grants" % (len(api_ns), len(file_ns)))
tried, acked = set(), set()
for line in open(grants):
    a, b = line.split()
    if a == "try":
        tried.add(int(b))
    elif b == "200":
        acked.add(int(a))
present = set(file_ns)
lost = sorted(acked - present)
if lost:
    problems.append("acknowledged grants lost: %s" % lost[:10])
ghosts = sorted(present - tried)
if ghosts:
    problems.append("grants nobody asked for: %s" % ghosts[:10])
print("acked %d present %d tried %d" % (len(acked), len(present), len(tried)))
for p in problems:
    print("PROBLEM " + p)
EOF
    local summary
    summary=$(head -1 "$OUT/check-$round")
    ! grep -q '^PROBLEM' "$OUT/check-$round"
    wd_check $? "round $round: the policy holds whole grants, every acknowledged one ($summary)" \
        "$(grep '^PROBLEM' "$OUT/check-$round" | head -5)"
    if [ -e "$POLFILE" ]; then
        expect_exit 0 -- "$WARDEN" policy validate "$POLFILE"
    fi
    # Every acknowledged grant was audited.
    "$WARDEN" audit show --log "$LOG" --json --type POLICY_GRANT >"$OUT/audited" 2>/dev/null
    python3 - "$OUT/audited" "$OUT/all-grants" >"$OUT/audit-check-$round" <<'EOF'
import json, re, sys
audited = set()
for line in open(sys.argv[1]):
    m = re.search(r"fs:///data/(\d+)", json.loads(line)["details"].get("change", ""))
    if m:
        audited.add(int(m.group(1)))
acked = {int(l.split()[0]) for l in open(sys.argv[2]) if l.split()[0] != "try" and l.split()[1] == "200"}
missing = sorted(acked - audited)
print("missing %s" % missing[:10] if missing else "ok")
EOF
    expect_eq "$(cat "$OUT/audit-check-$round")" ok "round $round: every acknowledged grant has a POLICY_GRANT record"
    expect_exit 0 -- "$WARDEN" audit verify --log "$LOG" --mac-key "$KEYS/mac.key" --pubkey "$KEYS/signing.pub"
    expect_stdout_contains "intact"
}

# ---- the rounds --------------------------------------------------------------------------------
start_wardend "$CFG"
wd_check $? "wardend starts" "$(tail -5 "$OUT/wardend.log")"
for round in $(seq 1 "$ROUNDS"); do
    BGPIDS=()
    for w in $(seq 1 "$WORKER_COUNT"); do
        worker "$round" "$w" &
        BGPIDS+=($!)
    done
    # At least one grant acknowledged, then a random moment (0.1-0.9 s) later: SIGKILL.
    for _ in $(seq 200); do
        cat "$OUT"/grants-"$round"-*.log 2>/dev/null | grep -q ' 200$' && break
        sleep 0.025
    done
    ms=$((100 + RANDOM % 800))
    sleep "0.$(printf '%03d' "$ms")"
    kill -KILL "$WPID"
    wait "$WPID" 2>/dev/null
    rc=$?
    expect_eq "$rc" 137 "round $round: wardend died of SIGKILL after ${ms} ms"
    WPID=""
    touch "$OUT/stop-$round"
    for p in "${BGPIDS[@]}"; do
        wait "$p"
    done
    BGPIDS=()
    acked=$(cat "$OUT"/grants-"$round"-*.log | grep -c ' 200$')
    [ "$acked" -ge 1 ]
    wd_check $? "round $round: grants were acknowledged before the kill ($acked)"
    bad=$(cat "$OUT"/grants-"$round"-*.log | grep -v '^try' | grep -vc ' \(200\|000\)$')
    expect_eq "$bad" 0 "round $round: every answer was 200 (or none, at the kill)"
    # Restart on the stale socket and the log as the crash left it.
    start_wardend "$CFG"
    wd_check $? "round $round: wardend restarts after SIGKILL" "$(tail -5 "$OUT/wardend.log")"
    if ! kill -0 "$WPID" 2>/dev/null; then
        break
    fi
    check_store "$round"
    # The restarted wardend decides by the grants: the last acknowledged one allows.
    last=$(cat "$OUT"/grants-"$round"-*.log | grep ' 200$' | tail -1 | cut -d' ' -f1)
    run curl -sS -m 10 --unix-socket "$SOCK" -d "{\"component\":\"examples.reader\",\"verb\":\"read\",\"target\":\"/data/$last\"}" http://wardend/v1/check
    expect_json_eq 'd["decision"]' allow
done

# ---- an idle wardend seals its log by itself -------------------------------------------------------
# The records since the last restart are sealed by the writer's heartbeat (default: within 10 s)
# with no further request and no stop: before, wardend wrote checkpoints only every 10,000
# records or at a clean stop, and a crash-restarting one none at all.
if [ -n "$WPID" ] && kill -0 "$WPID" 2>/dev/null; then
    sealed=no
    for _ in $(seq 300); do
        if "$WARDEN" audit tail --log "$LOG" -n 1 2>/dev/null | grep -q '"type":"CHECKPOINT"'; then
            sealed=yes
            break
        fi
        sleep 0.1
    done
    expect_eq "$sealed" yes "an idle wardend sealed its log with a checkpoint while running"
    expect_exit 0 -- "$WARDEN" audit verify --log "$LOG" --pubkey "$KEYS/signing.pub" --fresh 1m
fi

# ---- a clean stop at the end ---------------------------------------------------------------------
if [ -n "$WPID" ] && kill -0 "$WPID" 2>/dev/null; then
    kill -TERM "$WPID"
    for _ in $(seq 200); do
        kill -0 "$WPID" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$WPID" 2>/dev/null && kill -KILL "$WPID"
    wait "$WPID" 2>/dev/null
    expect_eq "$?" 0 "SIGTERM after the rounds: exit 0"
    WPID=""
fi
[ ! -e "$SOCK" ]
wd_check $? "the socket is gone after SIGTERM"
expect_exit 0 -- "$WARDEN" audit verify --log "$LOG" --mac-key "$KEYS/mac.key" --pubkey "$KEYS/signing.pub"
expect_stdout_contains "intact"
expect_exit 0 -- "$WARDEN" audit show --log "$LOG" --json
expect_eq "$(tail -n 2 "$WD_OUT" | python3 -c 'import json,sys; print(" ".join(json.loads(l)["type"] for l in sys.stdin))')" \
    "DAEMON_STOPPED CHECKPOINT" "the log ends with DAEMON_STOPPED and a checkpoint"
expect_eq "$(grep -c '"type":"DAEMON_STARTED"' "$WD_OUT")" "$((ROUNDS + 1))" "one DAEMON_STARTED per start"
n=$(grep -c '"type":"RECOVERY"' "$WD_OUT")
echo "note: $n RECOVERY record(s) after $ROUNDS kills"
if [ -e "$POLFILE" ]; then
    expect_exit 0 -- "$WARDEN" policy validate "$POLFILE"
fi
if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$OUT/wardend.log"; then
    wd_fail "wardend's stderr has a sanitizer report" "$(grep -m3 -E 'ERROR:|runtime error:' "$OUT/wardend.log")"
fi

finish
