#!/usr/bin/env bash
# cli_check.sh: `warden check --policy FILE [--data-dir DIR] [--json] VERB TARGET`.
# Prints allow or deny as the first word, then the explanation; exit 0 allow, 1 deny, 2 error.
# The decisions pinned here are the ones DESIGN.md section 3 implies: default deny; most specific
# rule wins, ties go to deny; access types decided separately; write implies create and delete.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

R="$WD_COMPAT/restricted.yaml"
C="$WD_COMPAT/comprehensive.yaml"
VALID="$WD_CLI_DATA/valid"

# decide POLICY DATA_DIR(- for none) EXPECT VERB TARGET [EXPLANATION_PART...]
decide() {
    local policy=$1 dir=$2 expect=$3 verb=$4 target=$5 code
    shift 5
    code=$([ "$expect" = allow ] && echo 0 || echo 1)
    if [ "$dir" = - ]; then
        expect_exit "$code" -- "$WARDEN" check --policy "$policy" "$verb" "$target"
    else
        expect_exit "$code" -- "$WARDEN" check --policy "$policy" --data-dir "$dir" "$verb" "$target"
    fi
    expect_stdout_first_word "$expect"
    expect_stdout_lines 1
    expect_stdout_line_matches 1 "^$expect $verb "
    local part
    for part in "$@"; do
        expect_stdout_contains "$part"
    done
}

NO_RULE="no rule matched (default deny)"
ESCAPE="path climbs above / with '..' (denied)"

# ---- restricted.yaml (--data-dir /data) -----------------------------------------------------

# network: api.safe-service.com allowed; deny host * catches every other name; for IP literals
# the 0.0.0.0/0 CIDR (prefix 0) outranks "*".
decide "$R" /data allow connect api.safe-service.com "$R:16:7 [allow host api.safe-service.com] is the most specific match" "outranks $R:18:7 [deny host *]"
decide "$R" /data allow connect API.Safe-Service.COM. "$R:16:7"
decide "$R" /data allow connect https://api.safe-service.com:443 "$R:16:7"
decide "$R" /data deny connect evil.com "$R:18:7 [deny host *]"
decide "$R" /data deny connect safe-service.com "$R:18:7 [deny host *]"
decide "$R" /data deny connect x.api.safe-service.com "$R:18:7 [deny host *]"
decide "$R" /data deny connect 1.2.3.4 "$R:19:7 [deny cidr 0.0.0.0/0]"
decide "$R" /data deny connect 10.0.0.1:8080 "$R:19:7 [deny cidr 0.0.0.0/0]"
decide "$R" /data deny connect '[2001:db8::1]:443' "$R:18:7 [deny host *]"
# storage: temp/** grants write, and with it create and delete; read is never granted there.
decide "$R" /data allow write /data/sandbox/temp/x "$R:8:7 [allow fs://sandbox/temp/** (write)]"
decide "$R" /data allow create /data/sandbox/temp/x "$R:8:7"
decide "$R" /data allow delete /data/sandbox/temp/a/b/c "$R:8:7"
decide "$R" /data allow write /data/sandbox/temp "$R:8:7"
decide "$R" /data deny read /data/sandbox/temp/x "$NO_RULE"
decide "$R" /data deny execute /data/sandbox/temp/x "$NO_RULE"
# the more specific deny on temp/system/** (write implies create and delete in deny rules too)
decide "$R" /data deny write /data/sandbox/temp/system/x "$R:11:7 [deny fs://sandbox/temp/system/** (read, write)]" "outranks $R:8:7"
decide "$R" /data deny create /data/sandbox/temp/system/x "$R:11:7"
decide "$R" /data deny delete /data/sandbox/temp/system/x "$R:11:7"
decide "$R" /data deny write /data/sandbox/temp/system "$R:11:7"
decide "$R" /data deny read /data/sandbox/temp/system/x "$R:11:7"
decide "$R" /data allow write /data/sandbox/temp/systemd/x "$R:8:7"
decide "$R" /data allow read /data/sandbox/readonly/a/b "$R:6:7 [allow fs://sandbox/readonly/** (read)]"
decide "$R" /data deny write /data/sandbox/readonly/a "$NO_RULE"
decide "$R" /data deny read /data/sandbox "$NO_RULE"
decide "$R" /data deny read /etc/passwd "$NO_RULE"
# environment: exact and case-sensitive
decide "$R" /data allow env PATH "$R:23:7 [allow env PATH]"
decide "$R" /data allow env HOME "$R:24:7"
decide "$R" /data deny env path "$NO_RULE"
decide "$R" /data deny env USER "$NO_RULE"

# ---- comprehensive.yaml (--data-dir /data) -----------------------------------------------------

decide "$C" /data allow connect 10.1.2.3 "$C:18:7 [allow cidr 10.0.0.0/8]" "outranks $C:22:7 [deny cidr 0.0.0.0/0]"
decide "$C" /data allow connect 172.16.5.4 "$C:19:7 [allow cidr 172.16.0.0/12]"
decide "$C" /data allow connect 172.31.255.255 "$C:19:7"
decide "$C" /data deny connect 172.32.0.1 "$C:22:7 [deny cidr 0.0.0.0/0]"
decide "$C" /data deny connect 8.8.8.8 "$C:22:7 [deny cidr 0.0.0.0/0]"
decide "$C" /data deny connect 11.0.0.1 "$C:22:7"
decide "$C" /data deny connect example.com "$NO_RULE"
decide "$C" /data deny connect x.malicious.com "$C:21:7 [deny host *.malicious.com]"
decide "$C" /data deny connect a.b.malicious.com "$C:21:7"
decide "$C" /data deny connect malicious.com "$NO_RULE"
# IPv4-mapped IPv6 is the IPv4 address it maps, in every spelling
decide "$C" /data allow connect ::ffff:10.0.0.1 "$C:18:7 [allow cidr 10.0.0.0/8]"
decide "$C" /data allow connect '[::ffff:10.0.0.1]:443' "$C:18:7"
decide "$C" /data allow connect ::ffff:a00:1 "$C:18:7"
decide "$C" /data deny connect ::ffff:8.8.8.8 "$C:22:7"
decide "$C" /data deny connect ::1 "$NO_RULE"
# *.internal.company.com: any subdomain at any depth, but not the apex
decide "$C" /data deny connect internal.company.com "$NO_RULE"
decide "$C" /data allow connect db.internal.company.com "$C:17:7 [allow host *.internal.company.com]"
decide "$C" /data allow connect a.b.internal.company.com "$C:17:7"
decide "$C" /data deny connect xinternal.company.com "$NO_RULE"
decide "$C" /data allow connect api.openai.com "$C:16:7 [allow host api.openai.com]"
decide "$C" /data deny connect openai.com "$NO_RULE"
# storage
decide "$C" /data allow read /data/workspace/a/b "$C:6:7 [allow fs://workspace/** (read, write)]"
decide "$C" /data allow create /data/workspace/new "$C:6:7"
decide "$C" /data deny execute /data/workspace/x "$NO_RULE"
decide "$C" /data allow read /data/config/app.yaml "$C:8:7 [allow fs://config/app.yaml (read)]"
decide "$C" /data deny write /data/config/app.yaml "$NO_RULE"
decide "$C" /data deny read /data/config/other.yaml "$NO_RULE"
decide "$C" /data deny read /data/system/passwd "$C:11:7 [deny fs://system/** (read, write)]"
decide "$C" /data deny delete /data/system/passwd "$C:11:7"
decide "$C" /data allow env DATABASE_URL "$C:30:7"
decide "$C" /data deny env SECRET "$NO_RULE"

# ---- path normalisation and escapes --------------------------------------------------------------

decide "$R" /data deny write /data/sandbox/temp/a/../system/x "$R:11:7"
decide "$R" /data allow write /data/sandbox/temp/system/../x "$R:8:7"
decide "$R" /data allow write //data///sandbox/./temp//x "$R:8:7"
decide "$R" /data allow write /data/sandbox/temp/x/ "$R:8:7"
decide "$R" /data deny read /data/sandbox/readonly/../temp/x "$NO_RULE"
decide "$R" /data deny write /data/sandbox/temp/../../sandbox/temp/system/y "$R:11:7"
decide "$R" /data deny read /../etc "$ESCAPE"
decide "$R" /data deny write /data/sandbox/temp/../../../../x "$ESCAPE"
decide "$R" /data deny write /.. "$ESCAPE"
decide "$C" /data deny read /data/workspace/../system/x "$C:11:7"
decide "$C" /data deny read /data/workspace/../../data/system/x "$C:11:7"

# ---- --data-dir defaults to the policy file's directory ------------------------------------------

mkdir -p "$WD_TMP/app"
cp "$VALID/relative.yaml" "$WD_TMP/app/policy.yaml"
P="$WD_TMP/app/policy.yaml"
decide "$P" - allow read "$WD_TMP/app/workspace/notes.txt" "$P:6:7 [allow fs://workspace/** (read, write)]"
decide "$P" - allow write "$WD_TMP/app/workspace/a/b" "$P:6:7"
decide "$P" - allow read "$WD_TMP/app/cache/x" "$P:8:7 [allow fs://cache (read)]"
decide "$P" - deny write "$WD_TMP/app/cache/x" "$NO_RULE"
decide "$P" - deny read "$WD_TMP/app/workspace/secrets/key" "$P:13:7 [deny fs://workspace/secrets (read)]"
decide "$P" - allow write "$WD_TMP/app/workspace/secrets/key" "$P:6:7"
decide "$P" - allow read /etc/hosts "$P:10:7"
decide "$P" - deny read /data/workspace/notes.txt "$NO_RULE"
decide "$P" - deny read "$WD_TMP/workspace/notes.txt" "$NO_RULE"
# --data-dir given: the policy's own directory no longer counts
decide "$P" /data allow read /data/workspace/notes.txt "$P:6:7"
decide "$P" /data deny read "$WD_TMP/app/workspace/notes.txt" "$NO_RULE"
# relative policy path: resolved against the working directory
expect_exit 0 -- bash -c 'cd "$1" && exec "$2" check --policy policy.yaml read "$1/workspace/x"' _ "$WD_TMP/app" "$WARDEN"
expect_stdout_first_word allow
expect_stdout_contains "policy.yaml:6:7"
expect_exit 0 -- bash -c 'cd "$1" && exec "$2" check --policy app/policy.yaml read "$1/app/cache"' _ "$WD_TMP" "$WARDEN"
expect_stdout_first_word allow
expect_exit 1 -- bash -c 'cd "$1" && exec "$2" check --policy app/policy.yaml read "$1/cache"' _ "$WD_TMP" "$WARDEN"
expect_stdout_first_word deny
# relative --data-dir: resolved against the working directory
expect_exit 0 -- bash -c 'cd "$1" && exec "$2" check --policy "$3" --data-dir state read "$1/state/workspace/x"' _ "$WD_TMP" "$WARDEN" "$P"
expect_stdout_first_word allow

# ---- ties go to deny ---------------------------------------------------------------------------

T="$VALID/tie.yaml"
decide "$T" - deny write /srv/shared/x "$T:9:7 [deny fs:///srv/shared/** (write)] ties with $T:6:7 [allow fs:///srv/shared/** (read, write)]" "deny wins"
decide "$T" - deny create /srv/shared/x "ties with"
decide "$T" - deny delete /srv/shared/x "ties with"
decide "$T" - allow read /srv/shared/x "$T:6:7"
decide "$T" - deny connect tie.example.com "$T:15:7 [deny host tie.example.com] ties with $T:13:7 [allow host tie.example.com]"
decide "$T" - deny env TIED "$T:20:7 [deny env TIED] ties with $T:18:7 [allow env TIED]"

# ---- network specificity ------------------------------------------------------------------------

N="$VALID/network.yaml"
decide "$N" - allow connect x.example.com "$N:6:7 [allow host *.example.com]" "outranks $N:24:7 [deny host *]"
decide "$N" - deny connect y.a.example.com "$N:17:7 [deny host *.a.example.com]" "outranks $N:6:7"
decide "$N" - allow connect exact.a.example.com "$N:7:7 [allow host exact.a.example.com]"
decide "$N" - deny connect example.com "$N:24:7 [deny host *]"
decide "$N" - allow connect https://secure.example.org "$N:8:7"
decide "$N" - allow connect HTTPS://Secure.Example.Org. "$N:8:7"
decide "$N" - deny connect http://secure.example.org "$N:18:7"
decide "$N" - deny connect secure.example.org "$N:18:7"
decide "$N" - allow connect db.example.org:5432 "$N:9:7"
decide "$N" - allow connect postgres://db.example.org "$N:9:7"
decide "$N" - allow connect db.example.org:5433 "$N:9:7"
decide "$N" - deny connect db.example.org:80 "$N:19:7"
decide "$N" - deny connect db.example.org "$N:19:7"
decide "$N" - allow connect api.example.net:8443 "$N:11:7"
decide "$N" - deny connect api.example.net "$N:20:7"
decide "$N" - deny connect https://api.example.net "$N:20:7"
decide "$N" - allow connect 10.1.1.1 "$N:12:7 [allow host 10.1.1.1]" "outranks $N:21:7 [deny cidr 10.1.1.0/24]"
decide "$N" - deny connect 10.1.1.2 "$N:21:7" "outranks $N:13:7 [allow cidr 10.1.0.0/16]"
decide "$N" - allow connect 10.1.2.2 "$N:13:7" "outranks $N:22:7 [deny cidr 10.0.0.0/8]"
decide "$N" - deny connect 10.2.0.1 "$N:22:7"
decide "$N" - deny connect 1.1.1.1 "$N:24:7"
decide "$N" - allow connect '[fd00::1]:443' "$N:14:7 [allow cidr fd00::/8]"
decide "$N" - allow connect fdff:ffff::1 "$N:14:7"
decide "$N" - deny connect fe00::1 "$N:24:7"
decide "$N" - allow connect 2001:db8::5 "$N:15:7" "outranks $N:23:7 [deny cidr 2001:db8::/32]"
decide "$N" - allow connect 2001:0db8:0:0:0:0:0:0005 "$N:15:7"
decide "$N" - deny connect '[2001:db8::6]' "$N:23:7"
decide "$N" - allow connect ::ffff:10.1.1.1 "$N:12:7"

# ---- storage: globs, specificity, access types decided separately ---------------------------------

S="$VALID/storage.yaml"
decide "$S" /d allow read /d/workspace/out "$S:6:7"
decide "$S" /d allow write /d/workspace/out/f "$S:8:7 [allow fs://workspace/out (write)]"
decide "$S" /d allow read /d/workspace/out/f "$S:6:7 [allow fs://workspace/** (read)]"
decide "$S" /d allow create /d/workspace/out/new "$S:8:7"
decide "$S" /d allow delete /d/workspace/out/new "$S:8:7"
decide "$S" /d deny write /d/workspace/other "$NO_RULE"
decide "$S" /d deny write /d/workspace/secret "$S:17:7 [deny fs://workspace/secret (write)]"
decide "$S" /d deny delete /d/workspace/secret/x "$S:17:7"
decide "$S" /d allow read /d/workspace/secret "$S:6:7"
decide "$S" /d allow read /srv/logs/app.log "$S:10:7 [allow fs:///srv/logs/*.log (read)]"
decide "$S" /d deny read /srv/logs/app.txt "$NO_RULE"
decide "$S" /d deny read /srv/logs/sub/app.log "$NO_RULE"
decide "$S" /d deny read /srv/logs/private-1.log "$S:19:7" "ties with $S:10:7"
decide "$S" /d allow execute /srv/bin/tool "$S:12:7"
decide "$S" /d deny read /srv/bin/tool "$NO_RULE"
decide "$S" /d allow write /srv/projects/a/b/build/x "$S:14:7"
decide "$S" /d allow write /srv/projects/build/x "$S:14:7"
decide "$S" /d deny write /srv/projects/a/b/x "$NO_RULE"
decide "$S" /d deny delete /srv/projects/a/build/keep "$S:21:7" "outranks $S:14:7"
decide "$S" /d allow create /srv/projects/a/build/keep "$S:14:7"
decide "$S" /d allow delete /srv/projects/a/b/build/keep "$S:14:7"

# ---- JSON output ----------------------------------------------------------------------------------

expect_exit 0 -- "$WARDEN" check --policy "$R" --data-dir /data --json connect api.safe-service.com
expect_json_stdout
expect_stdout_lines 1
expect_json_eq 'd["decision"]' allow
expect_json_eq 'd["reason"]' rule
expect_json_eq 'd["verb"], d["target"]' "('connect', 'api.safe-service.com')"
expect_json_eq 'd["rule"]["file"], d["rule"]["line"], d["rule"]["column"]' "('$R', 16, 7)"
expect_json_eq 'd["rule"]["text"], d["rule"]["effect"]' "('allow host api.safe-service.com', 'allow')"
expect_json_eq 'd["other"]["text"]' "deny host *"
expect_json_eq '"is the most specific match" in d["explanation"]' true
expect_exit 1 -- "$WARDEN" check --json --policy "$R" --data-dir /data read /data/sandbox/temp/x
expect_json_stdout
expect_json_eq 'd["decision"], d["reason"], d["rule"], d["other"]' "('deny', 'no_rule', None, None)"
expect_json_eq 'd["explanation"]' "$NO_RULE"
expect_exit 1 -- "$WARDEN" check --json --policy "$R" read /../etc
expect_json_stdout
expect_json_eq 'd["decision"], d["reason"], d["rule"]' "('deny', 'escapes_root', None)"
expect_json_eq 'd["explanation"]' "$ESCAPE"
expect_exit 1 -- "$WARDEN" check --policy "$T" --json write /srv/shared/x
expect_json_stdout
expect_json_eq 'd["decision"], d["reason"]' "('deny', 'tie')"
expect_json_eq 'd["rule"]["line"], d["other"]["line"]' "(9, 6)"
expect_json_eq '"ties" in d["explanation"]' true
expect_exit 1 -- "$WARDEN" check --policy "$C" --data-dir /data --json connect 8.8.8.8
expect_json_stdout
expect_json_eq 'd["decision"], d["rule"]["text"]' "('deny', 'deny cidr 0.0.0.0/0')"
# JSON escaping of awkward targets
expect_exit 1 -- "$WARDEN" check --policy "$R" --json read '/data/a "quoted" \ back/é'
expect_json_stdout
expect_json_eq 'd["target"]' '/data/a "quoted" \ back/é'

# ---- usage and input errors: exit 2 ------------------------------------------------------------------

expect_exit 2 -- "$WARDEN" check read /x
expect_stderr_contains "usage: warden check"
expect_stdout_empty
expect_exit 2 -- "$WARDEN" check --policy "$R"
expect_exit 2 -- "$WARDEN" check --policy "$R" read
expect_exit 2 -- "$WARDEN" check --policy "$R" read /x /y
expect_exit 2 -- "$WARDEN" check --policy "$R" --batch - read /x </dev/null
expect_exit 2 -- "$WARDEN" check --policy
expect_exit 2 -- "$WARDEN" check --policy "$R" --frobnicate read /x
expect_exit 2 -- "$WARDEN" check --policy "$R" frobnicate /x
expect_stderr_contains 'unknown verb "frobnicate"'
expect_stdout_empty
expect_exit 2 -- "$WARDEN" check --policy "$R" READ /x
expect_exit 2 -- "$WARDEN" check --policy "$R" read relative/path
expect_stderr_contains "needs an absolute path"
expect_exit 2 -- "$WARDEN" check --policy "$R" write ""
expect_exit 2 -- "$WARDEN" check --policy "$R" env ""
expect_exit 2 -- "$WARDEN" check --policy "$R" connect ""
expect_exit 2 -- "$WARDEN" check --policy "$R" connect "bad host"
expect_exit 2 -- "$WARDEN" check --policy "$R" connect "user@host.example"
expect_exit 2 -- "$WARDEN" check --policy "$R" connect "host.example:0"
expect_exit 2 -- "$WARDEN" check --policy "$R" connect "host.example:65536"
expect_exit 2 -- "$WARDEN" check --policy "$R" connect "https://host.example/path"
expect_exit 2 -- "$WARDEN" check --policy "$R" connect "*.example.com"
expect_exit 2 -- "$WARDEN" check --policy "$R" connect "1.2.3.256"
expect_exit 2 -- "$WARDEN" check --policy "$R" read "/$(printf 'a%.0s' $(seq 5000))"
expect_exit 2 -- "$WARDEN" check --json --policy "$R" frob /x
expect_json_stdout
expect_json_eq '"unknown verb" in d["error"]' true
# the policy itself: missing, invalid, unreadable
expect_exit 2 -- "$WARDEN" check --policy "$WD_TMP/missing.yaml" read /x
expect_stderr_contains "error WD-P001"
expect_stdout_empty
expect_exit 2 -- "$WARDEN" check --policy "$WD_CLI_DATA/invalid/p021-host.yaml" connect a.example.com
expect_stderr_contains "$WD_CLI_DATA/invalid/p021-host.yaml:5:13: error WD-P021:"
expect_stdout_empty
expect_exit 2 -- "$WARDEN" check --policy "$WD_CLI_DATA/invalid/multi-errors.yaml" env HOME
n=$(grep -c ': error WD-P' "$WD_ERR")
expect_eq "$n" 8 "check with an invalid policy prints every error"
expect_exit 2 -- "$WARDEN" check --policy "$WD_TMP" read /x
expect_exit 2 -- "$WARDEN" check --policy "$R" --data-dir /.. read /x
# help and top level
expect_exit 0 -- "$WARDEN" check --help
expect_stdout_contains "usage: warden check --policy FILE"
expect_exit 2 -- "$WARDEN"
expect_exit 2 -- "$WARDEN" frobnicate
expect_stderr_contains 'unknown command "frobnicate"'
expect_exit 0 -- "$WARDEN" --version
expect_stdout_first_word warden
expect_exit 0 -- "$WARDEN" help
expect_stdout_contains "check"

finish
