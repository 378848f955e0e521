#!/usr/bin/env bash
# cli_tools.sh: tool rules (permissions.tools) through the real binary: `warden check call NAME`
# alone and in a batch, `warden policy validate` on bad tool rules (WD-P027 with file:line:col),
# `warden policy show` (text and JSON), and `warden policy grant|revoke tool NAME` in a store.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

P="$WD_TMP/tools.yaml"
cat >"$P" <<'EOF'
version: "1.0"
description: an MCP filesystem server, read-only tools
permissions:
  tools:
    allow:
      - name: "*"
      - name: read_text_file
      - name: list_directory
      - name: both
    deny:
      - name: write_file
      - name: both
EOF

# call EXPECT NAME EXPLANATION_PART...
call() {
    local expect=$1 name=$2 code
    shift 2
    code=$([ "$expect" = allow ] && echo 0 || echo 1)
    expect_exit "$code" -- "$WARDEN" check --policy "$P" call "$name"
    expect_stdout_lines 1
    expect_stdout_line_matches 1 "^$expect call $name: "
    local part
    for part in "$@"; do
        expect_stdout_contains "$part"
    done
    expect_stderr_empty
}

call allow read_text_file "$P:7:9 [allow tool read_text_file] is the most specific match"
call allow list_directory "$P:8:9 [allow tool list_directory]"
call allow some/other.tool "$P:6:9 [allow tool *] is the most specific match"
call deny write_file "$P:11:9 [deny tool write_file] is the most specific match; it outranks $P:6:9 [allow tool *]"
call deny both "$P:12:9 [deny tool both] ties with $P:9:9 [allow tool both] (equally specific): deny wins"

# JSON: the deciding rule carries the tool's name.
expect_exit 1 -- "$WARDEN" check --policy "$P" --json call write_file
expect_json_stdout
expect_json_eq 'd["decision"], d["verb"], d["target"], d["reason"]' "('deny', 'call', 'write_file', 'rule')"
expect_json_eq 'd["rule"]["line"], d["rule"]["column"], d["rule"]["text"]' "(11, 9, 'deny tool write_file')"
expect_json_eq 'd["other"]["text"]' "allow tool *"

# Not a tool name: a usage error (2), never a decision.
for bad in '*' 'read_*' 'a b' 'a:b' ''; do
    expect_exit 2 -- "$WARDEN" check --policy "$P" call "$bad"
    expect_stdout_empty
    expect_stderr_contains "warden: "
done

# A list with no "*": default deny for what it does not name.
L="$WD_TMP/list.yaml"
printf 'version: "1.0"\npermissions:\n  tools:\n    allow:\n      - name: read_text_file\n' >"$L"
expect_exit 1 -- "$WARDEN" check --policy "$L" call write_file
expect_stdout_line 1 "deny call write_file: no rule matched (default deny)"
expect_stderr_empty

# No tools section: the check answers from an empty list, and says once that the host does not
# consult one.
N="$WD_COMPAT/comprehensive.yaml"
expect_exit 1 -- "$WARDEN" check --policy "$N" call read_text_file
expect_stdout_line 1 "deny call read_text_file: no rule matched (default deny)"
expect_stderr_contains "has no tools list, so an MCP server plugin under it may call every tool"
expect_stderr_lines 1
printf 'call a\ncall b\n' | expect_exit 1 -- "$WARDEN" check --policy "$N" --batch -
expect_stdout_lines 2
expect_stderr_lines 1

# ---- batch ----------------------------------------------------------------------------------

B="$WD_TMP/batch.txt"
cat >"$B" <<'EOF'
# tools among the other kinds
call read_text_file
call write_file   # denied by name
env PATH
call read_*
call
call ns/tool.v2
EOF
expect_exit 2 -- "$WARDEN" check --policy "$P" --batch "$B"
want=(
    "allow call read_text_file: $P:7:9"
    "deny call write_file: $P:11:9"
    "deny env PATH: no rule matched (default deny)"
    "error 5: call needs a tool name"
    "error 6: expected VERB TARGET"
    "allow call ns/tool.v2: $P:6:9"
)
expect_stdout_lines ${#want[@]}
for i in "${!want[@]}"; do
    line=$(sed -n "$((i + 1))p" "$WD_OUT")
    [[ "$line" == "${want[$i]}"* ]]
    wd_check $? "batch line $((i + 1)) starts with \"${want[$i]}\"" "it is \"$line\""
done

# ---- validate -------------------------------------------------------------------------------

V="$WD_TMP/bad.yaml"
cat >"$V" <<'EOF'
version: "1.0"
permissions:
  tools:
    allow:
      - name: "read_*"
      - name: "a b"
      - title: x
      -
    deny:
      - name: ""
    except: []
EOF
expect_exit 1 -- "$WARDEN" policy validate "$V"
expect_stdout_contains "$V: invalid (7 errors)"
expect_stderr_contains "$V:5:21: error WD-P027: a tool name is exact, or \"*\" alone for every tool"
expect_stderr_contains "$V:6:17: error WD-P027: tool names are letters, digits, '_', '-', '.' and '/' (byte 0x20 is not)"
expect_stderr_contains "$V:7:9: error WD-P011: unknown key \"title\" in tool rule (expected name)"
expect_stderr_contains "$V:7:9: error WD-P013: tool rule has no name"
expect_stderr_contains "$V:8:8: error WD-P013: tool rule is empty: it needs name"
expect_stderr_contains "$V:10:15: error WD-P027: tool name is empty"
expect_stderr_contains "$V:11:5: error WD-P011: unknown key \"except\" in tools (expected allow, deny)"
expect_exit 0 -- "$WARDEN" policy validate "$P" "$L"

# ---- show -----------------------------------------------------------------------------------

expect_exit 0 -- "$WARDEN" policy show "$P"
expect_stdout_matches "^tools$"
expect_stdout_matches "^  allow  read_text_file +$P:7:9$"
expect_stdout_matches "^  deny   write_file +$P:11:9$"
expect_stdout_matches "^  allow  \* +$P:6:9$"
expect_exit 0 -- "$WARDEN" policy show --json "$P"
expect_json_stdout
expect_json_eq '[r["name"] for r in d["tools"]["allow"]]' "['*', 'read_text_file', 'list_directory', 'both']"
expect_json_eq '[r["name"] for r in d["tools"]["deny"]]' "['write_file', 'both']"
expect_json_eq 'd["tools"]["deny"][0]["line"], d["tools"]["deny"][0]["column"]' "(11, 9)"
# no section: shown as "no list", not as an empty (deny everything) list
expect_exit 0 -- "$WARDEN" policy show "$N"
expect_stdout_contains "(no list: every tool the server offers may be called)"
expect_exit 0 -- "$WARDEN" policy show --json "$N"
expect_json_eq 'd["tools"]' "null"
E="$WD_TMP/empty.yaml"
printf 'version: "1.0"\npermissions:\n  tools: {}\n' >"$E"
expect_exit 0 -- "$WARDEN" policy show --json "$E"
expect_json_eq 'd["tools"]' "{'allow': [], 'deny': []}"
expect_exit 1 -- "$WARDEN" check --policy "$E" call read_text_file
expect_stderr_empty

# ---- grant and revoke in a store ------------------------------------------------------------

S="$WD_TMP/store"
mkdir -p "$S/components"
cp "$L" "$S/components/mcp.fs.yaml"
F="$S/components/mcp.fs.yaml"
expect_exit 0 -- "$WARDEN" policy grant --store "$S" --component mcp.fs tool list_directory
expect_stdout_line 1 "mcp.fs: grant done"
expect_exit 0 -- "$WARDEN" check --policy "$F" call list_directory
expect_exit 0 -- "$WARDEN" check --policy "$F" call read_text_file
# another kind of grant keeps the list
expect_exit 0 -- "$WARDEN" policy grant --store "$S" --component mcp.fs env LANG
expect_exit 1 -- "$WARDEN" check --policy "$F" call write_file
expect_exit 0 -- "$WARDEN" check --policy "$F" call list_directory
expect_exit 0 -- "$WARDEN" policy revoke --store "$S" --component mcp.fs tool read_text_file
expect_exit 1 -- "$WARDEN" check --policy "$F" call read_text_file
expect_exit 1 -- "$WARDEN" policy revoke --store "$S" --component mcp.fs tool read_text_file
expect_stderr_contains "no allow rule for read_text_file"
# a bad name is refused and changes nothing
before=$(cat "$F")
expect_exit 1 -- "$WARDEN" policy grant --store "$S" --component mcp.fs tool 'read_*'
expect_stderr_contains "WD-P027"
expect_eq "$(cat "$F")" "$before" "a refused tool grant leaves the file as it was"
# a component without a tools list: a tool grant would narrow it, so it is refused
expect_exit 1 -- "$WARDEN" policy grant --store "$S" --component open.one tool read_text_file
expect_stderr_contains "has no tools list: every tool may already be called"
[ ! -e "$S/components/open.one.yaml" ]
wd_check $? "a refused tool grant writes no policy" "open.one.yaml was written"

finish
