#!/usr/bin/env bash
# cli_show.sh: `warden policy show FILE [--data-dir DIR] [--json]`: the normalised, compiled view
# of a policy. Relative fs:// URIs resolve against the policy file's directory unless --data-dir
# says otherwise; resources are normalised to millicores and bytes; warnings are listed.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

C="$WD_COMPAT/comprehensive.yaml"
R="$WD_COMPAT/restricted.yaml"
VALID="$WD_CLI_DATA/valid"
# What the binary computes for the compat directory: lexically normalised, symlinks kept.
compat_dir=$(realpath -m -s "$WD_COMPAT")

# ---- text output, default data dir: the policy file's directory ------------------------------

expect_exit 0 -- "$WARDEN" policy show "$C"
expect_stdout_line 1 "policy       $C"
expect_stdout_line 2 "version      1.0"
expect_stdout_line 3 "description  Comprehensive policy with all permission types"
expect_stdout_line 4 "data dir     $compat_dir"
expect_stdout_matches "^  allow  $compat_dir/workspace/\\*\\*  \\[read write create delete\\] +$C:6:7\$"
expect_stdout_matches "^  allow  $compat_dir/config/app.yaml  \\[read\\] +$C:8:7\$"
expect_stdout_matches "^  deny   $compat_dir/system/\\*\\*  \\[read write create delete\\] +$C:11:7\$"
expect_stdout_matches "^  allow  host api.openai.com +$C:16:7\$"
expect_stdout_matches "^  allow  host \\*.internal.company.com +$C:17:7\$"
expect_stdout_matches "^  allow  cidr 10.0.0.0/8 +$C:18:7\$"
expect_stdout_matches "^  deny   cidr 0.0.0.0/0 +$C:22:7\$"
expect_stdout_matches "^  allow  DATABASE_URL +$C:30:7\$"
# legacy resources: cpu 50.0 (percent of a core) -> 500 millicores; memory 1024 (MiB) -> bytes
expect_stdout_contains "  cpu           500m"
expect_stdout_contains "  memory        1073741824 bytes"
expect_stdout_matches "^warnings\$"
expect_stdout_contains "  $C:32:3: warning WD-W001: permissions.runtime is not enforced by warden"
expect_stdout_contains "  $C:47:3: warning WD-W001: permissions.ipc is not enforced by warden"
expect_stdout_matches "^  $C:45:[0-9]+: warning WD-W001: resources.io is not enforced by warden"
n=$(grep -c 'warning WD-W001' "$WD_OUT")
expect_eq "$n" 3 "show comprehensive.yaml: 3 warnings listed"

# A copy of the policy somewhere else: its URIs follow it.
mkdir -p "$WD_TMP/pol"
cp "$C" "$WD_TMP/pol/comprehensive.yaml"
expect_exit 0 -- "$WARDEN" policy show "$WD_TMP/pol/comprehensive.yaml"
expect_stdout_contains "data dir     $WD_TMP/pol"
expect_stdout_contains "  allow  $WD_TMP/pol/workspace/**  [read write create delete]"
expect_stdout_contains "  allow  $WD_TMP/pol/config/app.yaml  [read]"
expect_stdout_contains "  deny   $WD_TMP/pol/system/**  [read write create delete]"
# ... also when the policy is named by a relative path (resolved against the working directory).
expect_exit 0 -- bash -c 'cd "$1" && exec "$2" policy show comprehensive.yaml' _ "$WD_TMP/pol" "$WARDEN"
expect_stdout_contains "data dir     $WD_TMP/pol"
expect_stdout_contains "  allow  $WD_TMP/pol/workspace/**"
expect_exit 0 -- bash -c 'cd "$1" && exec "$2" policy show ./pol/../pol/comprehensive.yaml' _ "$WD_TMP" "$WARDEN"
expect_stdout_contains "data dir     $WD_TMP/pol"
expect_stdout_contains "  deny   $WD_TMP/pol/system/**"

# ---- --data-dir overrides the default ------------------------------------------------------------

expect_exit 0 -- "$WARDEN" policy show --data-dir /data "$C"
expect_stdout_line 4 "data dir     /data"
expect_stdout_contains "  allow  /data/workspace/**  [read write create delete]"
expect_stdout_contains "  allow  /data/config/app.yaml  [read]"
expect_stdout_contains "  deny   /data/system/**  [read write create delete]"
expect_stdout_not_contains "$compat_dir/workspace"
# option after the file, trailing slash, dot-dot and the root itself
expect_exit 0 -- "$WARDEN" policy show "$VALID/relative.yaml" --data-dir /data/
expect_stdout_contains "data dir     /data"
expect_stdout_contains "  allow  /data/workspace/**  [read write create delete]"
expect_stdout_contains "  allow  /data/cache  [read]"
expect_stdout_contains "  allow  /etc/hosts  [read]"
expect_stdout_contains "  deny   /data/workspace/secrets  [read]"
expect_exit 0 -- "$WARDEN" policy show --data-dir /srv/x/../y "$VALID/relative.yaml"
expect_stdout_contains "data dir     /srv/y"
expect_stdout_contains "  allow  /srv/y/workspace/**"
expect_exit 0 -- "$WARDEN" policy show --data-dir / "$VALID/relative.yaml"
expect_stdout_line 4 "data dir     /"
expect_stdout_contains "  allow  /workspace/**  [read write create delete]"
expect_stdout_not_contains "//workspace"
# a relative --data-dir is taken relative to the working directory
expect_exit 0 -- bash -c 'cd "$1" && exec "$2" policy show --data-dir state "$3"' _ "$WD_TMP" "$WARDEN" "$VALID/relative.yaml"
expect_stdout_contains "data dir     $WD_TMP/state"
expect_stdout_contains "  allow  $WD_TMP/state/cache  [read]"
# a data dir that climbs above / is refused
expect_exit 2 -- "$WARDEN" policy show --data-dir /.. "$VALID/relative.yaml"

# ---- JSON ---------------------------------------------------------------------------------------

expect_exit 0 -- "$WARDEN" policy show --json --data-dir /data "$C"
expect_json_stdout
expect_stdout_lines 1
expect_json_eq 'd["version"]' "1.0"
expect_json_eq 'd["description"]' "Comprehensive policy with all permission types"
expect_json_eq 'd["data_dir"]' "/data"
expect_json_eq 'len(d["storage"]["allow"]), len(d["storage"]["deny"])' "(2, 1)"
expect_json_eq 'd["storage"]["allow"][0]["pattern"]' "/data/workspace/**"
expect_json_eq 'd["storage"]["allow"][0]["access"]' "['read', 'write', 'create', 'delete']"
expect_json_eq 'd["storage"]["allow"][0]["line"], d["storage"]["allow"][0]["column"]' "(6, 7)"
expect_json_eq 'd["storage"]["allow"][0]["file"]' "$C"
expect_json_eq 'd["storage"]["allow"][0]["text"]' "allow fs://workspace/** (read, write)"
expect_json_eq 'd["storage"]["allow"][1]["pattern"], d["storage"]["allow"][1]["access"]' "('/data/config/app.yaml', ['read'])"
expect_json_eq 'd["storage"]["deny"][0]["pattern"], d["storage"]["deny"][0]["effect"]' "('/data/system/**', 'deny')"
expect_json_eq 'len(d["network"]["allow"]), len(d["network"]["deny"])' "(4, 2)"
expect_json_eq 'sorted(r.get("host") or r.get("cidr") for r in d["network"]["allow"])' "['*.internal.company.com', '10.0.0.0/8', '172.16.0.0/12', 'api.openai.com']"
expect_json_eq 'sorted(r.get("host") or r.get("cidr") for r in d["network"]["deny"])' "['*.malicious.com', '0.0.0.0/0']"
expect_json_eq '[r["key"] for r in d["environment"]["allow"]]' "['PATH', 'HOME', 'USER', 'API_KEY', 'DATABASE_URL']"
expect_json_eq 'd["environment"]["deny"]' "[]"
expect_json_eq 'd["resources"]' "{'cpu_millicores': 500, 'memory_bytes': 1073741824}"
expect_json_eq 'len(d["warnings"])' "3"
expect_json_eq 'all("warning WD-W001" in w for w in d["warnings"])' "true"
expect_json_eq 'any("permissions.runtime" in w for w in d["warnings"]) and any("permissions.ipc" in w for w in d["warnings"]) and any("resources.io" in w for w in d["warnings"])' "true"

# JSON without --data-dir: the file's directory.
expect_exit 0 -- "$WARDEN" policy show --json "$WD_TMP/pol/comprehensive.yaml"
expect_json_stdout
expect_json_eq 'd["data_dir"]' "$WD_TMP/pol"
expect_json_eq 'd["storage"]["allow"][0]["pattern"]' "$WD_TMP/pol/workspace/**"
expect_json_eq 'd["storage"]["deny"][0]["pattern"]' "$WD_TMP/pol/system/**"

# restricted.yaml: legacy cpu 10.0 -> 100m, memory 128 -> 128 MiB; network rules as written.
expect_exit 0 -- "$WARDEN" policy show --json "$R"
expect_json_stdout
expect_json_eq 'd["resources"]' "{'cpu_millicores': 100, 'memory_bytes': 134217728}"
expect_json_eq '[r.get("host") or r.get("cidr") for r in d["network"]["deny"]]' "['*', '0.0.0.0/0']"
expect_json_eq 'd["network"]["allow"][0]["host"], d["network"]["allow"][0]["scheme"], d["network"]["allow"][0]["ports"]' "('api.safe-service.com', None, [])"
expect_json_eq 'len(d["warnings"])' "2"

# Resource limits in warden's own units.
expect_exit 0 -- "$WARDEN" policy show --json "$VALID/resources.yaml"
expect_json_stdout
expect_json_eq 'd["resources"]' "{'cpu_millicores': 1500, 'memory_bytes': 536870912, 'timeout_ms': 90000, 'pids': 64, 'open_files': 256, 'output_bytes': 1048576}"
expect_json_eq 'd["warnings"]' "[]"
expect_exit 0 -- "$WARDEN" policy show "$VALID/resources.yaml"
expect_stdout_contains "  cpu           1500m"
expect_stdout_contains "  memory        536870912 bytes"
expect_stdout_contains "  timeout       90000 ms"
expect_stdout_contains "  pids          64"
expect_stdout_contains "  open_files    256"
expect_stdout_contains "  output_bytes  1048576 bytes"
expect_stdout_not_contains "warnings"

# Network rules: scheme and ports are part of the compiled view.
expect_exit 0 -- "$WARDEN" policy show --json "$VALID/network.yaml"
expect_json_stdout
expect_json_eq '[(r["host"], r["scheme"]) for r in d["network"]["allow"] if r.get("scheme")]' "[('secure.example.org', 'https')]"
expect_json_eq '[r["ports"] for r in d["network"]["allow"] if r.get("host") == "db.example.org"]' "[[5432, 5433]]"
expect_json_eq '[r["ports"] for r in d["network"]["allow"] if r.get("host") == "api.example.net"]' "[[8443]]"
expect_json_eq '[__import__("ipaddress").ip_address(r["host"]) == __import__("ipaddress").ip_address("2001:db8::5") for r in d["network"]["allow"] if ":" in r.get("host", "")]' "[True]"

# Nothing granted: the text view says so.
expect_exit 0 -- "$WARDEN" policy show "$WD_COMPAT/minimal.yaml"
n=$(grep -c '(no rules: everything denied)' "$WD_OUT")
expect_eq "$n" 3 "minimal.yaml: all three sections say everything is denied"
expect_stdout_contains "(none set: warden's defaults apply)"
expect_exit 0 -- "$WARDEN" policy show --json "$WD_COMPAT/minimal.yaml"
expect_json_stdout
expect_json_eq 'd["resources"], d["storage"], d["warnings"]' "({}, {'allow': [], 'deny': []}, [])"

# Every compat policy shows, in both forms, and its JSON parses.
for f in "$WD_COMPAT"/*.yaml; do
    expect_exit 0 -- "$WARDEN" policy show "$f"
    expect_stdout_line 1 "policy       $f"
    expect_exit 0 -- "$WARDEN" policy show --json "$f"
    expect_json_stdout
done

# ---- errors -------------------------------------------------------------------------------------

expect_exit 1 -- "$WARDEN" policy show "$WD_CLI_DATA/invalid/p011-unknown-key.yaml"
expect_stderr_contains "$WD_CLI_DATA/invalid/p011-unknown-key.yaml:7:7: error WD-P011:"
expect_stdout_empty
expect_exit 1 -- "$WARDEN" policy show --json "$WD_CLI_DATA/invalid/multi-errors.yaml"
n=$(grep -c ': error WD-P' "$WD_ERR")
expect_eq "$n" 8 "show of an invalid policy reports every error"
expect_stdout_empty
expect_exit 2 -- "$WARDEN" policy show "$WD_TMP/missing.yaml"
expect_stderr_contains "error WD-P001"
expect_exit 2 -- "$WARDEN" policy show
expect_exit 2 -- "$WARDEN" policy show "$C" "$R"
expect_exit 2 -- "$WARDEN" policy show --bogus "$C"
expect_exit 2 -- "$WARDEN" policy show --data-dir
expect_exit 0 -- "$WARDEN" policy show --help
expect_stdout_contains "warden policy show FILE"

finish
