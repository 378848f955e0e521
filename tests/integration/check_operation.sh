#!/usr/bin/env bash
# check_operation.sh: `warden check-operation` (issue 6, protected paths): refusing to change
# warden's own files, reached directly, through "..", "//", ".", absolute, relative, chained and
# dangling symbolic links; a link loop refused (fail closed); reads never refused; what is not
# protected allowed; --json; usage.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

P="$WD_TMP/protected"
mkdir -p "$P/policies" "$WD_TMP/work"
echo 'version: "1.0"' >"$P/policies/a.yaml"
CO=("$WARDEN" check-operation --protect "$P" --protect "$WD_TMP/**/*.key")

expect_exit 0 -- "$WARDEN" check-operation --help
expect_stdout_contains "usage: warden check-operation --type TYPE"
expect_exit 2 -- "$WARDEN" check-operation --type write
expect_exit 2 -- "$WARDEN" check-operation --type frob "$P/x"
expect_stderr_contains "unknown --type frob"
expect_exit 2 -- "$WARDEN" check-operation "$P/x"
expect_exit 2 -- "$WARDEN" check-operation --type write --protect relative/path "$P/x"

refused() { # TYPE PATH [RESOLVES-TO]
    expect_exit 1 -- "${CO[@]}" --type "$1" "$2"
    expect_stdout_contains "refused $1"
    expect_stdout_contains "protected path ($P"
    if [ -n "${3:-}" ]; then
        expect_stdout_contains "resolves to $3"
    fi
}
allowed() { # TYPE PATH
    expect_exit 0 -- "${CO[@]}" --type "$1" "$2"
    expect_stdout_contains "allowed $1"
}

for t in write edit create delete rename chmod chown truncate; do
    refused "$t" "$P/policies/a.yaml"
done
refused write "$P"                                     # the directory itself
refused create "$P/policies/new.yaml"                  # does not exist yet
refused write "$WD_TMP/work/../protected/policies/a.yaml" "$P/policies/a.yaml"
refused write "$WD_TMP//protected///policies/./a.yaml" "$P/policies/a.yaml"
ln -s "$P/policies" "$WD_TMP/work/abs"
refused write "$WD_TMP/work/abs/a.yaml" "$P/policies/a.yaml"
ln -s ../protected "$WD_TMP/work/rel"
refused delete "$WD_TMP/work/rel/policies/a.yaml" "$P/policies/a.yaml"
ln -s "$WD_TMP/work/rel" "$WD_TMP/work/chain"
refused write "$WD_TMP/work/chain/policies/a.yaml" "$P/policies/a.yaml"
ln -s "$P/policies/not-yet.yaml" "$WD_TMP/work/dangling"
refused write "$WD_TMP/work/dangling" "$P/policies/not-yet.yaml"
ln -s "$WD_TMP/work/loop" "$WD_TMP/work/loop"
expect_exit 1 -- "${CO[@]}" --type write "$WD_TMP/work/loop/x"
expect_stdout_contains "a path whose symbolic links cannot be resolved"
# A link followed by "..": the kernel resolves the link first, then goes up from where it leads.
mkdir -p "$P/keys"
ln -s "$P/policies" "$WD_TMP/work/up"
refused write "$WD_TMP/work/up/../keys/signing.pem" "$P/keys/signing.pem"
# Operations on a directory above a protected path act on the protected path too.
for t in delete rename chmod chown; do
    expect_exit 1 -- "${CO[@]}" --type "$t" "$WD_TMP"
    expect_stdout_contains "refused $t $WD_TMP: protected path ($P)"
done
allowed write "$WD_TMP" # writing a directory's own entry list is not changing what lies below
expect_exit 0 -- "${CO[@]}" --type delete "$WD_TMP/work/free.yaml"
# The glob below: a directory anywhere under its literal part may hold matching files.
mkdir -p "$WD_TMP/srv/app"
expect_exit 1 -- "$WARDEN" check-operation --protect "$WD_TMP/srv/**/*.key" --type delete "$WD_TMP/srv/app"
expect_exit 0 -- "$WARDEN" check-operation --protect "$WD_TMP/srv/**/*.key" --type delete "$WD_TMP/other"

# The glob: any .key file anywhere below the temp dir.
expect_exit 1 -- "${CO[@]}" --type write "$WD_TMP/work/deep/er/signing.key"
expect_stdout_contains "protected path ($WD_TMP/**/*.key)"

# Not protected: reads of anything, and changes elsewhere. Case is the filesystem's: on a
# case-sensitive one, PROTECTED is another directory.
allowed read "$P/policies/a.yaml"
allowed write "$WD_TMP/work/free.yaml"
allowed write "$WD_TMP/PROTECTED/a.yaml"
allowed write "$WD_TMP/protected-not/a.yaml"

# Several files: exit 1 when any is refused, one line each; --json.
expect_exit 1 -- "${CO[@]}" --type write "$WD_TMP/work/free.yaml" "$P/policies/a.yaml"
expect_stdout_lines 2
expect_exit 1 -- "${CO[@]}" --type write --json "$WD_TMP/work/abs/a.yaml"
expect_json_eq 'd["refused"]' true
expect_json_eq 'd["resolved"]' "$P/policies/a.yaml"
expect_json_eq 'd["protected_by"]' "$P"

# The defaults, without --protect.
expect_exit 1 -- "$WARDEN" check-operation --type write /etc/warden/policy.yaml
expect_stdout_contains "protected path (/etc/warden)"
expect_exit 0 -- "$WARDEN" check-operation --type write /etc/wardenx/policy.yaml

# ---- warden check --protect: decisions deny changes there, whatever the policy grants ----------
cat >"$WD_TMP/policy.yaml" <<YAML
version: "1.0"
permissions:
  storage:
    allow:
      - uri: "fs://$WD_TMP/**"
        access: [read, write]
      - uri: "fs://$P/policies"
        access: [write]
YAML
CK=("$WARDEN" check --policy "$WD_TMP/policy.yaml" --protect "$P")
expect_exit 1 -- "${CK[@]}" write "$P/policies/a.yaml"
expect_stdout_contains "deny write $P/policies/a.yaml: a protected path ($P): no policy grants changing warden's own files"
expect_stderr_contains "policy.yaml:7:9: warning WD-W002: allow fs://$P/policies (write) grants changes on a protected path ($P)"
expect_exit 1 -- "${CK[@]}" create "$WD_TMP/work/abs/new.yaml"
expect_exit 1 -- "${CK[@]}" delete "$WD_TMP/work/../protected/policies/a.yaml"
expect_exit 0 -- "${CK[@]}" read "$P/policies/a.yaml"
expect_exit 0 -- "${CK[@]}" write "$WD_TMP/work/free.yaml"
# Without --protect the same policy allows it: the protection is what denies.
expect_exit 0 -- "$WARDEN" check --policy "$WD_TMP/policy.yaml" write "$P/policies/a.yaml"

finish
