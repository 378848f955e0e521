#!/usr/bin/env bash
# policy_store_cli.sh: `warden policy grant|revoke|reset --store DIR --component ID` (issue 4,
# "Policies at run time"). Each change is validated, written atomically, persisted per component
# (STORE/components/ID.yaml), audited with --audit-log, and takes effect for the next decision
# (`warden check --policy STORE/components/ID.yaml`); a refused change leaves the file byte for
# byte as it was; a component without a policy of its own starts from STORE/defaults/TYPE.yaml;
# a crash (kill -9) leaves the old or the new file, never a mix.
# Exit status: 0 done, 1 refused (invalid, or nothing to revoke), 2 usage/error.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"
# shellcheck source=lib/plugin.sh
source "$WD_LIB_DIR/plugin.sh"
plugin_cleanup_on_exit

S="$WD_TMP/store"
D="$WD_TMP/data"
COMP=acme.files
F="$S/components/$COMP.yaml"
mkdir -p "$D"

# change VERB ARGS...: warden policy VERB --store S --component COMP --data-dir D ARGS, expected
# to succeed ("COMP: VERB done") and to leave a valid policy file.
change() {
    local verb=$1
    shift
    expect_exit 0 -- "$WARDEN" policy "$verb" --store "$S" --component "$COMP" --data-dir "$D" "$@"
    expect_stdout_line 1 "$COMP: $verb done"
    expect_stdout_lines 1
}

# refused CODE VERB ARGS...: the change is refused with CODE, and F is byte for byte unchanged
# (or still absent).
refused() {
    local code=$1 verb=$2 before
    shift 2
    before=$(plugin_file_state "$F")
    expect_exit "$code" -- "$WARDEN" policy "$verb" --store "$S" --component "$COMP" --data-dir "$D" "$@"
    expect_stdout_empty
    expect_eq "$(plugin_file_state "$F")" "$before" "$(wd_show_cmd policy "$verb" "$@"): the policy file is unchanged"
}

# decide EXPECT VERB TARGET [POLICY]: the next decision under the component's policy.
decide() {
    local expect=$1 verb=$2 target=$3 policy=${4:-$F} code
    code=$([ "$expect" = allow ] && echo 0 || echo 1)
    expect_exit "$code" -- "$WARDEN" check --policy "$policy" --data-dir "$D" "$verb" "$target"
    expect_stdout_first_word "$expect"
}

valid_file() {
    expect_exit 0 -- "$WARDEN" policy validate "$F"
    expect_stdout_matches '^.*: valid \('
}

# ---- grants: storage (relative and absolute URIs), network, env; each in force at once -------------

[ ! -e "$F" ]
wd_check $? "no component policy before the first grant" "$F exists"
expect_exit 2 -- "$WARDEN" check --policy "$F" --data-dir "$D" read "$D/workspace/x"

change grant storage 'fs://workspace/**' read
[ -f "$F" ]
wd_check $? "the first grant creates STORE/components/ID.yaml" "$F is missing"
valid_file
decide allow read "$D/workspace/notes.txt"
decide allow read "$D/workspace/a/b/c"
decide deny write "$D/workspace/notes.txt"
decide deny read "$D/elsewhere/x"
decide deny read "$WD_TMP/workspace/x"
# the same URI again: merged into the one rule
change grant storage 'fs://workspace/**' write
n=$(grep -c 'workspace/\*\*"' "$F")
expect_eq "$n" 1 "a second storage grant for the same URI is merged into its rule"
decide allow write "$D/workspace/notes.txt"
decide allow create "$D/workspace/new"
decide allow delete "$D/workspace/old"
decide allow read "$D/workspace/notes.txt"
decide deny execute "$D/workspace/tool"
# absolute URIs
change grant storage 'fs:///srv/logs/*.log' read
decide allow read /srv/logs/app.log
decide deny read /srv/logs/app.txt
decide deny write /srv/logs/app.log
change grant storage 'fs:///opt/tools/bin' execute,read
decide allow execute /opt/tools/bin/x
decide allow read /opt/tools/bin
decide deny write /opt/tools/bin/x
# a relative --store is resolved against the working directory
expect_exit 0 -- bash -c 'cd "$1" && exec "$2" policy grant --store store --component "$3" --data-dir data storage fs://cache read' _ "$WD_TMP" "$WARDEN" "$COMP"
decide allow read "$D/cache"
decide deny read "$WD_TMP/store/cache"
# network: a host, a scheme://host, IPv4 and IPv6 CIDRs, a bracketed IPv6 literal, host:port
change grant network api.example.com
decide allow connect api.example.com
decide allow connect API.Example.COM
decide deny connect evil.example.com
decide deny connect x.api.example.com
change grant network https://secure.example.com
decide allow connect https://secure.example.com
decide deny connect http://secure.example.com
change grant network 10.0.0.0/8
decide allow connect 10.1.2.3
decide allow connect 10.255.0.1:8080
decide deny connect 11.0.0.1
change grant network '[2001:db8::1]'
decide allow connect '[2001:db8::1]:443'
decide allow connect 2001:db8::1
decide deny connect 2001:db8::2
change grant network fd00::/8
decide allow connect fd12::1
decide deny connect fe00::1
change grant network db.example.org:5432
decide allow connect db.example.org:5432
decide deny connect db.example.org:5433
change grant network '*.cdn.example.net'
decide allow connect a.b.cdn.example.net
decide deny connect cdn.example.net
# environment
change grant env PATH
decide allow env PATH
decide deny env path
change grant env DATABASE_URL
decide allow env DATABASE_URL
decide deny env HOME
valid_file
# granting what is already there changes nothing in force, and duplicates nothing
before=$(plugin_file_state "$F")
change grant env PATH
change grant network api.example.com
expect_eq "$(plugin_file_state "$F")" "$before" "re-granting an existing env key and host leaves the file as it was"
n=$(grep -c '"PATH"' "$F")
expect_eq "$n" 1 "one rule for PATH after granting it twice"
# --data-dir is only where relative URIs point: without it, the store's directory
S2="$WD_TMP/store2"
expect_exit 0 -- "$WARDEN" policy grant --store "$S2" --component rel storage fs://files read
expect_exit 0 -- "$WARDEN" check --policy "$S2/components/rel.yaml" --data-dir "$S2" read "$S2/files/x"
expect_stdout_first_word allow

# ---- revokes ------------------------------------------------------------------------------------------

# one access of a URI: write takes the create and delete it implied with it
change revoke storage 'fs://workspace/**' write
decide allow read "$D/workspace/notes.txt"
decide deny write "$D/workspace/notes.txt"
decide deny create "$D/workspace/new"
decide deny delete "$D/workspace/old"
valid_file
# one of two accesses
change revoke storage 'fs:///opt/tools/bin' execute
decide deny execute /opt/tools/bin/x
decide allow read /opt/tools/bin
# a whole URI
change revoke storage 'fs:///srv/logs/*.log'
decide deny read /srv/logs/app.log
n=$(grep -c 'srv/logs' "$F")
expect_eq "$n" 0 "revoking a whole URI removes its rule"
# the last access of a URI removes the rule
change revoke storage 'fs:///opt/tools/bin' read
n=$(grep -c 'opt/tools' "$F")
expect_eq "$n" 0 "revoking the last access of a URI removes its rule"
decide deny read /opt/tools/bin
# hosts, CIDRs, keys: each as it was granted
change revoke network api.example.com
decide deny connect api.example.com
decide allow connect https://secure.example.com
change revoke network https://secure.example.com
decide deny connect https://secure.example.com
change revoke network 10.0.0.0/8
decide deny connect 10.1.2.3
change revoke network '[2001:db8::1]'
decide deny connect 2001:db8::1
decide allow connect fd12::1
change revoke env PATH
decide deny env PATH
decide allow env DATABASE_URL
valid_file
# what was granted can be revoked by the same text (a component of its own, so that a failure
# here cannot spill into the tests below): a host with a port, a host written with capitals
HF="$S/components/acme.hosts.yaml"
expect_exit 0 -- "$WARDEN" policy grant --store "$S" --component acme.hosts network db.example.org:5432
expect_exit 0 -- "$WARDEN" policy grant --store "$S" --component acme.hosts network Mixed.Example.COM
expect_exit 0 -- "$WARDEN" policy grant --store "$S" --component acme.hosts network keep.example.com
decide allow connect db.example.org:5432 "$HF"
decide allow connect mixed.example.com "$HF"
expect_exit 0 -- "$WARDEN" policy revoke --store "$S" --component acme.hosts network db.example.org:5432
decide deny connect db.example.org:5432 "$HF"
expect_exit 0 -- "$WARDEN" policy revoke --store "$S" --component acme.hosts network Mixed.Example.COM
decide deny connect mixed.example.com "$HF"
decide allow connect keep.example.com "$HF"

# revoking what is not there: exit 1, the file byte for byte as it was
refused 1 revoke env NOT_GRANTED
expect_stderr_contains "$COMP has no allow rule for NOT_GRANTED to revoke"
refused 1 revoke env PATH
refused 1 revoke network never.example.com
refused 1 revoke network 192.168.0.0/16
refused 1 revoke storage fs://never
refused 1 revoke storage 'fs:///srv/logs/*.log'
refused 1 revoke storage fs://never read
# an access the URI does not have: nothing to revoke
refused 1 revoke storage 'fs://workspace/**' write
refused 1 revoke storage 'fs://workspace/**' execute
decide allow read "$D/workspace/notes.txt"
# a component with no policy anywhere: nothing to revoke, and no file appears
before_list=$(find "$S" | sort)
expect_exit 1 -- "$WARDEN" policy revoke --store "$S" --component nobody env PATH
expect_eq "$(find "$S" | sort)" "$before_list" "revoking from a component without a policy creates nothing"

# ---- invalid grants: refused, the file byte for byte as it was -------------------------------------

refused 1 grant network 'a.*.com'
expect_stderr_contains "error WD-P021: "
refused 1 grant network 'user@host.example'
refused 1 grant network 'host.example:0'
refused 1 grant network '10.0.0.1/8'
expect_stderr_contains "error WD-P023: "
refused 1 grant network '10.0.0.0/33'
refused 1 grant network 'https://host.example/path'
refused 1 grant storage 'file:///etc/passwd' read
expect_stderr_contains "error WD-P015: "
refused 1 grant storage 'fs://work/../etc' read
expect_stderr_contains "error WD-P018: "
refused 1 grant storage 'fs:///a/b**' read
refused 1 grant env 'AWS_*'
expect_stderr_contains "error WD-P024: "
refused 1 grant env 'A=B'
refused 1 grant env 'HAS SPACE'
# a value with a line break (it could smuggle in YAML): refused before anything is rendered
refused 2 grant env $'line\nbreak'
expect_stderr_contains "warden: grant: a policy value is one line"
refused 2 grant network $'a.example.com\nb.example.com'
refused 2 grant storage $'fs://x\n  - uri: fs:///' read
refused 2 grant env $'KEY\r'
# usage errors: exit 2
for args in "storage fs://x" "storage fs://x fly" "storage fs://x read,fly" "env" "dns x.example.com" "env ''"; do
    eval "set -- $args"
    code=2
    before=$(plugin_file_state "$F")
    expect_exit "$code" -- "$WARDEN" policy grant --store "$S" --component "$COMP" "$@"
    expect_eq "$(plugin_file_state "$F")" "$before" "grant $args (usage error): the policy file is unchanged"
done
expect_exit 2 -- "$WARDEN" policy grant --store "$S" env X
expect_exit 2 -- "$WARDEN" policy grant --component "$COMP" env X
expect_exit 2 -- "$WARDEN" policy grant --store "$S" --component "$COMP" --type handler env X
expect_exit 2 -- "$WARDEN" policy reset --store "$S" --component "$COMP" extra
expect_exit 2 -- "$WARDEN" policy grant --store "$S" --component "$COMP" --frobnicate env X
# a refused first grant creates nothing
before_list=$(find "$S" | sort)
expect_exit 1 -- "$WARDEN" policy grant --store "$S" --component fresh env 'AWS_*'
expect_eq "$(find "$S" | sort)" "$before_list" "a refused first grant creates no file"
valid_file

# ---- component ids: the plugin id rules, never a path -----------------------------------------------

snapshot() {
    find "$WD_TMP" -path "$WD_TMP/.stdout" -prune -o -path "$WD_TMP/.stderr" -prune -o -print | sort
}
before_list=$(snapshot)
for bad in ../x ../../escape Upper .hidden a/b '' x/../../y "$WD_TMP/abs" 'sp ace' "$(printf 'a%.0s' $(seq 129))"; do
    expect_exit 2 -- "$WARDEN" policy grant --store "$S" --component "$bad" env HOME
    expect_stderr_contains "component id"
    expect_exit 2 -- "$WARDEN" policy revoke --store "$S" --component "$bad" env HOME
    expect_exit 2 -- "$WARDEN" policy reset --store "$S" --component "$bad"
done
expect_eq "$(snapshot)" "$before_list" "bad component ids create nothing, in the store or outside it"
# the longest id is fine
ID128="a$(printf 'b%.0s' $(seq 127))"
expect_exit 0 -- "$WARDEN" policy grant --store "$S" --component "$ID128" env HOME
[ -f "$S/components/$ID128.yaml" ]
wd_check $? "a 128-character component id names its file" "$S/components/$ID128.yaml is missing"

# ---- reset, and defaults per type --------------------------------------------------------------------

R="$WD_TMP/rstore"
mkdir -p "$R/defaults"
cat >"$R/defaults/compute.yaml" <<'EOF'
version: "1.0"
description: compute default
permissions:
  environment:
    allow:
      - key: DEFAULT_COMPUTE
  storage:
    allow:
      - uri: fs://shared/**
        access: [read]
EOF
cat >"$R/defaults/effect.yaml" <<'EOF'
version: "1.0"
permissions:
  network:
    allow:
      - host: effect.example.com
EOF
compute_default=$(plugin_file_state "$R/defaults/compute.yaml")
effect_default=$(plugin_file_state "$R/defaults/effect.yaml")
RC="$R/components/worker.yaml"
# the first grant starts from the type's default
expect_exit 0 -- "$WARDEN" policy grant --store "$R" --component worker --data-dir "$D" env MINE
decide allow env MINE "$RC"
decide allow env DEFAULT_COMPUTE "$RC"
decide allow read "$D/shared/a" "$RC"
decide deny connect effect.example.com "$RC"
expect_exit 0 -- "$WARDEN" policy grant --store "$R" --component worker --data-dir "$D" network own.example.com
# reset: the component's own policy is gone; the default is in force again
expect_exit 0 -- "$WARDEN" policy reset --store "$R" --component worker
expect_stdout_line 1 "worker: reset done"
[ ! -e "$RC" ]
wd_check $? "reset removes the component's own policy" "$RC still exists"
expect_exit 1 -- "$WARDEN" policy reset --store "$R" --component worker
expect_stderr_contains "worker has no policy of its own"
# the next change starts from defaults/compute.yaml again, not from what was there before
expect_exit 0 -- "$WARDEN" policy grant --store "$R" --component worker --data-dir "$D" env AFTER
decide allow env AFTER "$RC"
decide allow env DEFAULT_COMPUTE "$RC"
decide deny env MINE "$RC"
decide deny connect own.example.com "$RC"
# revoking from the default makes an own policy without it; the default itself is untouched
expect_exit 0 -- "$WARDEN" policy revoke --store "$R" --component other --data-dir "$D" env DEFAULT_COMPUTE
decide deny env DEFAULT_COMPUTE "$R/components/other.yaml"
decide allow read "$D/shared/x" "$R/components/other.yaml"
# --type effect: defaults/effect.yaml
expect_exit 0 -- "$WARDEN" policy grant --store "$R" --component sender --type effect --data-dir "$D" env SENDER
ES="$R/components/sender.yaml"
decide allow connect effect.example.com "$ES"
decide allow env SENDER "$ES"
decide deny env DEFAULT_COMPUTE "$ES"
expect_exit 0 -- "$WARDEN" policy reset --store "$R" --component sender --type effect
expect_exit 0 -- "$WARDEN" policy grant --store "$R" --component sender --type effect --data-dir "$D" env LATER
decide allow connect effect.example.com "$ES"
decide allow env LATER "$ES"
decide deny env SENDER "$ES"
# a type without a default: nothing but the grant
expect_exit 0 -- "$WARDEN" policy grant --store "$R" --component judge --type reducer env ONLY
decide allow env ONLY "$R/components/judge.yaml"
decide deny env DEFAULT_COMPUTE "$R/components/judge.yaml"
expect_eq "$(plugin_file_state "$R/defaults/compute.yaml")" "$compute_default" "changes never touch defaults/compute.yaml"
expect_eq "$(plugin_file_state "$R/defaults/effect.yaml")" "$effect_default" "changes never touch defaults/effect.yaml"

# ---- audit: every change recorded, the log verifies ----------------------------------------------

AK="$WD_TMP/akeys"
AL="$WD_TMP/alog"
audit_keygen "$AK"
A="$WD_TMP/astore"
AF="$A/components/audited.yaml"
# achange CODE VERB ARGS...
achange() {
    local code=$1 verb=$2
    shift 2
    expect_exit "$code" -- "$WARDEN" policy "$verb" --store "$A" --component audited --audit-log "$AL" --audit-keys "$AK" "$@"
}
achange 0 grant env AUDITED_KEY
achange 0 grant storage fs:///srv/data read,write
achange 0 grant network audit.example.com
achange 0 revoke storage fs:///srv/data write
achange 0 revoke network audit.example.com
achange 1 revoke env NOT_THERE
achange 1 grant env 'AWS_*'
achange 0 reset
achange 1 reset
expect_exit 0 -- "$WARDEN" audit verify --log "$AL" --mac-key "$AK/mac.key"
expect_stdout_matches '^intact: '
expect_exit 0 -- "$WARDEN" audit verify --log "$AL" --pubkey "$AK/signing.pub"
expect_exit 0 -- "$WARDEN" audit show --log "$AL" --component policy --json
python3 - "$WD_OUT" >"$WD_TMP/policy-records" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    if line.strip():
        d = json.loads(line)
        print("%s|%s|%s|%s" % (d["type"], d["severity"], d["details"].get("component"), d["details"].get("change")))
EOF
expect_eq "$(cat "$WD_TMP/policy-records")" "POLICY_GRANT|HIGH|audited|grant environment AUDITED_KEY
POLICY_GRANT|HIGH|audited|grant storage fs:///srv/data read write
POLICY_GRANT|HIGH|audited|grant network audit.example.com
POLICY_REVOKE|HIGH|audited|revoke storage fs:///srv/data write
POLICY_REVOKE|HIGH|audited|revoke network audit.example.com
POLICY_RESET|HIGH|audited|reset to the type's default" "one audit record per change made, none for refused ones"
# fail closed: no unaudited change
before=$(plugin_file_state "$AF")
expect_exit 2 -- "$WARDEN" policy grant --store "$A" --component audited --audit-log "$AL" env X
expect_eq "$(plugin_file_state "$AF")" "$before" "--audit-log without --audit-keys changes nothing"
AK2="$WD_TMP/akeys-other"
audit_keygen "$AK2"
expect_exit 2 -- "$WARDEN" policy grant --store "$A" --component audited --audit-log "$AL" --audit-keys "$AK2" env X
expect_stderr_contains "cannot open the audit log"
expect_eq "$(plugin_file_state "$AF")" "$before" "a log that cannot be opened: nothing changes"
expect_exit 0 -- "$WARDEN" audit verify --log "$AL" --mac-key "$AK/mac.key"

# ---- crash atomicity: kill -9 in the middle of a run of grants -------------------------------------

CS="$WD_TMP/cstore"
CF="$CS/components/crash.yaml"
CK="$WD_TMP/ckeys"
CL="$WD_TMP/clog"
audit_keygen "$CK"

# expected_file KEY...: the exact bytes warden renders for a policy of only these env keys
expected_file() {
    printf 'version: "1.0"\npermissions:\n  storage:\n    allow:\n    deny:\n  network:\n    allow:\n    deny:\n  environment:\n    allow:\n'
    local k
    for k in "$@"; do
        printf '    - key: "%s"\n' "$k"
    done
    printf '    deny:\n'
}

done_keys=() # every key of the completed rounds, in order
for round in 1 2 3; do
    progress="$WD_TMP/progress.$round"
    : >"$progress"
    setsid bash -c '
        for i in $(seq 1 200); do
            "$1" policy grant --store "$2" --component crash --audit-log "$3" --audit-keys "$4" env "R$5_K$i" >/dev/null 2>&1 || exit 1
            echo "$i" >>"$6"
        done' _ "$WARDEN" "$CS" "$CL" "$CK" "$round" "$progress" &
    loop=$!
    # at least one grant of this round, then a random moment
    for _ in $(seq 1 400); do
        [ -s "$progress" ] && break
        sleep 0.02
    done
    sleep "0.$(printf '%03d' $((RANDOM % 400)))"
    kill -9 -- "-$loop" 2>/dev/null
    wait "$loop" 2>/dev/null
    last=$(tail -n 1 "$progress")
    last=${last:-0}
    [ "$last" -lt 200 ]
    wd_check $? "round $round: the kill interrupted the run of grants" "all 200 grants finished first"
    # the file loads, and is exactly the state before or after the grant that was interrupted
    expect_exit 0 -- "$WARDEN" policy validate "$CF"
    state=none
    for n in "$last" $((last + 1)); do
        keys=("${done_keys[@]}")
        for ((i = 1; i <= n; i++)); do
            keys+=("R${round}_K$i")
        done
        if cmp -s "$CF" <(expected_file "${keys[@]}"); then
            state=$n
        fi
    done
    [ "$state" != none ]
    wd_check $? "round $round: killed after $last logged grants, the file is the state before or after the next one" \
        "the file matches neither $last nor $((last + 1)) grants of round $round: $(tail -c 200 "$CF" | tr '\n' '|')"
    [ "$state" = none ] && state=$last
    for ((i = 1; i <= state; i++)); do
        done_keys+=("R${round}_K$i")
    done
    expect_eq "$(grep -c "\"R${round}_K" "$CF")" "$state" "round $round: $state keys in force"
    # the grants in force were all audited first
    n=$(plugin_audit_records "$CL" | awk '$2 == "POLICY_GRANT"' | wc -l)
    [ "$n" -ge "${#done_keys[@]}" ]
    wd_check $? "round $round: every grant in force has its audit record" "$n POLICY_GRANT records for ${#done_keys[@]} keys in force"
    # a clean change afterwards works, and the log verifies
    expect_exit 0 -- "$WARDEN" policy grant --store "$CS" --component crash --audit-log "$CL" --audit-keys "$CK" env "CLEAN_$round"
    expect_exit 0 -- "$WARDEN" audit verify --log "$CL" --mac-key "$CK/mac.key"
    expect_stdout_matches '^intact: '
    done_keys+=("CLEAN_$round")
    cmp -s "$CF" <(expected_file "${done_keys[@]}")
    wd_check $? "round $round: the clean change applies on top of the surviving state" "unexpected file after the clean change"
    [ -z "$(find "$CS/components" -name '.*.tmp')" ]
    wd_check $? "round $round: no temporary file left after the clean change" "$(ls -a "$CS/components")"
done
expect_exit 0 -- "$WARDEN" check --policy "$CF" env CLEAN_3
expect_exit 0 -- "$WARDEN" check --policy "$CF" env R1_K1

finish
