# shellcheck shell=bash
# tests/integration/lib/audit.sh: helpers shared by the audit-log integration scripts
# (audit_cli.sh, audit_openssl.sh, audit_crash.sh). Source lib/common.sh first.
#
#   audit_keygen DIR                 warden audit keygen --dir DIR, quietly; fails the script if
#                                    it cannot (nothing else would make sense)
#   audit_events N [TYPE] [SEV] [FIRST]
#                                    prints N --stdin event lines, details {"n":FIRST..}
#   audit_segments LOG               the segment paths of LOG, in numeric order, one a line
#   audit_cat LOG                    every segment's bytes, in order
#   audit_count LOG                  the number of lines (records) in LOG
#   audit_line LOG K                 line K of the whole log (the record with seq K in a clean log)
#   audit_seqs FILE                  the seq of every record line in FILE, one a line
#   audit_mode PATH                  octal permission bits, e.g. 600
#   audit_sha256 STRING              hex SHA-256 of STRING's bytes (no newline added)

audit_keygen() {
    if ! "$WARDEN" audit keygen --dir "$1" >/dev/null 2>"$WD_TMP/.keygen.err"; then
        echo "error: warden audit keygen --dir $1 failed: $(cat "$WD_TMP/.keygen.err")" >&2
        exit 2
    fi
}

audit_events() {
    local n=$1 type=${2:-EV} sev=${3:-LOW} first=${4:-1} i
    for ((i = first; i < first + n; i++)); do
        printf '{"type":"%s","severity":"%s","component":"test","details":{"n":%d,"s":"abcdef"}}\n' \
            "$type" "$sev" "$i"
    done
}

audit_segments() {
    find "$1" -maxdepth 1 -type f -name 'audit-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9].jsonl' |
        sort
}

audit_cat() {
    local f
    while IFS= read -r f; do
        cat "$f"
    done < <(audit_segments "$1")
}

audit_count() {
    audit_cat "$1" | wc -l | tr -d ' '
}

audit_line() {
    audit_cat "$1" | sed -n "$2p"
}

audit_seqs() {
    sed -nE 's/^\{"seq":([0-9]+),.*/\1/p' "$1"
}

audit_mode() {
    stat -c %a "$1"
}

audit_sha256() {
    printf '%s' "$1" | sha256sum | cut -d' ' -f1
}
