#!/usr/bin/env bash
# lockdown_cli.sh: `warden check --baseline M --pubkey P` (issue 6, lockdown part): a tampered
# baseline refuses to start; a running checker goes into lockdown within a second of any
# change to a baselined file (edit, replace, rename, delete, chmod, a file added), denies
# everything from then on with the reason, and writes a CRITICAL record.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"
trap 'find "$WD_TMP" -name "audit-*.jsonl*" -exec chattr -a {} + >/dev/null 2>&1; rm -rf "$WD_TMP"' EXIT

KEYS="$WD_TMP/keys"
audit_keygen "$KEYS"
C="$WD_TMP/conf"
M="$WD_TMP/baseline"
PUB="$KEYS/signing.pub"
Q="read /srv/tool/workspace/x"
fresh() {
    rm -rf "$C" "$M"
    mkdir -p "$C/more"
    cp "$WD_SOURCE_DIR/examples/policies/agent-tool.yaml" "$C/policy.yaml"
    echo "other: 1" >"$C/more/other.yaml"
    "$WARDEN" integrity baseline --manifest "$M" --keys "$KEYS" "$C" >/dev/null
}
CHECK=("$WARDEN" check --policy "$C/policy.yaml" --data-dir /srv/tool --baseline "$M" --pubkey "$PUB")

# ---- start-up --------------------------------------------------------------------------------
fresh
expect_exit 0 -- "${CHECK[@]}" read /srv/tool/workspace/x
expect_stdout_contains "allow read /srv/tool/workspace/x"
expect_exit 2 -- "$WARDEN" check --policy "$C/policy.yaml" --baseline "$M" read /x
echo "# tampered" >>"$C/policy.yaml"
expect_exit 2 -- "${CHECK[@]}" read /srv/tool/workspace/x
expect_stderr_contains "refusing to start"
expect_stderr_contains "WD-T004"
expect_stdout_empty

# ---- a running checker: lockdown within a second of any change -----------------------------------
# live DESCRIPTION COMMAND...: starts a checker on a fresh tree, asks once (allowed), runs
# COMMAND, then asks every 50 ms for up to a second until the answer is a lockdown denial.
live() {
    local what=$1 line="" i
    shift
    fresh
    rm -rf "$WD_TMP/log"
    coproc CK { "${CHECK[@]}" --batch - --audit-log "$WD_TMP/log" --audit-keys "$KEYS" 2>&1; }
    echo "$Q" >&"${CK[1]}"
    read -r -t 5 line <&"${CK[0]}"
    case "$line" in allow*) wd_pass "$what: allowed before" ;; *) wd_fail "$what: allowed before" "got: $line" ;; esac
    "$@"
    for i in $(seq 20); do
        echo "$Q" >&"${CK[1]}"
        read -r -t 5 line <&"${CK[0]}"
        case "$line" in *lockdown*) break ;; esac
        sleep 0.05
    done
    case "$line" in
    "deny $Q: lockdown: "*" changed") wd_pass "$what: lockdown within a second ($line)" ;;
    *) wd_fail "$what: lockdown within a second" "last answer: $line" ;;
    esac
    # ...and it stays: every later answer is the lockdown's denial.
    echo "connect api.example.com" >&"${CK[1]}"
    read -r -t 5 line <&"${CK[0]}"
    case "$line" in "deny connect api.example.com: lockdown: "*) wd_pass "$what: everything denied" ;; *) wd_fail "$what: everything denied" "got: $line" ;; esac
    exec {CK[1]}>&-
    wait "$CK_PID" 2>/dev/null
    run "$WARDEN" audit show --log "$WD_TMP/log" --json --type INTEGRITY_LOCKDOWN
    expect_stdout_contains '"severity":"CRITICAL"'
}
live edit sed -i 's/read/read/' "$C/policy.yaml"
live append sh -c "echo '# x' >> '$C/policy.yaml'"
live replace sh -c "cp '$C/policy.yaml' '$WD_TMP/p2' && mv '$WD_TMP/p2' '$C/policy.yaml'"
live rename mv "$C/more/other.yaml" "$C/more/renamed.yaml"
live delete rm "$C/more/other.yaml"
live chmod chmod 600 "$C/policy.yaml"
live add touch "$C/more/new.yaml"
# The whole tree swapped by renaming its parent's entry: the directories above are watched too.
live swap sh -c "mv '$C' '$C.old' && mkdir -p '$C/more' && cp '$C.old/policy.yaml' '$C/policy.yaml' && rm -rf '$C.old'"

finish
