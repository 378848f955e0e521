# shellcheck shell=bash
# tests/integration/lib/plugin.sh: helpers shared by the plugin and policy-store integration
# scripts (plugin_cli.sh, policy_store_cli.sh). Source lib/common.sh first.
#
#   plugin_sha256 FILE               hex SHA-256 of FILE (read through stdin, so an odd file name
#                                    never changes sha256sum's output format)
#   plugin_lib DIR LIB               copies tests/data/elf/LIB into DIR (made if needed)
#   plugin_contract DIR ID [LIB] [LEVEL] [EXTRA] [FILE]
#                                    writes DIR/FILE (default contract.yaml): a valid compute
#                                    contract for ID over a copy of tests/data/elf/LIB (default
#                                    libnone.so) at LEVEL (default OFFICIAL), EXTRA appended as
#                                    further top-level lines
#   plugin_base ID LIB SHA [LEVEL]   prints the 7 lines of a valid contract (for exact line:col
#                                    assertions: a key appended after it is on line 8)
#   plugin_mode PATH                 octal permission bits
#   plugin_pub_hex FILE              the hex key in a reviewer.pub
#   plugin_audit_records LOG         every record of the log as "seq type correlation_id
#                                    component", one a line (through warden audit show --json)
#   plugin_patch_no_sections FILE    zeroes e_shoff, e_shnum and e_shstrndx of an ELF64 LE file
#   plugin_file_state FILE           sha256 of FILE, or "absent"
#   plugin_cleanup_on_exit           clears the append-only attribute of audit segments before
#                                    the temp dir is removed

plugin_sha256() {
    sha256sum <"$1" | cut -c1-64
}

plugin_lib() {
    mkdir -p "$1" && cp "$WD_TEST_DATA/elf/$2" "$1/$2"
}

plugin_base() {
    printf 'name: %s\ntype: compute\nversion: 1.0.0\nlibrary: %s\nsha256: %s\nabi: 1\nsecurity: {level: %s}\n' \
        "$1" "$2" "$3" "${4:-OFFICIAL}"
}

plugin_contract() {
    local dir=$1 id=$2 lib=${3:-libnone.so} level=${4:-OFFICIAL} extra=${5:-} file=${6:-contract.yaml}
    plugin_lib "$dir" "$lib" || return 1
    {
        plugin_base "$id" "$lib" "$(plugin_sha256 "$dir/$lib")" "$level"
        if [ -n "$extra" ]; then
            printf '%s\n' "$extra"
        fi
    } >"$dir/$file"
}

plugin_mode() {
    stat -c %a "$1"
}

plugin_pub_hex() {
    sed -n 2p "$1"
}

plugin_audit_records() {
    "$WARDEN" audit show --log "$1" --json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    d = json.loads(line)
    print(d["seq"], d["type"], d.get("correlation_id") or "-", d.get("component") or "-")
'
}

plugin_patch_no_sections() {
    python3 - "$1" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
assert b[:4] == b"\x7fELF" and b[4] == 2 and b[5] == 1, "an ELF64 little-endian file"
b[0x28:0x30] = bytes(8)  # e_shoff
b[0x3C:0x3E] = bytes(2)  # e_shnum
b[0x3E:0x40] = bytes(2)  # e_shstrndx
open(p, "wb").write(b)
EOF
}

plugin_file_state() {
    if [ -e "$1" ]; then
        plugin_sha256 "$1"
    else
        echo absent
    fi
}

# plugin_cleanup_on_exit: the audit writer sets the append-only attribute on its segments where it
# can, which would stop the EXIT trap's rm; clear it first (replaces common.sh's EXIT trap).
plugin_cleanup_on_exit() {
    trap 'find "$WD_TMP" -name "audit-*.jsonl*" -exec chattr -a {} + >/dev/null 2>&1; rm -rf "$WD_TMP"' EXIT
}
