#!/usr/bin/env bash
# process_differential.sh: for 200 random (policy, path) pairs over a small tree (plain files,
# a denied glob, nested directories), what `warden check --policy P read PATH` says equals
# what three unmodified process plugins observe under the same policy: the system's cat, the
# shell's own redirection and Python's open() (allow: the file's content; deny: "Permission
# denied"). The work is in process_differential.py; a fixed seed, so a failure reproduces.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if ! "$WARDEN" sandbox probe --json | python3 -c '
import json, sys
p = json.load(sys.stdin)
sys.exit(0 if p["landlock"]["abi"] >= 1 and p["seccomp"]["filter"] else 1)'; then
    echo "note: no Landlock or no seccomp filter on this kernel: skipping"
    exit 77
fi
for tool in /bin/sh /usr/bin/cat /usr/bin/python3; do
    if [ ! -x "$tool" ]; then
        echo "error: $tool is needed" >&2
        exit 2
    fi
done

mkdir -p "$WD_TMP/tree"
WD_TIMEOUT=120 expect_exit 0 -- python3 "$WD_LIB_DIR/../process_differential.py" "$WARDEN" "$WD_TMP/tree" --seed 14 --policies 20 --paths 10
expect_stdout_matches '^200 pairs \([1-9][0-9]* allowed, [1-9][0-9]* denied\), 20 policies, seed 14: 0 mismatches$'
[ "$WD_LAST_RC" = 0 ] || cat "$WD_OUT"
finish
