#!/usr/bin/env bash
# import_onex.sh: `warden plugin import-onex` (docs/onex.md). An ONEX handler contract becomes a
# runtime: python contract: the mapping of every field, a note (stderr and output comment) for
# every field not carried over or changed, one error with its WD-L id and line:col for every
# rejection path (tests/data/onex/bad-*.yaml), hostile strings that cannot reach the output
# unescaped, the atomic never-overwriting write, and the handler tree hash, which must equal the
# shell one-liner and the CMake function that pins the examples.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

D="$WD_TEST_DATA/onex"
SELF=$(wd_abs "${BASH_SOURCE[0]}")
: "${WD_BINARY_DIR:=$WD_SOURCE_DIR/build}"
if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "error: python3 cannot import yaml (scripts/setup.sh installs python3-yaml)" >&2
    exit 2
fi

# yaml_eq FILE PYEXPR VALUE: str(PYEXPR) == VALUE, with d the YAML document in FILE.
yaml_eq() {
    local got
    got=$(python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1)
    [ "$got" = "$3" ]
    wd_check $? "$(basename "$1"): $2 == $3" "got: $got"
}

tree_sum() { # the specification's shell one-liner
    (cd "$1" && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -printf '%P\n' |
        LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum | cut -d' ' -f1)
}

cd "$D" || exit 2

# ---- a minimal contract: the exact output --------------------------------------------------------
expect_exit 0 -- "$WARDEN" plugin import-onex good-minimal.yaml
diff -u good-minimal.expected.yaml "$WD_OUT" >/dev/null
wd_check $? "good-minimal.yaml converts to good-minimal.expected.yaml" "$(diff -u good-minimal.expected.yaml "$WD_OUT" | head -20)"
expect_stderr_lines 1
expect_stderr_matches '^good-minimal\.yaml:2:16: note: handler_class: warden calls initialize\(config\), execute\(input\), describe\(\) and shutdown\(\) synchronously'

# ---- every field: mapped, changed (said so) or not carried over (said so) -----------------------
expect_exit 0 -- "$WARDEN" plugin import-onex good-full.yaml
cp "$WD_OUT" "$WD_TMP/full.yaml"
yaml_eq "$WD_TMP/full.yaml" "d['name'], d['type'], d['version'], d['runtime']" "('auth_handler', 'effect', '1.0.0', 'python')"
yaml_eq "$WD_TMP/full.yaml" "d['handler_class']" "myapp.handlers.auth.AuthHandler"
yaml_eq "$WD_TMP/full.yaml" "d['security']" "{'level': 'OFFICIAL', 'allow_downgrade': True}"
yaml_eq "$WD_TMP/full.yaml" "d['tags']" "['database', 'async-io']"
yaml_eq "$WD_TMP/full.yaml" "d['config']" "{'root': '/srv', 'retries': 3, 'verbose': True, 'ratio': 0.5, 'nested': {'a': 1, 'b': 'x'}}"
yaml_eq "$WD_TMP/full.yaml" "{k: v['type'] for k, v in d['config_schema']['properties'].items()}" "{'root': 'string', 'retries': 'integer', 'verbose': 'boolean', 'ratio': 'number', 'nested': 'object'}"
yaml_eq "$WD_TMP/full.yaml" "d['policy'], 'sha256' in d, 'handler_root' in d" "('policy.yaml', False, False)"
for n in \
    '2:15: note: handler_name "AuthHandler" becomes name "auth_handler"' \
    '4:15: note: handler_type "EFFECT" becomes type effect' \
    '5:18: note: handler_version "1.0" becomes version 1.0.0' \
    '8:5: note: capability tag "Async_IO" becomes "async-io"' \
    '9:5: note: capability tag "bad tag!" not carried over: warden tags are 1-64 of [a-z0-9-]' \
    '10:5: note: capability tag "database" not carried over: it is the tag "database" again' \
    '11:1: note: description not carried over:' \
    '12:1: note: dependencies not carried over:' \
    '14:19: note: security level "official" becomes OFFICIAL' \
    '16:3: note: security.audit not carried over:' \
    '20:12: note: config.verbose: "yes" is a boolean to ONEX' \
    '23:3: note: config.empty not carried over:'; do
    expect_stderr_contains "good-full.yaml:$n"
    # ... and the same note as a comment at the top of the output
    expect_stdout_contains "#   ${n/: note: /: }"
done
! grep -vqE '^good-full\.yaml:[0-9]+:[0-9]+: note: ' "$WD_ERR"
wd_check $? "good-full.yaml: every stderr line is a FILE:LINE:COL note"

# ---- aliases, a structured version, no level without --level ------------------------------------
expect_exit 2 -- "$WARDEN" plugin import-onex good-aliases.yaml
expect_stderr_matches '^good-aliases\.yaml:3:1: error WD-L016: the ONEX contract declares no security level'
expect_stdout_empty
expect_exit 0 -- "$WARDEN" plugin import-onex good-aliases.yaml --level OFFICIAL_SENSITIVE
cp "$WD_OUT" "$WD_TMP/aliases.yaml"
yaml_eq "$WD_TMP/aliases.yaml" "d['name'], d['type'], d['version'], d['security'], d['tags']" \
    "('http_client_handler', 'nondeterministic_compute', '2.0.11', {'level': 'OFFICIAL_SENSITIVE'}, ['network'])"
expect_stderr_contains 'good-aliases.yaml:3:7: note: handler_name "HTTPClientHandler" becomes name "http_client_handler"'

# ---- warden's own keys in an ONEX file are not trusted; a policy plugin type is explained --------
expect_exit 0 -- "$WARDEN" plugin import-onex good-orchestrator.yaml
cp "$WD_OUT" "$WD_TMP/orch.yaml"
yaml_eq "$WD_TMP/orch.yaml" "d['type'], d['version'], d['runtime'], d['policy'], 'sha256' in d, d['security']" \
    "('orchestrator', '0.1.0-rc.1+build.5', 'python', 'policy.yaml', False, {'level': 'SECRET'})"
for k in runtime policy sha256; do
    expect_stderr_matches "^good-orchestrator\.yaml:[0-9]+:1: note: $k not carried over: a warden key in an ONEX contract is not trusted"
done
expect_stderr_contains 'a warden orchestrator is a policy plugin, which decides and never acts'

# ---- hostile strings: escaped, never a new line, key or comment ---------------------------------
expect_exit 0 -- "$WARDEN" plugin import-onex good-hostile-strings.yaml
cp "$WD_OUT" "$WD_TMP/hostile.yaml"
LC_ALL=C grep -q '[^ -~]' "$WD_TMP/hostile.yaml"
[ $? -ne 0 ]
wd_check $? "good-hostile-strings.yaml: the output is printable ASCII"
python3 - "$WD_TMP/hostile.yaml" good-hostile-strings.yaml <<'EOF'
import sys, yaml
out, src = (yaml.safe_load(open(p)) for p in sys.argv[1:])
assert sorted(out) == ['config', 'config_schema', 'handler_class', 'name', 'policy', 'runtime',
                       'security', 'type', 'version'], sorted(out)
for k in ('line\nbreak', 'quote', 'unicode', 'policy'):
    assert out['config'][k] == src['config'][k], (k, out['config'][k])
assert out['config']['list'] == [1, 'two', True, None]
assert out['policy'] == 'policy.yaml'
EOF
wd_check $? "good-hostile-strings.yaml: every hostile value round-trips and adds no key"
expect_stderr_contains 'good-hostile-strings.yaml:7:1: note: "key\x0aname: injected" not carried over'

# ---- every rejection path: one error line with its id and location, exit 2, no output ------------
while read -r file id loc; do
    expect_exit 2 -- "$WARDEN" plugin import-onex "$file"
    expect_stderr_matches "^${file//./\\.}${loc}: error ${id}: "
    expect_stdout_empty
done <<'EOF'
bad-anchor.yaml WD-L004 :1:7
bad-duplicate-key.yaml WD-L004 :2:1
bad-tag.yaml WD-L004 :1:15
bad-multidoc.yaml WD-L004 :2:1
bad-not-utf8.yaml WD-L004 :1:16
bad-not-mapping.yaml WD-L005 :1:1
bad-empty.yaml WD-L005 ()
bad-missing-fields.yaml WD-L006 :1:1
bad-missing-version.yaml WD-L006 :1:1
bad-no-level.yaml WD-L016 :1:1
bad-null-level.yaml WD-L016 :5:28
bad-level.yaml WD-L005 :5:28
bad-level-both.yaml WD-L005 :5:38
bad-security-type.yaml WD-L005 :5:11
bad-downgrade.yaml WD-L005 :5:46
bad-name-space.yaml WD-L005 :1:19
bad-name-digit.yaml WD-L005 :1:15
bad-name-empty.yaml WD-L005 :1:15
bad-name-type.yaml WD-L005 :1:15
bad-name-long.yaml WD-L005 :1:15
bad-name-both.yaml WD-L005 :2:1
bad-class-identifier.yaml WD-L005 :1:31
bad-class-no-module.yaml WD-L005 :1:16
bad-class-keyword.yaml WD-L005 :1:22
bad-class-empty-part.yaml WD-L005 :1:22
bad-class-unicode.yaml WD-L005 :1:16
bad-type.yaml WD-L005 :1:15
bad-type-list.yaml WD-L005 :1:15
bad-version.yaml WD-L005 :1:18
bad-version-prefix.yaml WD-L005 :1:18
bad-version-map.yaml WD-L005 :1:36
bad-version-map-missing.yaml WD-L006 :1:18
bad-version-map-key.yaml WD-L005 :1:49
bad-tags-type.yaml WD-L005 :6:18
bad-tags-item.yaml WD-L005 :6:23
bad-tags-both.yaml WD-L005 :7:1
bad-config-type.yaml WD-L005 :6:9
bad-config-forbidden.yaml WD-L015 :6:22
bad-config-forbidden-top.yaml WD-L015 :6:10
bad-config-deep.yaml WD-L005 :7:70
bad-config-many.yaml WD-L005 :7:3
EOF
# every bad-*.yaml is in the table above
for f in bad-*.yaml; do
    grep -q "^$f " "$SELF"
    wd_check $? "$f has a row in the rejection table"
done
expect_exit 2 -- "$WARDEN" plugin import-onex bad-missing-fields.yaml
expect_stderr_contains 'bad-missing-fields.yaml:1:1: error WD-L006: the ONEX contract has no handler_name'
expect_stderr_contains 'bad-missing-fields.yaml:1:1: error WD-L006: the ONEX contract has no handler_class'

# a name of exactly 128 bytes is a warden id; one that maps to 129 (aB... -> a_b...) is refused
printf 'handler_name: a%0127d\nhandler_class: a.B\nhandler_type: compute\nhandler_version: 1.0.0\n' 0 >"$WD_TMP/n128.yaml"
expect_exit 0 -- "$WARDEN" plugin import-onex "$WD_TMP/n128.yaml" --level OFFICIAL
expect_stdout_contains "name: a$(printf '%0127d' 0)"
printf 'handler_name: aB%0126d\nhandler_class: a.B\nhandler_type: compute\nhandler_version: 1.0.0\n' 0 >"$WD_TMP/n129.yaml"
expect_exit 2 -- "$WARDEN" plugin import-onex "$WD_TMP/n129.yaml" --level OFFICIAL
expect_stderr_contains "is too long for a warden id (1-128 bytes)"

# --level and --version stand in for what the file lacks or replace it (a note says so)
expect_exit 0 -- "$WARDEN" plugin import-onex bad-no-level.yaml --level PROTECTED
expect_stdout_contains "security: {level: PROTECTED}"
expect_exit 0 -- "$WARDEN" plugin import-onex bad-version.yaml --version 3.1.4
expect_stdout_contains "version: 3.1.4"
expect_stderr_contains 'bad-version.yaml:1:1: note: handler_version not carried over: --version 3.1.4 was given'
expect_exit 2 -- "$WARDEN" plugin import-onex good-minimal.yaml --level TOP
expect_stderr_contains "warden: --level: unknown security level"
expect_exit 2 -- "$WARDEN" plugin import-onex good-minimal.yaml --version 1.0
expect_stderr_contains "warden: --version: not SemVer 2.0.0"
expect_exit 2 -- "$WARDEN" plugin import-onex
expect_exit 2 -- "$WARDEN" plugin import-onex good-minimal.yaml good-full.yaml

# ---- the file itself ---------------------------------------------------------------------------
expect_exit 2 -- "$WARDEN" plugin import-onex "$WD_TMP/none.yaml"
expect_stderr_contains "error WD-L001: no such file"
expect_exit 2 -- "$WARDEN" plugin import-onex "$WD_TMP"
expect_stderr_contains "error WD-L002: not a regular file"
head -c $((10 * 1024 * 1024 + 1)) /dev/zero | tr '\0' '#' >"$WD_TMP/huge.yaml"
expect_exit 2 -- "$WARDEN" plugin import-onex "$WD_TMP/huge.yaml"
expect_stderr_contains "error WD-L007:"

# ---- the output: atomic, never over an existing file without --force -----------------------------
O="$WD_TMP/out"
mkdir -p "$O"
expect_exit 0 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$O/contract.yaml"
cmp -s "$O/contract.yaml" good-minimal.expected.yaml
wd_check $? "-o writes the same contract as stdout"
expect_stderr_contains "warden: wrote $O/contract.yaml; write its policy file policy.yaml"
expect_eq "$(stat -c %a "$O/contract.yaml")" 644 "the contract is written 0644"
echo "keep me" >"$O/contract.yaml"
expect_exit 2 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$O/contract.yaml"
expect_stderr_contains "contract.yaml exists: --force replaces it"
expect_eq "$(cat "$O/contract.yaml")" "keep me" "an existing file is left as it was"
expect_exit 2 -- "$WARDEN" plugin import-onex bad-type.yaml -o "$O/refused.yaml" --force
[ ! -e "$O/refused.yaml" ]
wd_check $? "a refused conversion writes nothing"
expect_exit 0 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$O/contract.yaml" --force
cmp -s "$O/contract.yaml" good-minimal.expected.yaml
wd_check $? "--force replaces the existing file"
expect_eq "$(find "$O" -mindepth 1 | wc -l)" 1 "no temporary file is left behind"

# ---- the handler tree hash --------------------------------------------------------------------
H="$WD_TMP/h"
mkdir -p "$H/src/pkg/sub/__pycache__" "$H/src/pkg/__pycache__"
printf 'x = 1\n' >"$H/src/pkg/__init__.py"
printf 'class Handler:\n    pass\n' >"$H/src/pkg/mod.py"
printf 'data\n' >"$H/src/pkg/sub/z file.txt"
printf 'B\n' >"$H/src/pkg/sub/B.py"
printf 'junk' >"$H/src/pkg/__pycache__/mod.cpython-311.pyc"
printf 'junk' >"$H/src/pkg/sub/__pycache__/x.py"
printf 'junk' >"$H/src/pkg/stale.pyc"
WANT=$(tree_sum "$H/src")
expect_exit 0 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$H/contract.yaml" --handler-root "$H/src"
expect_eq "$(grep '^sha256: ' "$H/contract.yaml")" "sha256: $WANT" "the tree hash equals the shell one-liner's"
expect_eq "$(grep '^handler_root: ' "$H/contract.yaml")" 'handler_root: "src"' "handler_root is relative to the contract"
printf 'y = 2\n' >>"$H/src/pkg/mod.py"
expect_exit 0 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$H/contract.yaml" --force --handler-root "$H/src"
NEW=$(grep '^sha256: ' "$H/contract.yaml")
[ "$NEW" != "sha256: $WANT" ] && [ "$NEW" = "sha256: $(tree_sum "$H/src")" ]
wd_check $? "a changed .py file changes the tree hash"
printf 'junk2' >"$H/src/pkg/__pycache__/mod.cpython-311.pyc"
expect_exit 0 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$H/contract.yaml" --force --handler-root "$H/src"
expect_eq "$(grep '^sha256: ' "$H/contract.yaml")" "$NEW" "__pycache__ and .pyc files are not hashed"
# without -o, handler_root is relative to the current directory
(cd "$H" && "$WARDEN" plugin import-onex "$D/good-minimal.yaml" --handler-root src/pkg 2>/dev/null) >"$WD_TMP/cwd.yaml"
expect_eq "$(grep '^handler_root: ' "$WD_TMP/cwd.yaml")" 'handler_root: "src/pkg"' "without -o, handler_root is relative to the current directory"

expect_exit 2 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$H/c2.yaml" --handler-root "$WD_TMP"
expect_stderr_contains "error WD-L018: the handler root must lie inside the contract's directory"
expect_exit 2 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$H/c2.yaml" --handler-root "$H"
expect_stderr_contains "error WD-L018: the handler root must lie inside the contract's directory"
expect_exit 2 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$H/c2.yaml" --handler-root "$H/nothere"
expect_stderr_contains "error WD-L008: the handler root does not exist"
ln -s src "$H/link"
expect_exit 2 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$H/c2.yaml" --handler-root "$H/link/pkg"
expect_stderr_contains "link/pkg: error WD-L018: a symbolic link in a handler tree: refused"
ln -s mod.py "$H/src/pkg/alias.py"
expect_exit 2 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$H/c2.yaml" --handler-root "$H/src"
expect_stderr_contains "pkg/alias.py: error WD-L018: a symbolic link in a handler tree: refused"
rm "$H/src/pkg/alias.py"
mkfifo "$H/src/pkg/pipe"
expect_exit 2 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$H/c2.yaml" --handler-root "$H/src"
expect_stderr_contains "pkg/pipe: error WD-L028: a special file (a FIFO, socket or device) cannot be in a handler tree"
rm "$H/src/pkg/pipe"
touch "$H/src/pkg/bad"$'\n'"name.py"
expect_exit 2 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$H/c2.yaml" --handler-root "$H/src"
expect_stderr_contains "src/pkg: error WD-L028: holds a name with a newline"
rm "$H/src/pkg/bad"$'\n'"name.py"
mkdir -p "$H/empty/__pycache__"
expect_exit 2 -- "$WARDEN" plugin import-onex good-minimal.yaml -o "$H/c2.yaml" --handler-root "$H/empty"
expect_stderr_contains "error WD-L028: the handler tree holds no file"
[ ! -e "$H/c2.yaml" ]
wd_check $? "a refused handler root writes nothing"

# ---- the example: the ONEX sample converts into (nearly) the shipped pywords contract, with the
# same tree hash the CMake function computed --------------------------------------------------------
BUILT="$WD_BINARY_DIR/examples/python/pywords"
if [ ! -f "$BUILT/contract.yaml" ]; then
    wd_fail "the pywords example is not built in $BUILT"
else
    E="$WD_TMP/pywords"
    cp -r "$BUILT" "$E"
    rm "$E/contract.yaml"
    expect_exit 0 -- "$WARDEN" plugin import-onex "$WD_SOURCE_DIR/examples/onex/pywords/handler_contract.yaml" \
        -o "$E/contract.yaml" --handler-root "$E/src"
    expect_eq "$(grep '^sha256: ' "$E/contract.yaml")" "$(grep '^sha256: ' "$BUILT/contract.yaml")" \
        "import-onex's tree hash equals the CMake function's"
    expect_eq "$(grep '^sha256: ' "$BUILT/contract.yaml")" "sha256: $(tree_sum "$BUILT/src")" \
        "the CMake function's tree hash equals the shell one-liner's"
    python3 - "$E/contract.yaml" "$BUILT/contract.yaml" <<'EOF'
import sys, yaml
got, shipped = (yaml.safe_load(open(p)) for p in sys.argv[1:])
assert shipped.pop('lifecycle') == 'warm'  # ONEX has no field for it
assert got == shipped, (got, shipped)
EOF
    wd_check $? "the converted pywords contract equals the shipped one but for lifecycle"
fi
for ex in pywords pyreadfetch; do
    B="$WD_BINARY_DIR/examples/python/$ex"
    expect_eq "$(grep '^sha256: ' "$B/contract.yaml" 2>&1)" "sha256: $(tree_sum "$B/src")" \
        "examples/python/$ex: the contract pins its tree"
done

finish
