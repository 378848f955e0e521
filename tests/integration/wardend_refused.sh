#!/usr/bin/env bash
# wardend_refused.sh: a contract the review gate refuses is named wherever an operator looks
# (issue 16), driving the real wardend over its Unix socket. One tenant holds one good contract
# and two bad ones (a library whose hash is not the contract's, a contract that is not YAML):
#   - at start, stderr names both, with their codes;
#   - --check-config names both and exits 1; with --allow-refused it exits 0 and still names
#     them; --allow-refused without --check-config is a usage error;
#   - /metrics has warden_contracts_refused{tenant="demo"} 2;
#   - one fixed and a reload: the answer (POST /v1/reload) lists the other alone, the gauge is 1,
#     stderr names it again and the SIGHUP line counts it;
#   - a refusal message carrying control characters reaches no output raw.
# Needs curl and python3.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"
# shellcheck source=lib/wardend.sh
source "$WD_LIB_DIR/wardend.sh"

ST="$WD_TMP/state"
OUT="$WD_TMP/out"
mkdir -p "$ST/run" "$ST/contracts" "$OUT"
chmod 755 "$ST" "$ST/run"
SOCK="$ST/run/wardend.sock"
CFG="$ST/warden.yaml"
ME=$(id -u)
audit_keygen "$ST/keys"
cp -r "$EX/wordcount" "$ST/contracts/wordcount"
cp -r "$EX/reader" "$ST/contracts/reader"
mkdir -p "$ST/contracts/broken"
printf 'name: acme.broken\ntype: [compute\n' >"$ST/contracts/broken/contract.yaml"
RD="$ST/contracts/reader/contract.yaml"
GOOD_SHA=$(sed -n 's/^sha256: //p' "$RD")
sed -i "s/^sha256: .*/sha256: $(printf '0%.0s' $(seq 64))/" "$RD"
chmod -R go-w "$ST/contracts"
{
    printf 'version: 1\nlisten:\n  unix: %s\n  mode: "0660"\n' "$SOCK"
    printf 'tenants:\n  - name: demo\n    contracts: [contracts]\n'
    printf '    policies: policies\n    audit: {log: audit, keys: keys}\n'
    printf '    clients:\n      - {uid: %s, role: admin}\n' "$ME"
} >"$CFG"

HTTP=""
api() { # METHOD PATH: body to $WD_OUT, status to $HTTP
    WD_LAST_CMD="curl -X $1 $2"
    HTTP=$(curl -sS -m 20 -o "$WD_OUT" -w '%{http_code}' -X "$1" --unix-socket "$SOCK" \
        "http://wardend$2" 2>"$WD_ERR")
    WD_LAST_RC=$?
}
gauge() { # the demo tenant's warden_contracts_refused
    curl -s -m 10 --unix-socket "$SOCK" http://wardend/metrics |
        sed -n 's/^warden_contracts_refused{tenant="demo"} //p'
}

# ---- --check-config ----------------------------------------------------------------------------
expect_exit 1 -- "$WARDEND" --config "$CFG" --check-config
expect_stderr_contains "wardend: tenant demo: contract $RD refused: WD-L009: "
expect_stderr_contains "wardend: tenant demo: contract $ST/contracts/broken/contract.yaml refused: WD-"
expect_stderr_contains "2 contracts refused (--allow-refused to accept)"
expect_stderr_not_contains "wordcount"
expect_stdout_empty
n=$(grep -c ' refused: WD-' "$WD_ERR")
expect_eq "$n" 2 "--check-config: one line per refused contract"
expect_exit 0 -- "$WARDEND" --config "$CFG" --check-config --allow-refused
expect_stdout_contains "valid (1 tenant, 2 contracts refused)"
expect_stderr_contains "contract $RD refused: WD-L009: "
expect_stderr_contains "contract $ST/contracts/broken/contract.yaml refused: WD-"
expect_exit 2 -- "$WARDEND" --config "$CFG" --allow-refused
# The check records nothing: no audit log was created by it.
expect_eq "$(find "$ST" -name 'audit-*' | wc -l)" 0 "--check-config wrote no audit log"

# ---- start --------------------------------------------------------------------------------------
if ! start_wardend "$CFG"; then
    cat "$OUT/wardend.log" >&2
    wd_fail "wardend did not start"
    finish
fi
wd_contains "$OUT/wardend.log" "wardend: tenant demo: contract $RD refused: WD-L009: "
wd_check $? "start: stderr names the hash mismatch" "$(cat "$OUT/wardend.log")"
wd_contains "$OUT/wardend.log" "wardend: tenant demo: contract $ST/contracts/broken/contract.yaml refused: WD-"
wd_check $? "start: stderr names the YAML error" "$(cat "$OUT/wardend.log")"
expect_eq "$(gauge)" 2 "/metrics: warden_contracts_refused 2"
curl -s -m 10 --unix-socket "$SOCK" http://wardend/metrics >"$OUT/metrics"
wd_contains "$OUT/metrics" "# TYPE warden_contracts_refused gauge"
wd_check $? "/metrics: the gauge is typed" ""

# ---- fix one, reload ----------------------------------------------------------------------------
chmod u+w "$RD"
sed -i "s/^sha256: .*/sha256: $GOOD_SHA/" "$RD"
chmod go-w "$RD"
api POST /v1/reload
expect_eq "$HTTP" 200 "reload: 200"
expect_json_eq 'd["status"]' reloaded
expect_json_eq 'd["tenant"]' demo
expect_json_eq 'len(d["refused"])' 1
expect_json_eq 'd["refused_total"]' 1
expect_json_eq 'd["refused"][0]["contract"]' "$ST/contracts/broken/contract.yaml"
expect_json_eq 'd["refused"][0]["code"].startswith("WD-L")' true
expect_json_eq 'len(d["refused"][0]["message"]) > 0' true
expect_eq "$(gauge)" 1 "/metrics after the fix: warden_contracts_refused 1"
n=$(grep -c "contract $ST/contracts/broken/contract.yaml refused" "$OUT/wardend.log")
expect_eq "$n" 2 "the reload named the refused contract on stderr again"
n=$(grep -c "contract $RD refused" "$OUT/wardend.log")
expect_eq "$n" 1 "the fixed contract is not named again"

# SIGHUP: the log line counts the refusals.
kill -HUP "$WPID"
for _ in $(seq 100); do
    grep -q "wardend: reloaded $CFG" "$OUT/wardend.log" && break
    sleep 0.05
done
wd_contains "$OUT/wardend.log" "wardend: reloaded $CFG (generation 3, 1 contract refused)"
wd_check $? "SIGHUP: the reload line counts the refused contract" "$(tail -n 3 "$OUT/wardend.log")"

# ---- hostile text: control characters in what a refusal quotes ---------------------------------
# A directory name is part of the path every refusal names.
BAD=$'ev\033[2Jil\nx'
mkdir -p "$ST/contracts/$BAD"
printf 'name: [\n' >"$ST/contracts/$BAD/contract.yaml"
chmod -R go-w "$ST/contracts"
expect_exit 1 -- "$WARDEND" --config "$CFG" --check-config
expect_stderr_contains 'ev\x1b[2Jil\x0ax/contract.yaml refused: WD-'
if grep -q $'\033' "$WD_ERR"; then
    wd_fail "--check-config: an escape character reached stderr raw"
else
    wd_pass "--check-config: control characters escaped"
fi
api POST /v1/reload
expect_eq "$HTTP" 200 "reload with a hostile name: 200"
expect_json_eq 'len(d["refused"])' 2
expect_json_eq '[r["contract"] for r in d["refused"] if "il" in r["contract"]][0].endswith("ev\\x1b[2Jil\\x0ax/contract.yaml")' true
if grep -q $'\033' "$OUT/wardend.log"; then
    wd_fail "wardend: an escape character reached the journal raw"
else
    wd_pass "wardend: control characters escaped in the journal"
fi

finish
