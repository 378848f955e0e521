#!/usr/bin/env bash
# wardend_review.sh: the review gate in the daemon (issue 12, items 7, 8 and the reload half of
# 13), driving the real wardend over its Unix socket:
#   - a reviewed plugin whose separate policy file is widened after signing is refused on reload
#     and at start (WD-L024), and loads again once re-signed;
#   - each gate `warden plugin list` has is in warden.yaml and refuses in the daemon: trust with
#     review required (WD-L013) or optional, approved hashes (WD-L021), deny_imports (WD-L022);
#   - a contract, library, policy or contract directory another user can change is refused
#     (WD-L025), the rest of the tenant loads;
#   - a reload while the tenant's audit log refuses writes (segment made immutable; root and
#     chattr only) answers 409 and keeps the whole running state; the other tenant records
#     RELOAD_FAILED.
# Needs curl and python3. Run from the sanitizer build as well: wardend's stderr must stay free
# of sanitizer reports.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"
# shellcheck source=lib/wardend.sh
source "$WD_LIB_DIR/wardend.sh"

ST="$WD_TMP/state"
OUT="$WD_TMP/out"
mkdir -p "$ST/run" "$ST/contracts" "$ST/other/contracts" "$OUT"
chmod 755 "$ST" "$ST/run"
SOCK="$ST/run/wardend.sock"
CFG="$ST/warden.yaml"
ME=$(id -u)
OTHER_UID=65534
[ "$ME" = 65534 ] && OTHER_UID=65533
audit_keygen "$ST/keys"
audit_keygen "$ST/other/keys"
for p in wordcount reader; do
    cp -r "$EX/$p" "$ST/contracts/$p"
done
chmod -R go-w "$ST/contracts"
WC="$ST/contracts/wordcount"
RD="$ST/contracts/reader"
expect_exit 0 -- "$WARDEN" plugin keygen --dir "$ST/reviewer"
mkdir -p "$ST/trust"
cp "$ST/reviewer/reviewer.pub" "$ST/trust/alice.pub"
for p in "$WC" "$RD"; do
    expect_exit 0 -- "$WARDEN" plugin sign "$p/contract.yaml" --key "$ST/reviewer/reviewer.key"
done
cp "$RD/policy.yaml" "$OUT/reader-policy.reviewed"

# write_config [TENANT LINES...]: the configuration (atomically), extra lines for tenant demo.
write_config() {
    {
        printf 'version: 1\nlisten:\n  unix: %s\n  mode: "0660"\n' "$SOCK"
        printf 'tenants:\n  - name: demo\n    contracts: [contracts]\n'
        printf '    policies: policies\n    audit: {log: audit, keys: keys}\n'
        local line
        for line in "$@"; do
            printf '    %s\n' "$line"
        done
        printf '    clients:\n      - {uid: %s, role: admin}\n' "$ME"
        printf '  - name: other\n    contracts: [other/contracts]\n    policies: other/policies\n'
        printf '    audit: {log: other/audit, keys: other/keys}\n'
        printf '    clients:\n      - {uid: %s, role: reader}\n' "$OTHER_UID"
    } >"$CFG.tmp"
    mv "$CFG.tmp" "$CFG"
}

HTTP=""
api() { # METHOD PATH [CURL ARGS...]: body to stdout ($WD_OUT), status to $HTTP
    local method=$1 path=$2
    shift 2
    WD_LAST_CMD="curl -X $method $path"
    HTTP=$(curl -sS -m 20 -o "$WD_OUT" -w '%{http_code}' -X "$method" --unix-socket "$SOCK" \
        "$@" "http://wardend$path" 2>"$WD_ERR")
    WD_LAST_RC=$?
}
components() { # the ids of demo's components, sorted, one line
    curl -s -m 10 --unix-socket "$SOCK" http://wardend/v1/components |
        python3 -c 'import json,sys; print(" ".join(sorted(c["id"] for c in json.load(sys.stdin)["components"])))'
}
generation() {
    curl -s -m 5 --unix-socket "$SOCK" http://wardend/health |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])' 2>/dev/null
}
refusals() { # CODE PATH_PART: how many PLUGIN_REFUSED records of demo carry CODE for PATH_PART
    curl -s -m 10 --unix-socket "$SOCK" "http://wardend/v1/audit?type=PLUGIN_REFUSED&limit=10000" |
        python3 -c '
import json, sys
code, part = sys.argv[1], sys.argv[2]
print(sum(1 for r in json.load(sys.stdin)["records"]
          if r["details"].get("code") == code and part in r["details"].get("path", "")))' "$1" "$2"
}
reload() { # POST /v1/reload; the status in $HTTP
    api POST /v1/reload
}
stop_wardend() {
    kill -TERM "$WPID" 2>/dev/null
    for _ in $(seq 200); do
        kill -0 "$WPID" 2>/dev/null || break
        sleep 0.05
    done
    wait "$WPID" 2>/dev/null
    WPID=""
}
no_sanitizer_reports() {
    if grep -qE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$OUT/wardend.log"; then
        wd_fail "wardend's stderr has no sanitizer report ($1)" "$(grep -m3 -E 'ERROR:|runtime error:' "$OUT/wardend.log")"
    else
        wd_pass "wardend's stderr has no sanitizer report ($1)"
    fi
}

widen() { # POLICY: all of /etc readable as well
    sed -i 's|allow: \[|allow: [{uri: "fs:///etc/**", access: [read]}, |' "$1"
    grep -q 'fs:///etc/' "$1"
}

# ---- item 7: the signature covers the policy file -------------------------------------------
write_config "trust: trust"
start_wardend "$CFG"
wd_check $? "wardend starts with two reviewed plugins" "$(tail -5 "$OUT/wardend.log")"
expect_eq "$(components)" "examples.reader examples.wordcount" "both reviewed plugins load"
# The reviewed policy widened to all of /etc: the contract's bytes and its signature unchanged.
widen "$RD/policy.yaml"
expect_exit 1 -- "$WARDEN" plugin verify "$RD/contract.yaml" --trust "$ST/trust"
expect_stdout_contains "WD-L024"
reload
expect_eq "$HTTP" 200 "a reload with one plugin refused is a reload"
expect_eq "$(components)" "examples.wordcount" "the widened plugin is gone after the reload"
expect_eq "$(refusals WD-L024 reader/contract.yaml)" 1 "its refusal is recorded with WD-L024"
api POST /v1/check -H 'Content-Type: application/json' \
    --data-binary '{"component":"examples.reader","verb":"read","target":"/etc/passwd"}'
expect_eq "$HTTP" 404 "no decision is made for the refused plugin"
stop_wardend
# Nor does it load at start.
start_wardend "$CFG"
wd_check $? "wardend starts with the widened plugin refused" "$(tail -5 "$OUT/wardend.log")"
expect_eq "$(components)" "examples.wordcount" "the widened plugin is refused at start"
# Reviewed again and re-signed: it loads.
expect_exit 0 -- "$WARDEN" plugin sign "$RD/contract.yaml" --key "$ST/reviewer/reviewer.key"
reload
expect_eq "$HTTP" 200 "reload after re-signing"
expect_eq "$(components)" "examples.reader examples.wordcount" "re-signed, the plugin loads"
cp "$OUT/reader-policy.reviewed" "$RD/policy.yaml"
expect_exit 0 -- "$WARDEN" plugin sign "$RD/contract.yaml" --key "$ST/reviewer/reviewer.key"

# ---- item 8: the CLI's gate in warden.yaml ------------------------------------------------------
# an unsigned plugin: refused while review is required, loaded when it is optional
cp -r "$EX/wordcount" "$ST/contracts/unsigned"
chmod -R go-w "$ST/contracts/unsigned"
sed -i 's/^name: examples.wordcount$/name: examples.unsigned/' "$ST/contracts/unsigned/contract.yaml"
reload
expect_eq "$(components)" "examples.reader examples.wordcount" "review required: the unsigned plugin is refused"
expect_eq "$(refusals WD-L013 unsigned/contract.yaml)" 1 "the unsigned plugin's refusal: WD-L013"
write_config "trust: trust" "review_required: false"
reload
expect_eq "$HTTP" 200 "reload with review_required: false"
expect_eq "$(components)" "examples.reader examples.unsigned examples.wordcount" "review optional: the unsigned plugin loads"
# ... but a signature that is there must still hold, optional or not
widen "$RD/policy.yaml"
reload
expect_eq "$(components)" "examples.unsigned examples.wordcount" "review optional: a stale signature still refuses"
cp "$OUT/reader-policy.reviewed" "$RD/policy.yaml"
rm -r "$ST/contracts/unsigned"
# approved library hashes
printf '# approved\n%s  wordcount\n' "$(sed -n 's/^sha256: //p' "$WC/contract.yaml")" >"$ST/approved"
write_config "trust: trust" "approved: approved"
reload
expect_eq "$HTTP" 200 "reload with approved hashes"
expect_eq "$(components)" "examples.wordcount" "approved: the reader's library is not on the list"
expect_eq "$(refusals WD-L021 reader/contract.yaml)" 1 "the unapproved library's refusal: WD-L021"
# a deny list of imports (the reader reads files, wordcount does not)
write_config "trust: trust" "deny_imports: [read, system]"
reload
expect_eq "$HTTP" 200 "reload with deny_imports"
expect_eq "$(components)" "examples.wordcount" "deny_imports: the reader imports read"
expect_eq "$(refusals WD-L022 reader/contract.yaml)" 1 "the denied import's refusal: WD-L022"
# a configuration the gate cannot mean is refused whole, and the running state stays
write_config "review_required: true"
GEN=$(generation)
reload
expect_eq "$HTTP" 400 "review_required without trust: refused"
expect_stdout_contains "WD-C007"
expect_eq "$(generation)" "$GEN" "the refused configuration changed nothing"
expect_eq "$(components)" "examples.wordcount" "still the running state"

# files another user can change: each refused alone, naming the file, the rest loads
write_config "trust: trust"
reload
expect_eq "$(components)" "examples.reader examples.wordcount" "all gates open again"
n=0
for f in "$RD/contract.yaml" "$RD/libreader.so" "$RD/policy.yaml" "$RD"; do
    chmod o+w "$f"
    reload
    n=$((n + 1))
    expect_eq "$HTTP" 200 "reload with $f writable by others"
    expect_eq "$(components)" "examples.wordcount" "$f writable by others: the reader is refused"
    expect_eq "$(refusals WD-L025 reader/contract.yaml)" "$n" "refusal $n is WD-L025"
    api GET "/v1/audit?type=PLUGIN_REFUSED&limit=1&last=1"
    expect_stdout_contains "$f is writable by others"
    chmod o-w "$f"
done
chmod g+w "$ST/contracts"
reload
expect_eq "$(components)" "" "the contract root writable by its group: every plugin refused"
chmod g-w "$ST/contracts"
if [ "$ME" = 0 ]; then
    chown "$OTHER_UID" "$RD/policy.yaml"
    reload
    expect_eq "$(components)" "examples.wordcount" "a policy owned by another user is refused"
    api GET "/v1/audit?type=PLUGIN_REFUSED&limit=1&last=1"
    expect_stdout_contains "is owned by uid $OTHER_UID"
    chown 0 "$RD/policy.yaml"
fi
reload
expect_eq "$(components)" "examples.reader examples.wordcount" "everything put back: both load"
no_sanitizer_reports "the gates"

# ---- item 13: a reload while the audit log refuses writes -----------------------------------
SEG=$(audit_segments "$ST/audit" | tail -1)
if [ "$ME" = 0 ] && command -v chattr >/dev/null && chattr +i "$SEG" 2>/dev/null; then
    GEN=$(generation)
    "$WARDEN" audit show --log "$ST/other/audit" --json --type RELOAD_FAILED >"$OUT/failed0"
    OTHER_FAILED0=$(wc -l <"$OUT/failed0")
    reload
    expect_eq "$HTTP" 409 "a reload the log cannot record: 409"
    expect_stdout_contains '"code":"WD-A010"'
    expect_stdout_contains "the running one stays"
    expect_eq "$(generation)" "$GEN" "the failed reload kept the generation"
    expect_eq "$(components)" "examples.reader examples.wordcount" "the failed reload kept every component"
    kill -HUP "$WPID"
    sleep 0.5
    expect_eq "$(generation)" "$GEN" "SIGHUP: the same"
    expect_eq "$(components)" "examples.reader examples.wordcount" "SIGHUP: every component kept"
    kill -0 "$WPID" 2>/dev/null
    wd_check $? "wardend is still running"
    chattr -i "$SEG"
    stop_wardend
    expect_exit 0 -- "$WARDEN" audit show --log "$ST/other/audit" --json --type RELOAD_FAILED
    expect_stdout_lines $((OTHER_FAILED0 + 2))
    n=$(tail -n 2 "$WD_OUT" | grep -c "could not be written to the audit log")
    expect_eq "$n" 2 "the other tenant's log recorded both failed reloads, with the reason"
    no_sanitizer_reports "the failed reloads"
else
    echo "note: not root or no chattr here: skipping the reload under a failing log"
    stop_wardend
fi

finish
