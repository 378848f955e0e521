#!/usr/bin/env bash
# override_cli.sh: `warden override enroll|approve|id` and `warden check --overrides` (issue 6,
# first part): an approver enrolled from a URI/QR, a denied operation reporting its id, a code
# computed by oathtool (an independent RFC 6238 implementation) letting exactly that operation
# through once, replays and wrong codes refused and throttled, no defaults, everything audited
# and the code never written down.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"
trap 'find "$WD_TMP" -name "audit-*.jsonl*" -exec chattr -a {} + >/dev/null 2>&1; rm -rf "$WD_TMP"' EXIT

if ! command -v oathtool >/dev/null; then
    echo "note: oathtool is not installed (scripts/setup.sh installs it): skipping"
    exit 0
fi
OV="$WD_TMP/overrides"
KEYS="$WD_TMP/keys"
LOG="$WD_TMP/log"
AUDIT=(--audit-log "$LOG" --audit-keys "$KEYS")
audit_keygen "$KEYS"
POLICY="$WD_SOURCE_DIR/examples/policies/agent-tool.yaml"
CHECK=("$WARDEN" check --policy "$POLICY" --data-dir /srv/tool --overrides "$OV" --component tool)
TARGET=/srv/tool/workspace/app/.env

# ---- usage ------------------------------------------------------------------------------------
expect_exit 0 -- "$WARDEN" override --help
expect_stdout_contains "usage: warden override enroll --dir DIR --label NAME"
expect_exit 2 -- "$WARDEN" override
expect_exit 2 -- "$WARDEN" override frobnicate
expect_stderr_contains "unknown subcommand frobnicate"
expect_exit 2 -- "$WARDEN" override enroll --dir "$OV"
expect_exit 2 -- "$WARDEN" override enroll --dir "$OV" --label x --digits 9
expect_exit 2 -- "$WARDEN" override enroll --dir "$OV" --label x --algorithm MD5
expect_exit 2 -- "$WARDEN" check --policy "$POLICY" --overrides "$OV" write "$TARGET"
expect_exit 2 -- "$WARDEN" override approve --dir "$OV" --operation 0123456789abcdef0123456789abcdef --code 123456 --approver alice
expect_stderr_contains "approve needs --dir, --operation, --code, --approver and --justification"

# ---- enrolment --------------------------------------------------------------------------------
expect_exit 0 -- "$WARDEN" override enroll --dir "$OV" --label alice "${AUDIT[@]}"
expect_stdout_matches '^otpauth://totp/warden:alice\?secret=[A-Z2-7]{32}&issuer=warden&algorithm=SHA1&digits=6&period=30$'
expect_stdout_contains "█"
SECRET=$(grep -o 'secret=[A-Z2-7]*' "$WD_OUT" | cut -d= -f2)
expect_eq "$(stat -c %a "$OV/alice.totp")" 600 "the secret is 0600"
expect_eq "$(stat -c %a "$OV")" 700 "the override directory is 0700"
expect_exit 1 -- "$WARDEN" override enroll --dir "$OV" --label alice --no-qr
expect_stderr_contains "approver alice exists: never overwritten"
expect_exit 2 -- "$WARDEN" override enroll --dir "$OV" --label ../evil --no-qr
expect_exit 0 -- "$WARDEN" override enroll --dir "$OV" --label bob --algorithm SHA512 --digits 8 --issuer acme --no-qr
expect_stdout_contains "otpauth://totp/acme:bob?secret="
expect_stdout_contains "&algorithm=SHA512&digits=8&period=30"
expect_stdout_not_contains "█"

# ---- a denied operation reports its id ---------------------------------------------------------
OP=$("$WARDEN" override id --component tool write "$TARGET")
expect_exit 1 -- "${CHECK[@]}" write "$TARGET"
expect_stdout_contains "[deny fs://workspace/**/.env (read, write)]"
expect_stdout_contains "[operation $OP]"
expect_exit 1 -- "${CHECK[@]}" --json write "$TARGET"
expect_json_eq 'd["operation"]' "$OP"
expect_json_eq 'd["override"]' false

# ---- approval ----------------------------------------------------------------------------------
code_now() { oathtool -b --totp "$SECRET" "$@"; }
CODE=$(code_now)
APPROVE=("$WARDEN" override approve --dir "$OV" --approver alice --operation "$OP" "${AUDIT[@]}")
expect_exit 2 -- "${APPROVE[@]}" --code "$CODE" --justification ""
expect_exit 2 -- "${APPROVE[@]}" --code "$CODE" --justification "why" --ttl 2d
expect_exit 2 -- "$WARDEN" override approve --dir "$OV" --approver mallory --operation "$OP" --code "$CODE" --justification why
expect_stderr_contains "WD-O006"
# --code - reads it from standard input (never in the process list): nothing there is a usage
# error; a code there is used (mallory does not exist: WD-O006, as above).
expect_exit 2 -- bash -c '"$@" --code - --justification why </dev/null' _ "${APPROVE[@]}"
expect_stderr_contains "no code on standard input"
expect_exit 2 -- bash -c 'printf "%s\n" "$1" | "${@:2}" --code - --justification why' _ "$CODE" \
    "$WARDEN" override approve --dir "$OV" --approver mallory --operation "$OP"
expect_stderr_contains "WD-O006"
expect_exit 0 -- "${APPROVE[@]}" --code "$CODE" --justification "INC-7: rotate the leaked key" --ttl 5m
expect_stdout_contains "approved: operation $OP may run once within 300 s (approver alice)"
# The same code again: refused, and so is any code of an earlier step.
expect_exit 1 -- "${APPROVE[@]}" --code "$CODE" --justification "again"
expect_stderr_contains "WD-O002"
sleep 1.1 # past the throttle that failure started
expect_exit 1 -- "${APPROVE[@]}" --code "$(code_now --now "$(date -u -d '-30 sec' '+%Y-%m-%d %H:%M:%S')")" --justification "older"
expect_stderr_contains "WD-O002"
# A wrong code, then the throttle refuses even a good one.
sleep 2.1
WRONG=$([ "$(code_now)" = 000000 ] && echo 111111 || echo 000000)
expect_exit 1 -- "${APPROVE[@]}" --code "$WRONG" --justification "guess"
expect_stderr_contains "WD-O001"
expect_exit 1 -- "${APPROVE[@]}" --code "$(code_now --now "$(date -u -d '+30 sec' '+%Y-%m-%d %H:%M:%S')")" --justification "fast"
expect_stderr_contains "WD-O005"

# ---- the approval lets exactly that operation through, once --------------------------------------
expect_exit 1 -- "${CHECK[@]}" read "$TARGET"
expect_stdout_contains "deny read"
expect_exit 0 -- "${CHECK[@]}" write "$TARGET" "${AUDIT[@]}"
expect_stdout_contains "allow write $TARGET: override $OP approved by a human, used once"
expect_exit 1 -- "${CHECK[@]}" write "$TARGET" "${AUDIT[@]}"
expect_stdout_contains "[operation $OP]"

# ---- the audit log: every attempt, never the code -----------------------------------------------
expect_exit 0 -- "$WARDEN" audit verify --log "$LOG" --mac-key "$KEYS/mac.key" --pubkey "$KEYS/signing.pub"
records=$("$WARDEN" audit show --log "$LOG" --json | python3 -c '
import json, sys
for line in sys.stdin:
    t = json.loads(line)["type"]
    if t not in ("CHECKPOINT", "LOG_START"):
        print(t)' | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
expect_eq "$records" "DECISION=2 OVERRIDE_APPROVED=1 OVERRIDE_ENROLLED=1 OVERRIDE_REFUSED=4 OVERRIDE_USED=1 " "one record per attempt"
! grep -rqF "\"$CODE\"" "$LOG"
wd_check $? "the accepted code is nowhere in the audit log"

finish
