#!/usr/bin/env bash
# integrity_cli.sh: `warden integrity baseline|verify|lock|unlock` (issue 6, integrity part):
# a signed baseline of a configuration tree; every kind of change found and named (edit,
# replace, delete, rename, chmod, symlink swap, an added file); a baseline swapped or edited
# refused before anything in it is read; locking and unlocking; the audit records.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"
C="$WD_TMP/conf"
cleanup() {
    chattr -R -i "$C" >/dev/null 2>&1
    find "$WD_TMP" -name "audit-*.jsonl*" -exec chattr -a {} + >/dev/null 2>&1
    rm -rf "$WD_TMP"
}
trap cleanup EXIT

KEYS="$WD_TMP/keys"
OTHER="$WD_TMP/other-keys"
LOG="$WD_TMP/log"
AUDIT=(--audit-log "$LOG" --audit-keys "$KEYS")
audit_keygen "$KEYS"
audit_keygen "$OTHER"
M="$WD_TMP/conf.manifest"
PUB="$KEYS/signing.pub"
fresh_tree() {
    chattr -R -i "$C" >/dev/null 2>&1
    rm -rf "$C"
    mkdir -p "$C/policies" "$C/contracts/acme"
    printf 'version: "1.0"\n' >"$C/policies/a.yaml"
    printf 'version: "1.0"\ndescription: b\n' >"$C/policies/b.yaml"
    printf 'name: acme.x\n' >"$C/contracts/acme/contract.yaml"
    chmod 640 "$C/policies/b.yaml"
    rm -f "$M"
    "$WARDEN" integrity baseline --manifest "$M" --keys "$KEYS" "$C" >/dev/null
}

# ---- usage --------------------------------------------------------------------------------------
expect_exit 0 -- "$WARDEN" integrity --help
expect_stdout_contains "usage: warden integrity baseline --manifest FILE --keys DIR PATH..."
expect_exit 2 -- "$WARDEN" integrity
expect_exit 2 -- "$WARDEN" integrity baseline --manifest "$M" --keys "$KEYS"
expect_exit 2 -- "$WARDEN" integrity verify --manifest "$M"
expect_exit 2 -- "$WARDEN" integrity verify --manifest "$M" --pubkey "$PUB" extra
expect_exit 2 -- "$WARDEN" integrity frob --manifest "$M" --pubkey "$PUB"

# ---- a baseline, intact -------------------------------------------------------------------------
fresh_tree
rm -f "$M"
expect_exit 0 -- "$WARDEN" integrity baseline --manifest "$M" --keys "$KEYS" "$C" "${AUDIT[@]}"
expect_stdout_line 1 "baseline of 3 files signed: $M"
expect_eq "$(stat -c %a "$M")" 444 "the manifest is read-only"
expect_exit 0 -- "$WARDEN" integrity verify --manifest "$M" --pubkey "$PUB"
expect_stdout_line 1 "intact: 3 files match the signed baseline"
# No key, no baseline: there is no default.
expect_exit 2 -- "$WARDEN" integrity baseline --manifest "$WD_TMP/x.manifest" --keys "$WD_TMP/nokeys" "$C"
# A symbolic link is not baselined, nor is a manifest inside what it describes.
ln -s "$C/policies" "$WD_TMP/link"
expect_exit 2 -- "$WARDEN" integrity baseline --manifest "$WD_TMP/y.manifest" --keys "$KEYS" "$WD_TMP/link"
expect_stderr_contains "WD-T003"
expect_exit 2 -- "$WARDEN" integrity baseline --manifest "$C/policies/a.yaml" --keys "$KEYS" "$C"
expect_stderr_contains "the manifest lies inside what it describes"
# ...also when it does not exist yet.
expect_exit 2 -- "$WARDEN" integrity baseline --manifest "$C/policies/new.manifest" --keys "$KEYS" "$C"
expect_stderr_contains "the manifest lies inside what it describes"
[ ! -e "$C/policies/new.manifest" ]
wd_check $? "no manifest was written inside the tree"

# ---- every kind of change is found and named ------------------------------------------------------
tamper() { # DESCRIPTION EXPECTED-LINE COMMAND...
    local what=$1 line=$2
    shift 2
    fresh_tree
    "$@"
    expect_exit 1 -- "$WARDEN" integrity verify --manifest "$M" --pubkey "$PUB"
    expect_stdout_contains "$line"
    expect_stderr_contains "WD-T004"
}
tamper edit "modified: $C/policies/a.yaml" sed -i 's/1.0/1.1/' "$C/policies/a.yaml"
tamper append "modified: $C/policies/a.yaml" sh -c "echo '# x' >> '$C/policies/a.yaml'"
tamper replace "modified: $C/policies/a.yaml" sh -c "printf 'version: \"1.0\"\n' > '$WD_TMP/n' && printf 'version: \"2.0\"\n' > '$WD_TMP/n' && mv '$WD_TMP/n' '$C/policies/a.yaml'"
tamper delete "missing: $C/policies/b.yaml" rm "$C/policies/b.yaml"
tamper rename "missing: $C/policies/b.yaml" mv "$C/policies/b.yaml" "$C/policies/b.yml"
tamper rename-added "added: $C/policies/b.yml" mv "$C/policies/b.yaml" "$C/policies/b.yml"
tamper chmod "permissions loosened: $C/policies/b.yaml" chmod 666 "$C/policies/b.yaml"
tamper symlink "replaced by a symbolic link: $C/policies/a.yaml" sh -c "rm '$C/policies/a.yaml' && ln -s /etc/hostname '$C/policies/a.yaml'"
tamper add "added: $C/contracts/acme/evil.yaml" touch "$C/contracts/acme/evil.yaml"
tamper dir "replaced by another kind of file: $C/contracts/acme" sh -c "rm -r '$C/contracts/acme' && touch '$C/contracts/acme'"
# Tightening permissions is no problem (that is what locking does).
fresh_tree
chmod 400 "$C/policies/a.yaml"
expect_exit 0 -- "$WARDEN" integrity verify --manifest "$M" --pubkey "$PUB"

# ---- the baseline itself: swapped or edited, refused before anything is read ---------------------
fresh_tree
sed -i 's/1.0/1.1/' "$C/policies/a.yaml"
# An attacker re-baselines the changed files with a key of their own: refused.
chmod 644 "$M"
rm -f "$M"
"$WARDEN" integrity baseline --manifest "$M" --keys "$OTHER" "$C" >/dev/null
expect_exit 1 -- "$WARDEN" integrity verify --manifest "$M" --pubkey "$PUB"
expect_stderr_contains "WD-T002"
expect_stdout_empty
# ...or edits the hash in the signed manifest: refused.
fresh_tree
sed -i 's/1.0/1.1/' "$C/policies/a.yaml"
new=$(sha256sum <"$C/policies/a.yaml" | cut -c1-64)
chmod 644 "$M"
python3 - "$M" "$C/policies/a.yaml" "$new" <<'PY'
import sys
m, path, new = sys.argv[1:4]
lines = open(m).read().split("\n")
out = []
for l in lines:
    p = l.split(" ")
    if l.startswith("file ") and l.endswith(" " + path):
        p[1] = new
    out.append(" ".join(p))
open(m, "w").write("\n".join(out))
PY
expect_exit 1 -- "$WARDEN" integrity verify --manifest "$M" --pubkey "$PUB"
expect_stderr_contains "WD-T002: the signature does not verify"
printf 'garbage\n' >"$M"
expect_exit 2 -- "$WARDEN" integrity verify --manifest "$M" --pubkey "$PUB"
expect_stderr_contains "WD-T001"

# ---- lock and unlock ----------------------------------------------------------------------------
fresh_tree
expect_exit 0 -- "$WARDEN" integrity lock --manifest "$M" --pubkey "$PUB" "${AUDIT[@]}"
expect_stdout_contains "locked: $M"
expect_eq "$(stat -c %a "$C/policies/b.yaml")" 440 "b.yaml lost its write bit (640 -> 440)"
expect_eq "$(stat -c %a "$C/policies/a.yaml")" 444 "a.yaml is read-only"
expect_exit 0 -- "$WARDEN" integrity verify --manifest "$M" --pubkey "$PUB"
if lsattr -d "$C/policies/a.yaml" 2>/dev/null | cut -d' ' -f1 | grep -q i; then
    ! sh -c "echo x >> '$C/policies/a.yaml'" 2>/dev/null
    wd_check $? "an immutable file refuses even root's write"
    ! touch "$C/policies/new.yaml" 2>/dev/null
    wd_check $? "an immutable directory refuses a new file"
else
    echo "note: no immutable attribute on this filesystem: locking is read-only permissions only"
fi
expect_exit 0 -- "$WARDEN" integrity unlock --manifest "$M" --pubkey "$PUB" "${AUDIT[@]}"
expect_eq "$(stat -c %a "$C/policies/b.yaml")" 640 "unlock restores the baseline's mode"
echo x >>"$C/policies/a.yaml"
wd_check $? "an unlocked file can be changed again"
# A file swapped for a link is never chmod-ed through it: unlock stops and the target keeps its
# mode (a 0600 secret must not become readable).
fresh_tree
echo "secret" >"$WD_TMP/secret"
chmod 600 "$WD_TMP/secret"
expect_exit 0 -- "$WARDEN" integrity lock --manifest "$M" --pubkey "$PUB"
chattr -i "$C/policies" "$C/policies/a.yaml" >/dev/null 2>&1
chmod u+w "$C/policies"
rm -f "$C/policies/a.yaml"
ln -s "$WD_TMP/secret" "$C/policies/a.yaml"
expect_exit 1 -- "$WARDEN" integrity unlock --manifest "$M" --pubkey "$PUB"
expect_stderr_contains "not the file the baseline describes"
expect_eq "$(stat -c %a "$WD_TMP/secret")" 600 "the link's target kept its mode"
chattr -R -i "$C" >/dev/null 2>&1
fresh_tree
expect_exit 0 -- "$WARDEN" integrity unlock --manifest "$M" --pubkey "$PUB"
echo x >>"$C/policies/a.yaml"
# A tree that does not match is never locked.
expect_exit 1 -- "$WARDEN" integrity lock --manifest "$M" --pubkey "$PUB"
expect_stdout_contains "modified: $C/policies/a.yaml"

# ---- a failed verification is a CRITICAL record ---------------------------------------------------
fresh_tree
echo x >>"$C/policies/a.yaml"
expect_exit 1 -- "$WARDEN" integrity verify --manifest "$M" --pubkey "$PUB" "${AUDIT[@]}"
expect_exit 0 -- "$WARDEN" audit show --log "$LOG" --json --type INTEGRITY_MISMATCH
expect_stdout_contains '"severity":"CRITICAL"'
expect_stdout_contains '"problems":1'

# ---- the audit log ------------------------------------------------------------------------------
expect_exit 0 -- "$WARDEN" audit show --log "$LOG" --json
for t in BASELINE_CREATED INTEGRITY_LOCKED INTEGRITY_UNLOCKED; do
    expect_stdout_contains "\"type\":\"$t\""
done

finish
