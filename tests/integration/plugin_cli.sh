#!/usr/bin/env bash
# plugin_cli.sh: `warden plugin validate|pipeline|keygen|sign|verify|inspect|list` (issue 4).
# Pins what docs/contracts.md and docs/errors.md (WD-L) promise: every contract problem as
# FILE:LINE:COL: error WD-Lnnn: message; author-owned security levels; pipelines compared on the
# level enum; the review gate; the import gate; discovery with containment, deterministic order,
# one correlation id per batch (report and audit records); exit 0 ok, 1 refused/invalid, 2 error.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"
# shellcheck source=lib/plugin.sh
source "$WD_LIB_DIR/plugin.sh"
plugin_cleanup_on_exit

ELF="$WD_TEST_DATA/elf"

# =================================================================================================
# plugin validate
# =================================================================================================

V="$WD_TMP/validate"
plugin_lib "$V" libnone.so
SHA=$(plugin_sha256 "$V/libnone.so")

# vfile NAME: V/NAME.yaml from stdin, @SHA@ replaced by libnone.so's hash.
vfile() {
    sed "s/@SHA@/$SHA/g" >"$V/$1.yaml"
}
# base [LEVEL] [ID]: the 7 lines of a valid contract; whatever follows starts on line 8.
base() {
    plugin_base "${2:-acme.x}" libnone.so "$SHA" "${1:-OFFICIAL}"
}
# vbase NAME SED: the base contract edited by a sed expression.
vbase() {
    base | sed "$2" >"$V/$1.yaml"
}
# vextra NAME: the base contract, then stdin.
vextra() {
    {
        base
        cat
    } >"$V/$1.yaml"
}

# valid NAME SUMMARY: exit 0, "FILE: valid (SUMMARY)", nothing on stderr.
valid() {
    local f="$V/$1.yaml"
    expect_exit 0 -- "$WARDEN" plugin validate "$f"
    expect_stdout_line 1 "$f: valid ($2)"
    expect_stderr_empty
}

# invalid NAME ERRORS LOC ID MESSAGE: exit 1, "FILE: invalid", ERRORS diagnostics on stderr, one
# of them "FILE:LOC: error ID: MESSAGE..." (MESSAGE a prefix of the message).
invalid() {
    local f="$V/$1.yaml" n=$2 loc=$3 id=$4 msg=$5
    expect_exit 1 -- "$WARDEN" plugin validate "$f"
    expect_stdout_line 1 "$f: invalid"
    expect_stdout_lines 1
    expect_stderr_lines "$n"
    expect_stderr_contains "$f:$loc: error $id: $msg"
}

# ---- valid contracts ------------------------------------------------------------------------------

vfile full <<'EOF'
name: acme.files.reader
type: effect
version: 1.2.0-rc.1+build.7
library: libnone.so
sha256: @SHA@
abi: 1
security:
  level: PROTECTED
  allow_downgrade: true
config_schema:
  type: object
  additionalProperties: false
  description: reader settings
  properties:
    root: {type: string, description: where to read}
    max_results: {type: integer}
    ratio: {type: number}
    verbose: {type: boolean}
    paths: {type: array}
    extra: {type: object}
  required: [root]
config:
  root: /srv
  max_results: 10
  ratio: 0.5
  verbose: true
  paths: [a, b]
  extra: {nested: {deeper: 1}}
policy:
  version: "1.0"
  permissions:
    network:
      allow:
        - host: api.example.com
tags: [files, read-only]
EOF
valid full "acme.files.reader effect 1.2.0-rc.1+build.7, PROTECTED, may run lower"
base SECRET >"$V/plain.yaml"
valid plain "acme.x compute 1.0.0, SECRET"
for t in compute effect nondeterministic_compute orchestrator reducer; do
    vbase "type-$t" "s/^type: .*/type: $t/"
    valid "type-$t" "acme.x $t 1.0.0, OFFICIAL"
done
for l in UNOFFICIAL OFFICIAL OFFICIAL_SENSITIVE PROTECTED SECRET; do
    vbase "level-$l" "s/^security: .*/security: {level: $l, allow_downgrade: false}/"
    valid "level-$l" "acme.x compute 1.0.0, $l"
done
# the longest id (128), a library in a subdirectory reached through "..", inside the directory
ID128="a$(printf 'b%.0s' $(seq 127))"
base OFFICIAL "$ID128" >"$V/id128.yaml"
valid id128 "$ID128 compute 1.0.0, OFFICIAL"
vbase libsub 's|^library: .*|library: sub/../libnone.so|'
valid libsub "acme.x compute 1.0.0, OFFICIAL"
# a UTF-8 byte-order mark is allowed
{
    printf '\xef\xbb\xbf'
    base
} >"$V/bom.yaml"
valid bom "acme.x compute 1.0.0, OFFICIAL"

# ---- WD-L005: unknown key, bad name / type / version / sha256 / abi / level / tag -----------------

printf 'frobnicate: 1\n' | vextra unknown
invalid unknown 1 8:1 WD-L005 'unknown key "frobnicate" in contract'
vbase name-upper 's/^name: .*/name: Acme.x/'
invalid name-upper 1 1:7 WD-L005 'plugin name "Acme.x" must be 1-128 of [a-z0-9._-], starting with a letter'
vbase name-digit 's/^name: .*/name: 1acme/'
invalid name-digit 1 1:7 WD-L005 'plugin name "1acme" must be'
vbase name-slash 's|^name: .*|name: acme/x|'
invalid name-slash 1 1:7 WD-L005 'plugin name "acme/x" must be'
vbase name-empty 's/^name: .*/name: ""/'
invalid name-empty 1 1:7 WD-L005 'plugin name'
base OFFICIAL "${ID128}c" >"$V/id129.yaml"
invalid id129 1 1:7 WD-L005 'plugin name "abbb'
vbase type-bad 's/^type: .*/type: computer/'
invalid type-bad 1 2:7 WD-L005 'unknown plugin type "computer"'
vbase type-case 's/^type: .*/type: Compute/'
invalid type-case 1 2:7 WD-L005 'unknown plugin type "Compute"'
vbase ver-zero 's/^version: .*/version: 01.0.0/'
invalid ver-zero 1 3:10 WD-L005 'version "01.0.0" is not SemVer 2.0.0: leading zero'
vbase ver-short 's/^version: .*/version: "1.0"/'
invalid ver-short 1 3:10 WD-L005 'version "1.0" is not SemVer 2.0.0'
vbase ver-pre 's/^version: .*/version: 1.0.0-01/'
invalid ver-pre 1 3:10 WD-L005 'version "1.0.0-01" is not SemVer 2.0.0'
vbase ver-v 's/^version: .*/version: v1.0.0/'
invalid ver-v 1 3:10 WD-L005 'version "v1.0.0" is not SemVer 2.0.0'
vbase sha-upper "s/^sha256: .*/sha256: ${SHA^^}/"
invalid sha-upper 1 5:9 WD-L005 'sha256 must be 64 lowercase hex digits'
vbase sha-short "s/^sha256: .*/sha256: ${SHA:0:63}/"
invalid sha-short 1 5:9 WD-L005 'sha256 must be 64 lowercase hex digits'
vbase sha-nonhex "s/^sha256: .*/sha256: ${SHA:0:63}g/"
invalid sha-nonhex 1 5:9 WD-L005 'sha256 must be 64 lowercase hex digits'
vbase abi-zero 's/^abi: .*/abi: 0/'
invalid abi-zero 1 6:6 WD-L005 'abi must be a whole number from 1 to 65535'
vbase abi-big 's/^abi: .*/abi: 65536/'
invalid abi-big 1 6:6 WD-L005 'abi must be a whole number from 1 to 65535'
vbase abi-text 's/^abi: .*/abi: one/'
invalid abi-text 1 6:6 WD-L005 'abi must be'
vbase abi-quoted 's/^abi: .*/abi: "1"/'
invalid abi-quoted 1 6:6 WD-L005 'abi must be'
vbase level-bad 's/^security: .*/security: {level: TOP_SECRET}/'
invalid level-bad 1 7:19 WD-L005 'unknown security level "TOP_SECRET"'
# levels are an enum of exact names, not strings compared loosely
vbase level-lower 's/^security: .*/security: {level: official}/'
invalid level-lower 1 7:19 WD-L005 'unknown security level "official"'
vbase downgrade-yes 's/^security: .*/security: {level: OFFICIAL, allow_downgrade: yes}/'
invalid downgrade-yes 1 7:46 WD-L005 'security.allow_downgrade must be true or false'
printf 'security2: 1\n' | vextra unknown2
invalid unknown2 1 8:1 WD-L005 'unknown key "security2"'
vbase sec-unknown 's/^security: .*/security: {level: OFFICIAL, clearance: SECRET}/'
invalid sec-unknown 1 7:29 WD-L005 'unknown key "clearance"'
printf 'tags: [Bad_Tag]\n' | vextra tag-bad
invalid tag-bad 1 8:8 WD-L005 'tags are 1-64 of [a-z0-9-]'

# ---- WD-L006 missing fields; WD-L016 no level (never defaulted) ------------------------------------

printf 'name: acme.x\n' | vfile only-name
expect_exit 1 -- "$WARDEN" plugin validate "$V/only-name.yaml"
for field in type version library sha256 abi; do
    expect_stderr_contains "$V/only-name.yaml:1:1: error WD-L006: contract has no $field"
done
expect_stderr_contains "$V/only-name.yaml:1:1: error WD-L016: "
expect_stderr_not_contains "contract has no name"
expect_stderr_lines 6
for field in name type version library sha256 abi; do
    base | grep -v "^$field:" | vfile "no-$field"
    invalid "no-$field" 1 1:1 WD-L006 "contract has no $field"
done
base | grep -v '^security:' | vfile no-security
invalid no-security 1 1:1 WD-L016 "no security: {level: ...} declared by the author"
vbase no-level 's/^security: .*/security: {allow_downgrade: true}/'
invalid no-level 1 7:11 WD-L016 "security.level is missing"
vbase null-security 's/^security: .*/security:/'
invalid null-security 1 7:10 WD-L016 "security is empty: it needs a level"
vbase null-level 's/^security: .*/security: {level: ~}/'
invalid null-level 1 7:19 WD-L016 "security.level is missing"
# a missing level is an error even where nothing else is wrong: never the lowest level
expect_stdout_not_contains "UNOFFICIAL"

# ---- WD-L018: the library path leaves the contract's directory -------------------------------------

vbase lib-up 's|^library: .*|library: ../libnone.so|'
invalid lib-up 1 4:10 WD-L018 'library "../libnone.so" must be a relative path inside the contract'"'"'s directory'
vbase lib-abs 's|^library: .*|library: /usr/lib/libc.so.6|'
invalid lib-abs 1 4:10 WD-L018 'library "/usr/lib/libc.so.6" must be a relative path'
vbase lib-deep 's|^library: .*|library: sub/../../other/libnone.so|'
invalid lib-deep 1 4:10 WD-L018 'library "sub/../../other/libnone.so"'
vbase lib-dot 's|^library: .*|library: .|'
invalid lib-dot 1 4:10 WD-L018 'library "."'

# ---- WD-L015: config_schema exposing, or config setting, an author-owned field --------------------

for field in security_level allow_downgrade max_operating_level; do
    vextra "schema-$field" <<EOF
config_schema:
  type: object
  properties:
    root: {type: string}
    $field: {type: string}
EOF
    invalid "schema-$field" 1 12:5 WD-L015 "config_schema exposes \"$field\", which only the plugin's author sets"
    vextra "config-$field" <<EOF
config_schema:
  properties:
    root: {type: string}
config:
  root: /srv
  $field: SECRET
EOF
    invalid "config-$field" 1 13:3 WD-L015 "config sets \"$field\", which only the plugin's author sets"
done
# at any depth: inside an object value, inside a list of objects, several levels down
vextra config-nested <<'EOF'
config_schema:
  properties:
    opts: {type: object}
config:
  opts:
    inner:
      allow_downgrade: true
EOF
invalid config-nested 1 14:7 WD-L015 'config sets "allow_downgrade"'
vextra config-nested-list <<'EOF'
config_schema:
  properties:
    stages: {type: array}
config:
  stages:
    - name: a
    - max_operating_level: SECRET
EOF
invalid config-nested-list 1 14:7 WD-L015 'config sets "max_operating_level"'
vextra config-deep <<'EOF'
config_schema:
  properties:
    a: {type: object}
config:
  a: {b: {c: [{d: {security_level: SECRET}}]}}
EOF
invalid config-deep 1 12:20 WD-L015 'config sets "security_level"'
# the level stays the author's: an operator's config cannot change what validate reports
expect_stdout_not_contains "SECRET"

# ---- config against config_schema ------------------------------------------------------------------

vextra cfg-no-schema <<'EOF'
config:
  root: /srv
EOF
invalid cfg-no-schema 1 9:3 WD-L005 'config key "root" is not in config_schema (there is no config_schema)'
vextra cfg-unknown <<'EOF'
config_schema:
  properties:
    root: {type: string}
config:
  rot: /srv
EOF
invalid cfg-unknown 1 12:3 WD-L005 'config key "rot" is not in config_schema'
vextra cfg-types <<'EOF'
config_schema:
  properties:
    n: {type: integer}
    b: {type: boolean}
    x: {type: number}
    l: {type: array}
    o: {type: object}
    s: {type: string}
config:
  n: many
  b: yes
  x: 1e
  l: notalist
  o: [1]
  s: ~
EOF
expect_exit 1 -- "$WARDEN" plugin validate "$V/cfg-types.yaml"
expect_stderr_lines 6
expect_stderr_contains "$V/cfg-types.yaml:17:6: error WD-L005: config.n must be an integer"
expect_stderr_contains "$V/cfg-types.yaml:18:6: error WD-L005: config.b must be a boolean"
expect_stderr_contains "$V/cfg-types.yaml:19:6: error WD-L005: config.x must be a number"
expect_stderr_contains "$V/cfg-types.yaml:20:6: error WD-L005: config.l must be an array"
expect_stderr_contains "$V/cfg-types.yaml:21:6: error WD-L005: config.o must be an object"
expect_stderr_contains "$V/cfg-types.yaml:22:6: error WD-L005: config.s must be a string"
vextra cfg-required <<'EOF'
config_schema:
  properties:
    root: {type: string}
    depth: {type: integer}
  required: [root]
config:
  depth: 3
EOF
invalid cfg-required 1 14:3 WD-L006 'config.root is required by config_schema'
vextra cfg-required-none <<'EOF'
config_schema:
  properties:
    root: {type: string}
  required: [root]
EOF
invalid cfg-required-none 1 1:1 WD-L006 'config.root is required by config_schema'
vextra schema-proptype <<'EOF'
config_schema:
  properties:
    root: {type: str}
EOF
invalid schema-proptype 1 10:18 WD-L005 'property type must be string, integer, number, boolean, array or object'
vextra schema-open <<'EOF'
config_schema:
  type: object
  additionalProperties: true
EOF
invalid schema-open 1 10:25 WD-L005 'config_schema.additionalProperties may only be false'
vextra schema-required-undefined <<'EOF'
config_schema:
  properties:
    a: {type: string}
  required: [a, b]
config:
  a: x
EOF
invalid schema-required-undefined 1 11:17 WD-L005 'required names a property the schema does not define'
vextra schema-type <<'EOF'
config_schema:
  type: array
EOF
invalid schema-type 1 9:9 WD-L005 'config_schema.type must be object'

# ---- policy plugins grant nothing; inline and file policies ------------------------------------------

{
    base | sed 's/^type: .*/type: reducer/'
    cat <<'EOF'
policy:
  version: "1.0"
  permissions:
    network:
      allow:
        - host: example.com
EOF
} >"$V/reducer-caps.yaml"
invalid reducer-caps 1 9:3 WD-L005 'a reducer is a policy plugin and gets no storage, network or environment access'
{
    base | sed 's/^type: .*/type: orchestrator/'
    printf 'policy: caps.yaml\n'
} >"$V/orchestrator-caps.yaml"
printf 'version: "1.0"\npermissions:\n  environment:\n    allow:\n      - key: HOME\n' >"$V/caps.yaml"
invalid orchestrator-caps 1 8:9 WD-L005 'an orchestrator is a policy plugin'
{
    base | sed 's/^type: .*/type: reducer/'
    printf 'policy:\n  version: "1.0"\n  permissions: {}\n'
} >"$V/reducer-nothing.yaml"
valid reducer-nothing "acme.x reducer 1.0.0, OFFICIAL"
# the same policy is fine for a handler
printf 'policy: caps.yaml\n' | vextra compute-caps
valid compute-caps "acme.x compute 1.0.0, OFFICIAL"
vextra inline-bad <<'EOF'
policy:
  version: "1.0"
  permissions:
    network:
      allow:
        - host: "bad host!"
EOF
invalid inline-bad 1 13:17 WD-P021 'bad host "bad host!"'
vextra inline-unknown <<'EOF'
policy:
  version: "1.0"
  permissions:
    storage:
      allow:
        - uri: fs:///srv
          acess: [read]
EOF
expect_exit 1 -- "$WARDEN" plugin validate "$V/inline-unknown.yaml"
expect_stderr_contains "$V/inline-unknown.yaml:14:11: error WD-P011: "
printf 'version: "1.0"\npermissions:\n  network:\n    allow:\n      - host: "bad host!"\n  storage:\n    allow:\n      - uri: fs:///x\n        access: [fly]\n' >"$V/broken-policy.yaml"
printf 'policy: broken-policy.yaml\n' | vextra file-bad
expect_exit 1 -- "$WARDEN" plugin validate "$V/file-bad.yaml"
expect_stdout_line 1 "$V/file-bad.yaml: invalid"
expect_stderr_contains "$V/broken-policy.yaml:5:15: error WD-P021: bad host"
expect_stderr_contains "$V/broken-policy.yaml:9:18: error WD-P020: unknown access \"fly\""
expect_stderr_lines 2
printf 'policy: no-such-policy.yaml\n' | vextra file-missing
expect_exit 1 -- "$WARDEN" plugin validate "$V/file-missing.yaml"
expect_stderr_contains "error WD-P001: "
expect_stderr_contains "$V/file-missing.yaml:8:9: error WD-L003: cannot read the policy no-such-policy.yaml"
# the reason must be there, not an empty string after the colon
expect_stderr_matches "WD-L003: cannot read the policy no-such-policy.yaml: [^ ]"
printf 'policy: /etc\n' | vextra file-dir
expect_exit 1 -- "$WARDEN" plugin validate "$V/file-dir.yaml"
expect_stderr_contains "$V/file-dir.yaml:8:9: error WD-L003: "

# ---- WD-L004: not safe YAML, not UTF-8 -------------------------------------------------------------

{
    base
    printf 'tags: [caf\xe9]\n'
} >"$V/latin1.yaml"
invalid latin1 1 8:11 WD-L004 'not valid UTF-8, or a NUL byte'
{
    base
    printf 'tags: [ok]\n\0\n'
} >"$V/nul.yaml"
invalid nul 1 9:1 WD-L004 'not valid UTF-8, or a NUL byte'
{
    base
    printf 'tags: [\xc0\xaf]\n'
} >"$V/overlong.yaml"
invalid overlong 1 8:8 WD-L004 'not valid UTF-8'
printf 'name: acme.y\n' | vextra duplicate
invalid duplicate 1 8:1 WD-L004 'duplicate key: name (WD-P010)'
printf 'tags: &t [a]\nconfig: *t\n' | vextra anchors
expect_exit 1 -- "$WARDEN" plugin validate "$V/anchors.yaml"
expect_stderr_contains "$V/anchors.yaml:8:7: error WD-L004: anchors and aliases are not allowed"
printf 'tags: !!python/object [x]\n' | vextra yaml-tag
invalid yaml-tag 1 8:7 WD-L004 'explicit tags are not allowed'
printf -- '---\nname: b\n' | vextra two-docs
invalid two-docs 1 8:1 WD-L004 ''
printf 'name: [\n' | vfile syntax
expect_exit 1 -- "$WARDEN" plugin validate "$V/syntax.yaml"
expect_stderr_matches "^$V/syntax.yaml:[0-9]+:[0-9]+: error WD-L004: .*\\(WD-P005\\)$"
printf -- '- a\n- b\n' | vfile not-a-map
invalid not-a-map 1 1:1 WD-L005 'a contract is a mapping'

# ---- WD-L007: over 10 MiB (exactly 10 MiB is fine) -------------------------------------------------

{
    base
    printf '# '
} >"$V/exact.yaml"
pad=$((10 * 1024 * 1024 - $(stat -c %s "$V/exact.yaml")))
head -c "$pad" /dev/zero | tr '\0' x >>"$V/exact.yaml"
expect_eq "$(stat -c %s "$V/exact.yaml")" 10485760 "the boundary contract is exactly 10 MiB"
valid exact "acme.x compute 1.0.0, OFFICIAL"
printf 'y' >>"$V/exact.yaml"
mv "$V/exact.yaml" "$V/big.yaml"
expect_exit 1 -- "$WARDEN" plugin validate "$V/big.yaml"
expect_stdout_line 1 "$V/big.yaml: invalid"
expect_stderr_contains "$V/big.yaml: error WD-L007: "
# the message says why (the size and the limit), not nothing
expect_stderr_contains "the limit is 10485760 bytes"

# ---- unreadable: exit 2 ------------------------------------------------------------------------------

expect_exit 2 -- "$WARDEN" plugin validate "$V/no-such-contract.yaml"
expect_stdout_line 1 "$V/no-such-contract.yaml: unreadable"
expect_stderr_contains "$V/no-such-contract.yaml: error WD-L001: no such contract"
expect_exit 2 -- "$WARDEN" plugin validate "$V"
expect_stderr_contains "$V: error WD-L002: not a regular file"
mkfifo "$V/fifo.yaml"
expect_exit 2 -- "$WARDEN" plugin validate "$V/fifo.yaml"
expect_stderr_contains "error WD-L002: "
# several files: each reported; the worst status wins
expect_exit 1 -- "$WARDEN" plugin validate "$V/plain.yaml" "$V/config-security_level.yaml"
expect_stdout_line 1 "$V/plain.yaml: valid (acme.x compute 1.0.0, SECRET)"
expect_stdout_line 2 "$V/config-security_level.yaml: invalid"
expect_exit 2 -- "$WARDEN" plugin validate "$V/plain.yaml" "$V/no-such-contract.yaml" "$V/unknown.yaml"
expect_stdout_lines 3
expect_stdout_line 3 "$V/unknown.yaml: invalid"
# relative paths are reported as given
expect_exit 0 -- bash -c 'cd "$1" && exec "$2" plugin validate plain.yaml' _ "$V" "$WARDEN"
expect_stdout_line 1 "plain.yaml: valid (acme.x compute 1.0.0, SECRET)"
expect_exit 2 -- "$WARDEN" plugin validate
expect_exit 2 -- "$WARDEN" plugin frobnicate x
expect_stderr_contains 'unknown plugin command "frobnicate"'
expect_exit 0 -- "$WARDEN" plugin --help
expect_stdout_contains "usage: warden plugin validate"

# =================================================================================================
# plugin pipeline: the lowest clearance, on the enum; refusal names the first plugin (WD-L020)
# =================================================================================================

P="$WD_TMP/pipeline"
plugin_lib "$P" libnone.so
# pc NAME LEVEL DOWNGRADE
pc() {
    plugin_base "$1" libnone.so "$SHA" "$2" |
        sed "s/^security: .*/security: {level: $2, allow_downgrade: $3}/" >"$P/$1.yaml"
}
pc unoff UNOFFICIAL false
pc off OFFICIAL false
pc offsens OFFICIAL_SENSITIVE false
pc offsens.dg OFFICIAL_SENSITIVE true
pc prot PROTECTED false
pc prot.dg PROTECTED true
pc secret SECRET false
pc secret.dg SECRET true

expect_exit 0 -- "$WARDEN" plugin pipeline "$P/secret.yaml"
expect_stdout_line 1 "pipeline runs at SECRET"
expect_exit 0 -- "$WARDEN" plugin pipeline "$P/secret.yaml" "$P/secret.dg.yaml"
expect_stdout_line 1 "pipeline runs at SECRET"
expect_exit 0 -- "$WARDEN" plugin pipeline "$P/off.yaml" "$P/prot.dg.yaml"
expect_stdout_line 1 "pipeline runs at OFFICIAL"
# enum order, not string order: as strings OFFICIAL_SENSITIVE < PROTECTED < SECRET < UNOFFICIAL
# would make "OFFICIAL" the lowest of these and UNOFFICIAL the highest
expect_exit 0 -- "$WARDEN" plugin pipeline "$P/secret.dg.yaml" "$P/offsens.dg.yaml" "$P/unoff.yaml" "$P/prot.dg.yaml"
expect_stdout_line 1 "pipeline runs at UNOFFICIAL"
expect_stdout_lines 1
expect_exit 0 -- "$WARDEN" plugin pipeline "$P/prot.dg.yaml" "$P/offsens.yaml" "$P/secret.dg.yaml"
expect_stdout_line 1 "pipeline runs at OFFICIAL_SENSITIVE"
# every plugin allows the downgrade: the lowest level
expect_exit 0 -- "$WARDEN" plugin pipeline "$P/secret.dg.yaml" "$P/prot.dg.yaml" "$P/offsens.dg.yaml"
expect_stdout_line 1 "pipeline runs at OFFICIAL_SENSITIVE"
# refusals: naming the plugin (the first that forbids the downgrade), with WD-L020
expect_exit 1 -- "$WARDEN" plugin pipeline "$P/off.yaml" "$P/secret.yaml"
expect_stdout_contains "secret is cleared SECRET and does not allow running at OFFICIAL"
expect_stdout_not_contains "pipeline runs at"
run "$WARDEN" plugin pipeline "$P/off.yaml" "$P/secret.yaml"
grep -q "WD-L020" "$WD_OUT" "$WD_ERR"
wd_check $? "pipeline refusal carries its id WD-L020 (docs/contracts.md)" "neither stdout nor stderr names WD-L020"
expect_exit 1 -- "$WARDEN" plugin pipeline "$P/unoff.yaml" "$P/prot.yaml" "$P/secret.yaml"
expect_stdout_contains "prot is cleared PROTECTED and does not allow running at UNOFFICIAL"
expect_stdout_not_contains "secret is cleared"
expect_exit 1 -- "$WARDEN" plugin pipeline "$P/secret.yaml" "$P/prot.yaml" "$P/unoff.yaml"
expect_stdout_contains "secret is cleared SECRET and does not allow running at UNOFFICIAL"
# allowed downgrades before the refusing one do not hide it
expect_exit 1 -- "$WARDEN" plugin pipeline "$P/secret.dg.yaml" "$P/prot.dg.yaml" "$P/offsens.yaml" "$P/unoff.yaml"
expect_stdout_contains "offsens is cleared OFFICIAL_SENSITIVE and does not allow running at UNOFFICIAL"
# the lowest plugin itself needs no downgrade permission
expect_exit 0 -- "$WARDEN" plugin pipeline "$P/unoff.yaml" "$P/secret.dg.yaml" "$P/prot.dg.yaml"
expect_stdout_line 1 "pipeline runs at UNOFFICIAL"
expect_exit 1 -- "$WARDEN" plugin pipeline "$P/unoff.yaml" "$P/off.yaml"
expect_stdout_contains "off is cleared OFFICIAL and does not allow running at UNOFFICIAL"
# an invalid or missing contract is not a pipeline
expect_exit 2 -- "$WARDEN" plugin pipeline "$P/off.yaml" "$V/no-security.yaml"
expect_stdout_contains "$V/no-security.yaml: invalid"
expect_stderr_contains "error WD-L016"
expect_stdout_not_contains "pipeline runs at"
expect_exit 2 -- "$WARDEN" plugin pipeline "$P/off.yaml" "$P/none.yaml"
expect_stderr_contains "error WD-L001"
expect_exit 2 -- "$WARDEN" plugin pipeline "$P/off.yaml" "$V/config-nested.yaml"
expect_stderr_contains "error WD-L015"
expect_stdout_not_contains "pipeline runs at"

# =================================================================================================
# plugin keygen / sign / verify: the review gate
# =================================================================================================

R="$WD_TMP/review"
K="$WD_TMP/reviewer"
K2="$WD_TMP/other-reviewer"
plugin_contract "$R" acme.reviewed libexec.so PROTECTED
C="$R/contract.yaml"
cp "$C" "$WD_TMP/contract.orig"
cp "$R/libexec.so" "$WD_TMP/lib.orig"

expect_exit 0 -- "$WARDEN" plugin keygen --dir "$K"
expect_eq "$(plugin_mode "$K/reviewer.key")" 600 "reviewer.key is 0600"
[ -s "$K/reviewer.pub" ]
wd_check $? "keygen writes reviewer.pub" "$K/reviewer.pub is missing"
key_state=$(plugin_file_state "$K/reviewer.key")
pub_state=$(plugin_file_state "$K/reviewer.pub")
expect_exit 2 -- "$WARDEN" plugin keygen --dir "$K"
expect_stderr_contains "WD-A012"
expect_eq "$(plugin_file_state "$K/reviewer.key")" "$key_state" "keygen refuses to overwrite reviewer.key"
expect_eq "$(plugin_file_state "$K/reviewer.pub")" "$pub_state" "keygen refuses to overwrite reviewer.pub"
# one file of the pair is enough to refuse
mkdir "$WD_TMP/half"
echo x >"$WD_TMP/half/reviewer.pub"
expect_exit 2 -- "$WARDEN" plugin keygen --dir "$WD_TMP/half"
expect_eq "$(ls "$WD_TMP/half")" "reviewer.pub" "keygen with an existing reviewer.pub writes nothing"
expect_exit 2 -- "$WARDEN" plugin keygen
expect_exit 0 -- "$WARDEN" plugin keygen --dir "$K2"
SIGNER=$(plugin_pub_hex "$K/reviewer.pub")

# unsigned
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K"
expect_stdout_contains "$C: refused: WD-L013 "
expect_stdout_not_contains ": reviewed"
# signed
expect_exit 0 -- "$WARDEN" plugin sign "$C" --key "$K/reviewer.key"
expect_stdout_line 1 "$C: signed ($C.sig)"
[ -s "$C.sig" ]
wd_check $? "sign writes CONTRACT.sig" "$C.sig is missing"
sig_state=$(plugin_file_state "$C.sig")
expect_exit 0 -- "$WARDEN" plugin verify "$C" --trust "$K"
expect_stdout_line 1 "$C: reviewed (signed by $SIGNER)"
# the trust directory may hold several keys
mkdir "$WD_TMP/trust-both"
cp "$K/reviewer.pub" "$WD_TMP/trust-both/alice.pub"
cp "$K2/reviewer.pub" "$WD_TMP/trust-both/bob.pub"
expect_exit 0 -- "$WARDEN" plugin verify "$C" --trust "$WD_TMP/trust-both"
# contract edited after signing: even a comment
printf '# edited after review\n' >>"$C"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K"
expect_stdout_contains "$C: refused: WD-L014 "
cp "$WD_TMP/contract.orig" "$C"
expect_exit 0 -- "$WARDEN" plugin verify "$C" --trust "$K"
# an author-owned field changed after review: the level
sed 's/level: PROTECTED/level: UNOFFICIAL/' "$WD_TMP/contract.orig" >"$C"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K"
expect_stdout_contains "WD-L014"
cp "$WD_TMP/contract.orig" "$C"
# library edited (the contract still names the old hash)
printf 'x' >>"$R/libexec.so"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K"
expect_stderr_contains "error WD-L009: library hashes to $(plugin_sha256 "$R/libexec.so"), not to the contract's sha256"
expect_stdout_not_contains "reviewed"
# library edited and the contract's sha256 updated to match: the signature no longer covers it
sed "s/^sha256: .*/sha256: $(plugin_sha256 "$R/libexec.so")/" "$WD_TMP/contract.orig" >"$C"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K"
expect_stdout_contains "WD-L014"
cp "$WD_TMP/contract.orig" "$C"
cp "$WD_TMP/lib.orig" "$R/libexec.so"
expect_exit 0 -- "$WARDEN" plugin verify "$C" --trust "$K"
# the library replaced by a symlink to identical bytes: refused, never followed
mv "$R/libexec.so" "$R/real.so"
ln -s real.so "$R/libexec.so"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K"
expect_stderr_contains "error WD-L018: "
rm "$R/libexec.so"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K"
expect_stderr_contains "error WD-L008: "
mv "$R/real.so" "$R/libexec.so"
# a signer outside the trust directory, an empty trust directory
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K2"
expect_stdout_contains "$C: refused: WD-L014 signed by a key that is not in the trust directory"
mkdir "$WD_TMP/trust-empty"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$WD_TMP/trust-empty"
expect_stdout_contains "WD-L014"
# a reviewer.key in the trust directory does not count as a public key
mkdir "$WD_TMP/trust-keyonly"
cp "$K/reviewer.key" "$WD_TMP/trust-keyonly/reviewer.key"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$WD_TMP/trust-keyonly"
expect_stdout_contains "WD-L014"
# re-signed by the other reviewer
expect_exit 0 -- "$WARDEN" plugin sign "$C" --key "$K2/reviewer.key"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K"
expect_stdout_contains "WD-L014"
expect_exit 0 -- "$WARDEN" plugin verify "$C" --trust "$K2"
expect_stdout_contains "signed by $(plugin_pub_hex "$K2/reviewer.pub")"
expect_exit 0 -- "$WARDEN" plugin sign "$C" --key "$K/reviewer.key"
sig_state=$(plugin_file_state "$C.sig")
# malformed signatures
cp "$C.sig" "$WD_TMP/sig.orig"
sed -i 's/^sig \(.\)/sig 0\1/' "$C.sig"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K"
expect_stdout_contains "WD-L014"
sig_hex=$(sed -n 's/^sig //p' "$WD_TMP/sig.orig")
flip=$(printf '%s' "${sig_hex:0:1}" | tr '0-9a-f' '1-9a-f0')
sed "s/^sig ./sig $flip/" "$WD_TMP/sig.orig" >"$C.sig"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K"
expect_stdout_contains "$C: refused: WD-L014 signature does not match this contract, library and policy"
: >"$C.sig"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K"
expect_stdout_contains "WD-L014"
head -c 5000 /dev/zero >"$C.sig"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K"
expect_stdout_contains "WD-L014"
# the reason is the size, said once and intact
expect_stdout_contains "$C: refused: WD-L014 signature unreadable: file is 5000 bytes; the limit is 4096 bytes"
cp "$WD_TMP/sig.orig" "$C.sig"
expect_exit 0 -- "$WARDEN" plugin verify "$C" --trust "$K"
# a loose reviewer key is refused, and nothing is signed with it
chmod 644 "$K/reviewer.key"
expect_exit 2 -- "$WARDEN" plugin sign "$C" --key "$K/reviewer.key"
expect_stderr_contains "WD-A002"
expect_stdout_not_contains "signed"
expect_eq "$(plugin_file_state "$C.sig")" "$sig_state" "a refused sign leaves CONTRACT.sig as it was"
chmod 600 "$K/reviewer.key"
# signing an invalid contract
expect_exit 1 -- "$WARDEN" plugin sign "$V/unknown.yaml" --key "$K/reviewer.key"
[ ! -e "$V/unknown.yaml.sig" ]
wd_check $? "an invalid contract is never signed" "$V/unknown.yaml.sig exists"
expect_exit 2 -- "$WARDEN" plugin sign "$C"
expect_exit 2 -- "$WARDEN" plugin verify "$C"
# approved library hashes
{
    echo "# approved by the review board"
    echo "0000000000000000000000000000000000000000000000000000000000000000"
    echo "$(plugin_sha256 "$R/libexec.so")  libexec.so"
} >"$WD_TMP/approved"
printf '# nothing approved\n%s\n' "$(plugin_sha256 "$ELF/libmem.so")" >"$WD_TMP/approved-other"
printf '# %s\n' "$(plugin_sha256 "$R/libexec.so")" >"$WD_TMP/approved-comment"
expect_exit 0 -- "$WARDEN" plugin verify "$C" --trust "$K" --approved "$WD_TMP/approved"
expect_stdout_line 1 "$C: reviewed (signed by $SIGNER, library hash approved)"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K" --approved "$WD_TMP/approved-other"
expect_stdout_contains "$C: refused: WD-L021 library $(plugin_sha256 "$R/libexec.so") is not in the approved list"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$K" --approved "$WD_TMP/approved-comment"
expect_stdout_contains "WD-L021"

# =================================================================================================
# plugin inspect: the import gate
# =================================================================================================

I="$WD_TMP/inspect"
plugin_contract "$I/exec" acme.exec libexec.so
plugin_contract "$I/mem" acme.mem libmem.so
plugin_contract "$I/none" acme.none libnone.so
expect_exit 0 -- "$WARDEN" plugin inspect "$I/exec/contract.yaml"
expect_stdout_matches '^system$'
expect_stdout_matches '^execve$'
expect_stderr_empty
expect_exit 1 -- "$WARDEN" plugin inspect "$I/exec/contract.yaml" --deny-imports system
expect_stdout_line 1 "$I/exec/contract.yaml: refused: WD-L022 library imports denied symbols: system"
expect_exit 1 -- "$WARDEN" plugin inspect "$I/exec/contract.yaml" --deny-imports fork,system,ptrace,execve,dlopen
expect_stdout_contains "library imports denied symbols: execve, system"
expect_exit 0 -- "$WARDEN" plugin inspect "$I/exec/contract.yaml" --deny-imports fork,ptrace,sys
expect_stdout_matches '^system$'
expect_exit 0 -- "$WARDEN" plugin inspect "$I/mem/contract.yaml"
expect_stdout_matches '^memcpy$'
expect_stdout_not_contains "system"
expect_stdout_not_contains "execve"
expect_exit 0 -- "$WARDEN" plugin inspect "$I/mem/contract.yaml" --deny-imports system,execve,fork,ptrace,dlopen
expect_exit 0 -- "$WARDEN" plugin inspect "$I/none/contract.yaml" --deny-imports system
expect_stdout_empty
# section header table zeroed: the imports cannot be verified, so refused (not "no imports")
mkdir -p "$I/nosec"
cp "$ELF/libmem.so" "$I/nosec/lib.so"
plugin_patch_no_sections "$I/nosec/lib.so"
plugin_base acme.nosec lib.so "$(plugin_sha256 "$I/nosec/lib.so")" >"$I/nosec/contract.yaml"
expect_exit 1 -- "$WARDEN" plugin inspect "$I/nosec/contract.yaml"
expect_stdout_contains "$I/nosec/contract.yaml: refused: WD-L022 "
expect_stdout_contains "imports cannot be verified"
expect_stdout_not_contains "memcpy"
# the reason is stated once and intact
expect_stdout_contains "WD-L022 library imports cannot be read: the loader's symbol table (DT_SYMTAB) has no .dynsym section"
n=$(grep -o "library imports cannot be read" "$WD_OUT" | wc -l)
expect_eq "$n" 1 "the WD-L022 reason is not repeated or garbled"
mkdir -p "$I/nosec-exec"
cp "$ELF/libexec.so" "$I/nosec-exec/lib.so"
plugin_patch_no_sections "$I/nosec-exec/lib.so"
plugin_base acme.nosecexec lib.so "$(plugin_sha256 "$I/nosec-exec/lib.so")" >"$I/nosec-exec/contract.yaml"
expect_exit 1 -- "$WARDEN" plugin inspect "$I/nosec-exec/contract.yaml" --deny-imports system
expect_stdout_contains "WD-L022"
# inspect reads the verified library: a hash mismatch is refused (exit 1, like verify)
printf 'x' >>"$I/mem/libmem.so"
expect_exit 1 -- "$WARDEN" plugin inspect "$I/mem/contract.yaml"
expect_stdout_contains "WD-L009"
expect_stdout_not_contains "memcpy"
cp "$ELF/libmem.so" "$I/mem/libmem.so"
expect_exit 2 -- "$WARDEN" plugin inspect "$I/missing.yaml"
expect_exit 1 -- "$WARDEN" plugin inspect "$V/unknown.yaml"

# =================================================================================================
# plugin list: discovery and the load report
# =================================================================================================

T="$WD_TMP/tree"
OUT_DIR="$WD_TMP/outside"
mkdir -p "$T" "$OUT_DIR"
# made in reverse name order, so that creation order is not name order
plugin_contract "$T/zeta" zeta.plugin libnone.so
plugin_contract "$T/mid/deep/er" acme.deep libmem.so
plugin_contract "$T/good2" acme.good2 libnone.so
plugin_contract "$T/good1" acme.good1 libmem.so
plugin_contract "$T/exec" acme.exec libexec.so
mkdir -p "$T/broken"
printf 'name: [\n' >"$T/broken/contract.yaml"
plugin_contract "$T/badhash" acme.badhash libnone.so
printf 'x' >>"$T/badhash/libnone.so"
plugin_contract "$T/amb" acme.amb libnone.so
cp "$T/amb/contract.yaml" "$T/amb/contract.yml"
plugin_contract "$T/amb/sub" acme.ambsub libnone.so
plugin_contract "$T/amb2" acme.amb2 libnone.so
# a contract reached through a symlink: refused
plugin_contract "$OUT_DIR/linked" outside.linked libnone.so
mkdir -p "$T/link"
ln -s "$OUT_DIR/linked/contract.yaml" "$T/link/contract.yaml"
cp "$ELF/libnone.so" "$T/link/libnone.so"
# a symlinked directory: never followed
plugin_contract "$OUT_DIR/dir" outside.dir libnone.so
ln -s "$OUT_DIR/dir" "$T/linkdir"
# a hard link to good1's contract, with a library beside it: the same file, loaded once
mkdir -p "$T/hard"
ln "$T/good1/contract.yaml" "$T/hard/contract.yaml"
cp "$ELF/libmem.so" "$T/hard/libmem.so"

CID=8c5a2f4e-1b7d-4e0a-9c3f-2d6e8f0a1b2c
EXPECTED="refused  WD-L019  $T/amb: two contract files (contract.yaml and contract.yml) in one directory
loaded   acme.ambsub compute 1.0.0  $T/amb/sub/contract.yaml
loaded   acme.amb2 compute 1.0.0  $T/amb2/contract.yaml
refused  WD-L009  $T/badhash/contract.yaml: library hashes to $(plugin_sha256 "$T/badhash/libnone.so"), not to the contract's sha256
refused  WD-L004  $T/broken/contract.yaml: invalid YAML: did not find expected node content while parsing a flow node (WD-P005)
loaded   acme.exec compute 1.0.0  $T/exec/contract.yaml
loaded   acme.good1 compute 1.0.0  $T/good1/contract.yaml
loaded   acme.good2 compute 1.0.0  $T/good2/contract.yaml
refused  WD-L018  $T/link/contract.yaml: a symbolic link: contracts are never read through links
loaded   acme.deep compute 1.0.0  $T/mid/deep/er/contract.yaml
loaded   zeta.plugin compute 1.0.0  $T/zeta/contract.yaml
7 loaded, 4 refused (correlation id $CID)"
expect_exit 1 -- "$WARDEN" plugin list "$T" --correlation-id "$CID"
expect_eq "$(cat "$WD_OUT")" "$EXPECTED" "plugin list: the load report, in name order"
expect_stderr_contains "warning: no plugin allowlist is configured"
cp "$WD_OUT" "$WD_TMP/list1"
expect_exit 1 -- "$WARDEN" plugin list "$T" --correlation-id "$CID"
cmp -s "$WD_OUT" "$WD_TMP/list1"
wd_check $? "plugin list: two runs give identical reports" "the second run's report differs"
expect_stdout_not_contains "outside."
expect_stdout_not_contains "$T/hard"
expect_stdout_not_contains "$T/linkdir"
n=$(grep -c "acme.good1" "$WD_OUT")
expect_eq "$n" 1 "a hard-linked contract is loaded once"
# without --correlation-id: a fresh UUIDv4 per run
expect_exit 1 -- "$WARDEN" plugin list "$T"
expect_stdout_matches '^7 loaded, 4 refused \(correlation id [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\)$'
first_id=$(sed -n 's/.*(correlation id \(.*\))$/\1/p' "$WD_OUT")
expect_exit 1 -- "$WARDEN" plugin list "$T"
second_id=$(sed -n 's/.*(correlation id \(.*\))$/\1/p' "$WD_OUT")
[ -n "$first_id" ] && [ "$first_id" != "$second_id" ]
wd_check $? "each run has its own correlation id" "ids \"$first_id\" and \"$second_id\""

# containment: odd contracts in odd places, the good ones still load
C2="$WD_TMP/contain"
plugin_contract "$C2/a-ok" acme.ok libnone.so
plugin_contract "$C2/b space" acme.space libnone.so
mkdir -p "$C2/c-latin1" "$C2/d-fifo" "$C2/e-dir/contract.yaml" "$C2/f-empty" "$C2/g-nolib" "$C2/h-escape"
plugin_base acme.latin1 libnone.so "$SHA" | sed 's/^tags.*//' >"$C2/c-latin1/contract.yaml"
printf 'tags: [caf\xe9]\n' >>"$C2/c-latin1/contract.yaml"
mkfifo "$C2/d-fifo/contract.yaml"
: >"$C2/f-empty/contract.yaml"
plugin_base acme.nolib libnone.so "$SHA" >"$C2/g-nolib/contract.yaml"
plugin_base acme.escape ../a-ok/libnone.so "$SHA" >"$C2/h-escape/contract.yaml"
plugin_contract "$C2/z-last" acme.last libmem.so
expect_exit 1 -- "$WARDEN" plugin list "$C2" --correlation-id "$CID"
expect_stdout_contains "loaded   acme.ok compute 1.0.0  $C2/a-ok/contract.yaml"
expect_stdout_contains "loaded   acme.space compute 1.0.0  $C2/b space/contract.yaml"
expect_stdout_contains "refused  WD-L004  $C2/c-latin1/contract.yaml: "
expect_stdout_contains "refused  WD-L002  $C2/d-fifo/contract.yaml: "
expect_stdout_contains "refused  WD-L008  $C2/g-nolib/contract.yaml: "
expect_stdout_contains "refused  WD-L018  $C2/h-escape/contract.yaml: "
expect_stdout_contains "loaded   acme.last compute 1.0.0  $C2/z-last/contract.yaml"
expect_stdout_line_matches 9 "^3 loaded, [0-9]+ refused"
expect_stdout_lines 9

# exit codes: 0 when everything loads; 2 when DIR is not a directory (WD-L017)
G="$WD_TMP/allgood"
plugin_contract "$G/a" acme.a libnone.so
plugin_contract "$G/b" acme.b libmem.so
expect_exit 0 -- "$WARDEN" plugin list "$G"
expect_stdout_line 3 "2 loaded, 0 refused (correlation id $(sed -n 's/.*(correlation id \(.*\))$/\1/p' "$WD_OUT"))"
mkdir "$WD_TMP/empty-tree"
expect_exit 0 -- "$WARDEN" plugin list "$WD_TMP/empty-tree"
expect_stdout_line_matches 1 '^0 loaded, 0 refused'
expect_exit 2 -- "$WARDEN" plugin list "$WD_TMP/no-such-dir"
expect_stderr_contains "error WD-L017: "
expect_stdout_empty
expect_exit 2 -- "$WARDEN" plugin list "$G/a/contract.yaml"
expect_stderr_contains "error WD-L017: "
expect_exit 2 -- "$WARDEN" plugin list "$WD_TMP/no-such-dir" --json
expect_exit 2 -- "$WARDEN" plugin list "$G" --review-required
expect_stderr_contains "--review-required needs --trust DIR"

# --max: contracts beyond it are refused (WD-L007), those before it load
M="$WD_TMP/max"
for i in 1 2 3 4 5; do
    plugin_contract "$M/p$i" "acme.p$i" libnone.so
done
expect_exit 1 -- "$WARDEN" plugin list "$M" --max 3
expect_stdout_contains "loaded   acme.p3 compute 1.0.0  $M/p3/contract.yaml"
expect_stdout_contains "refused  WD-L007  $M/p4/contract.yaml: more contracts than the configured max"
expect_stdout_contains "refused  WD-L007  $M/p5/contract.yaml: "
expect_stdout_line_matches 6 '^3 loaded, 2 refused'
expect_exit 0 -- "$WARDEN" plugin list "$M" --max 5

# --allow: id prefixes at a '.' boundary (WD-L012); an empty list refuses everything
A="$WD_TMP/allow"
plugin_contract "$A/1" acme libnone.so
plugin_contract "$A/2" acme.files libnone.so
plugin_contract "$A/3" acmex libnone.so
plugin_contract "$A/4" acmex.files libnone.so
plugin_contract "$A/5" other.acme libnone.so
plugin_contract "$A/6" acme.files.deep libnone.so
expect_exit 1 -- "$WARDEN" plugin list "$A" --allow acme
expect_stdout_contains "loaded   acme compute 1.0.0  $A/1/contract.yaml"
expect_stdout_contains "loaded   acme.files compute 1.0.0  $A/2/contract.yaml"
expect_stdout_contains "refused  WD-L012  $A/3/contract.yaml: plugin id acmex is not on the allowlist"
expect_stdout_contains "refused  WD-L012  $A/4/contract.yaml: "
expect_stdout_contains "refused  WD-L012  $A/5/contract.yaml: "
expect_stdout_contains "loaded   acme.files.deep compute 1.0.0  $A/6/contract.yaml"
expect_stderr_not_contains "no plugin allowlist"
expect_exit 1 -- "$WARDEN" plugin list "$A" --allow acme.files,other
expect_stdout_contains "refused  WD-L012  $A/1/contract.yaml: "
expect_stdout_contains "loaded   acme.files compute"
expect_stdout_contains "loaded   acme.files.deep compute"
expect_stdout_contains "loaded   other.acme compute"
expect_stdout_contains "refused  WD-L012  $A/3/contract.yaml: "
expect_exit 1 -- "$WARDEN" plugin list "$A" --allow acme.fil
expect_stdout_line_matches 7 '^0 loaded, 6 refused'
expect_exit 1 -- "$WARDEN" plugin list "$A" --allow ""
expect_stdout_line_matches 7 '^0 loaded, 6 refused'
expect_exit 0 -- "$WARDEN" plugin list "$A" --allow acme,acmex,other

# --deny-imports
expect_exit 1 -- "$WARDEN" plugin list "$T" --deny-imports system,execve,fork --correlation-id "$CID"
expect_stdout_contains "refused  WD-L022  $T/exec/contract.yaml: library imports denied symbols: execve, system"
expect_stdout_contains "loaded   acme.good1 compute"
expect_stdout_line_matches 12 '^6 loaded, 5 refused'
expect_exit 0 -- "$WARDEN" plugin list "$G" --deny-imports system,execve,fork

# --trust and --review-required
TR="$WD_TMP/trusttree"
plugin_contract "$TR/signed" acme.signed libnone.so
plugin_contract "$TR/unsigned" acme.unsigned libnone.so
plugin_contract "$TR/other" acme.other libnone.so
plugin_contract "$TR/tampered" acme.tampered libnone.so
"$WARDEN" plugin sign "$TR/signed/contract.yaml" --key "$K/reviewer.key" >/dev/null
"$WARDEN" plugin sign "$TR/other/contract.yaml" --key "$K2/reviewer.key" >/dev/null
"$WARDEN" plugin sign "$TR/tampered/contract.yaml" --key "$K/reviewer.key" >/dev/null
printf '# changed after review\n' >>"$TR/tampered/contract.yaml"
expect_exit 1 -- "$WARDEN" plugin list "$TR" --trust "$K" --review-required
expect_stdout_contains "loaded   acme.signed compute"
expect_stdout_contains "refused  WD-L013  $TR/unsigned/contract.yaml: "
expect_stdout_contains "refused  WD-L014  $TR/other/contract.yaml: signed by a key that is not in the trust directory"
expect_stdout_contains "refused  WD-L014  $TR/tampered/contract.yaml: "
expect_stdout_line_matches 5 '^1 loaded, 3 refused'
# --trust alone: unsigned contracts pass, bad signatures never do
expect_exit 1 -- "$WARDEN" plugin list "$TR" --trust "$K"
expect_stdout_contains "loaded   acme.unsigned compute"
expect_stdout_contains "refused  WD-L014  $TR/tampered/contract.yaml: "
expect_stdout_line_matches 5 '^2 loaded, 2 refused'
expect_exit 1 -- "$WARDEN" plugin list "$TR" --trust "$WD_TMP/trust-both" --review-required
expect_stdout_line_matches 5 '^2 loaded, 2 refused'
# --approved
printf '%s\n' "$(plugin_sha256 "$ELF/libmem.so")" >"$WD_TMP/approved-mem"
expect_exit 1 -- "$WARDEN" plugin list "$G" --approved "$WD_TMP/approved-mem"
expect_stdout_contains "loaded   acme.b compute"
expect_stdout_contains "refused  WD-L021  $G/a/contract.yaml: "

# --json
expect_exit 1 -- "$WARDEN" plugin list "$T" --json --correlation-id "$CID"
expect_json_stdout
expect_stdout_lines 1
expect_json_eq 'd["correlation_id"]' "$CID"
expect_json_eq 'd["loaded"], d["refused"], len(d["entries"])' "(7, 4, 11)"
expect_json_eq 'sorted(d.keys())' "['correlation_id', 'entries', 'loaded', 'refused', 'warning']"
expect_json_eq '[e["code"] for e in d["entries"] if not e["loaded"]]' "['WD-L019', 'WD-L009', 'WD-L004', 'WD-L018']"
expect_json_eq 'd["entries"][1]' "{'path': '$T/amb/sub/contract.yaml', 'loaded': True, 'code': '', 'message': 'acme.ambsub compute 1.0.0'}"
expect_json_eq 'all(set(e) == {"path", "loaded", "code", "message"} for e in d["entries"])' true
expect_json_eq '"allowlist" in d["warning"]' true
expect_stderr_empty
expect_exit 0 -- "$WARDEN" plugin list "$G" --json --allow acme
expect_json_stdout
expect_json_eq 'd["loaded"], d["refused"], d.get("warning")' "(2, 0, None)"
expect_json_eq 'len(d["correlation_id"])' 36
# a path that is not UTF-8 still gets its entry: the report never drops one
plugin_contract "$WD_TMP/oddnames/ok" acme.ok libnone.so
plugin_contract "$WD_TMP/oddnames/bad"$'\xff' acme.latin1dir libnone.so
expect_exit 0 -- "$WARDEN" plugin list "$WD_TMP/oddnames" --json
expect_json_stdout
expect_json_eq 'd["loaded"], d["refused"]' "(2, 0)"
expect_json_eq 'len(d["entries"])' 2
expect_exit 0 -- "$WARDEN" plugin list "$WD_TMP/oddnames"
expect_stdout_contains "loaded   acme.latin1dir compute"

# --audit-log: every registry record of the run carries the batch's correlation id
AK="$WD_TMP/audit-keys"
AL="$WD_TMP/audit-log"
audit_keygen "$AK"
expect_exit 1 -- "$WARDEN" plugin list "$T" --correlation-id "$CID" --audit-log "$AL" --audit-keys "$AK"
expect_stdout_line_matches 12 '^7 loaded, 4 refused'
expect_exit 0 -- "$WARDEN" audit verify --log "$AL" --mac-key "$AK/mac.key"
expect_stdout_matches '^intact: '
plugin_audit_records "$AL" >"$WD_TMP/records1"
n=$(awk '$4 == "registry"' "$WD_TMP/records1" | wc -l)
expect_eq "$n" 11 "one registry audit record per report entry (7 registered, 4 refused)"
n=$(awk '$4 == "registry" && $3 != "'"$CID"'"' "$WD_TMP/records1" | wc -l)
expect_eq "$n" 0 "every registry record carries the correlation id"
n=$(awk '$2 == "PLUGIN_REGISTERED"' "$WD_TMP/records1" | wc -l)
expect_eq "$n" 7 "7 PLUGIN_REGISTERED records"
n=$(awk '$2 == "PLUGIN_REFUSED"' "$WD_TMP/records1" | wc -l)
expect_eq "$n" 4 "4 PLUGIN_REFUSED records"
# a second run, its own generated id: its records all carry the id its report shows
last=$(tail -n 1 "$WD_TMP/records1" | awk '{print $1}')
expect_exit 1 -- "$WARDEN" plugin list "$T" --deny-imports system --audit-log "$AL" --audit-keys "$AK"
cid2=$(sed -n 's/.*(correlation id \(.*\))$/\1/p' "$WD_OUT")
expect_exit 0 -- "$WARDEN" audit verify --log "$AL" --mac-key "$AK/mac.key"
plugin_audit_records "$AL" | awk -v s="$last" '$1 > s && $4 == "registry"' >"$WD_TMP/records2"
expect_eq "$(wc -l <"$WD_TMP/records2" | tr -d ' ')" 11 "the second run: 11 registry records"
n=$(awk -v c="$cid2" '$3 != c' "$WD_TMP/records2" | wc -l)
expect_eq "$n" 0 "the second run's records carry its own generated id ($cid2)"
expect_exit 0 -- "$WARDEN" audit show --log "$AL" --type PLUGIN_REFUSED --json
expect_stdout_contains '"code":"WD-L022"'
# --audit-log needs --audit-keys; a log that cannot be opened stops the run (fail closed)
expect_exit 2 -- "$WARDEN" plugin list "$T" --audit-log "$AL"
expect_stdout_empty
expect_exit 2 -- "$WARDEN" plugin list "$T" --audit-log "$AL" --audit-keys "$WD_TMP/no-keys"
expect_stdout_empty
# a refusal at a path that is not UTF-8 is still audited
AK3="$WD_TMP/audit-keys3"
AL3="$WD_TMP/audit-log3"
audit_keygen "$AK3"
mkdir -p "$WD_TMP/oddaudit/bad"$'\xfe'
printf 'name: [\n' >"$WD_TMP/oddaudit/bad"$'\xfe'/contract.yaml
plugin_contract "$WD_TMP/oddaudit/ok" acme.ok libnone.so
expect_exit 1 -- "$WARDEN" plugin list "$WD_TMP/oddaudit" --correlation-id "$CID" --audit-log "$AL3" --audit-keys "$AK3"
expect_stdout_line_matches 3 '^1 loaded, 1 refused'
expect_exit 0 -- "$WARDEN" audit verify --log "$AL3" --mac-key "$AK3/mac.key"
n=$(plugin_audit_records "$AL3" | awk '$2 == "PLUGIN_REFUSED"' | wc -l)
expect_eq "$n" 1 "the refusal of a contract under a non-UTF-8 path is audited"

# =================================================================================================
# the signature covers the policy file (issue 12, item 7), and files another user can change are
# refused (item 8)
# =================================================================================================

PB="$WD_TMP/policybind"
PK="$WD_TMP/policybind-keys"
mkdir -p "$PK"
expect_exit 0 -- "$WARDEN" plugin keygen --dir "$PK/reviewer"
cp "$PK/reviewer/reviewer.pub" "$PK/trust.pub"
mkdir -p "$PK/trust" && mv "$PK/trust.pub" "$PK/trust/alice.pub"
plugin_contract "$PB/tool" acme.bound libnone.so OFFICIAL "policy: policy.yaml"
PC="$PB/tool/contract.yaml"
cat >"$PB/tool/policy.yaml" <<'EOF2'
version: "1.0"
permissions:
  storage:
    allow:
      - uri: fs://workspace/**
        access: [read]
EOF2
cp "$PB/tool/policy.yaml" "$WD_TMP/policy.reviewed"
expect_exit 0 -- "$WARDEN" plugin sign "$PC" --key "$PK/reviewer/reviewer.key"
grep -q "^policy $(plugin_sha256 "$PB/tool/policy.yaml")$" "$PC.sig"
wd_check $? "the signature file names the policy it covers" "$(cat "$PC.sig")"
expect_exit 0 -- "$WARDEN" plugin verify "$PC" --trust "$PK/trust"
expect_exit 0 -- "$WARDEN" plugin list "$PB" --trust "$PK/trust" --review-required
# the reviewed policy widened to /etc: the contract's own bytes are unchanged, and still refused
cat >>"$PB/tool/policy.yaml" <<'EOF2'
      - uri: fs:///etc/**
        access: [read]
EOF2
expect_exit 1 -- "$WARDEN" plugin verify "$PC" --trust "$PK/trust"
expect_stdout_contains "$PC: refused: WD-L024 the policy file $PB/tool/policy.yaml changed since it was signed (signed $(plugin_sha256 "$WD_TMP/policy.reviewed"), now $(plugin_sha256 "$PB/tool/policy.yaml"))"
expect_stdout_not_contains "reviewed"
expect_exit 1 -- "$WARDEN" plugin list "$PB" --trust "$PK/trust" --review-required
expect_stdout_line_matches 1 "^refused  WD-L024  $PB/tool/contract.yaml: the policy file"
expect_stdout_contains "0 loaded, 1 refused"
# without --review-required a present signature still counts: a bad one is never ignored
expect_exit 1 -- "$WARDEN" plugin list "$PB" --trust "$PK/trust"
expect_stdout_contains "WD-L024"
# a signature file whose policy line was edited to match: the signature itself no longer holds
sed "s/^policy .*/policy $(plugin_sha256 "$PB/tool/policy.yaml")/" "$PC.sig" >"$WD_TMP/forged.sig"
cp "$PC.sig" "$WD_TMP/honest.sig"
cp "$WD_TMP/forged.sig" "$PC.sig"
expect_exit 1 -- "$WARDEN" plugin verify "$PC" --trust "$PK/trust"
expect_stdout_contains "$PC: refused: WD-L014 signature does not match this contract, library and policy"
cp "$WD_TMP/honest.sig" "$PC.sig"
# reviewed again: re-signed over the new policy, accepted
expect_exit 0 -- "$WARDEN" plugin sign "$PC" --key "$PK/reviewer/reviewer.key"
expect_exit 0 -- "$WARDEN" plugin verify "$PC" --trust "$PK/trust"
expect_exit 0 -- "$WARDEN" plugin list "$PB" --trust "$PK/trust" --review-required
expect_stdout_contains "1 loaded, 0 refused"
# an inline policy is part of the contract's bytes: editing it is WD-L014, as any contract edit
plugin_contract "$PB/inline" acme.inline libnone.so OFFICIAL 'policy: {version: "1.0", permissions: {storage: {allow: [{uri: "fs://workspace/**", access: [read]}]}}}'
expect_exit 0 -- "$WARDEN" plugin sign "$PB/inline/contract.yaml" --key "$PK/reviewer/reviewer.key"
grep -q "^policy none$" "$PB/inline/contract.yaml.sig"
wd_check $? "an inline policy's signature says policy none" "$(cat "$PB/inline/contract.yaml.sig")"
expect_exit 0 -- "$WARDEN" plugin verify "$PB/inline/contract.yaml" --trust "$PK/trust"
sed -i 's|fs://workspace/\*\*|fs:///etc/**|' "$PB/inline/contract.yaml"
expect_exit 1 -- "$WARDEN" plugin verify "$PB/inline/contract.yaml" --trust "$PK/trust"
expect_stdout_contains "WD-L014"
rm -r "$PB/inline"
# a signature made before signatures covered the policy (v1: contract and library only), by a
# trusted reviewer: not enough for a contract with a policy file (re-sign); enough without one
python3 - "$PC" "$PK/reviewer/reviewer.key" "$PC.sig" <<'EOF2'
import hashlib, subprocess, sys
contract, key, out = sys.argv[1:]
lib = open(contract).read().split("sha256: ")[1].split()[0]
msg = "warden-contract-v1\n%s\n%s\n" % (hashlib.sha256(open(contract, "rb").read()).hexdigest(), lib)
seed = bytes.fromhex(open(key).read().split("\n")[1].strip())
der = bytes.fromhex("302e020100300506032b657004220420") + seed
pem = "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n" % __import__("base64").b64encode(der).decode()
open(out + ".pem", "w").write(pem)
open(out + ".msg", "w").write(msg)
sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", out + ".pem", "-rawin", "-in", out + ".msg"], capture_output=True, check=True).stdout
pub = subprocess.run(["openssl", "pkey", "-in", out + ".pem", "-pubout", "-outform", "DER"], capture_output=True, check=True).stdout[-32:]
open(out, "w").write("warden-contract-signature-v1\nkey %s\nsig %s\n" % (pub.hex(), sig.hex()))
EOF2
wd_check $? "a v1 signature made with openssl"
rm -f "$PC.sig.pem" "$PC.sig.msg"
expect_exit 1 -- "$WARDEN" plugin verify "$PC" --trust "$PK/trust"
expect_stdout_contains "$PC: refused: WD-L024 the signature predates signatures that cover the policy file (warden-contract-v1): it does not vouch for $PB/tool/policy.yaml"
expect_exit 1 -- "$WARDEN" plugin list "$PB" --trust "$PK/trust" --review-required
expect_stdout_contains "WD-L024"
plugin_contract "$PB/nopolicy" acme.nopolicy libnone.so
python3 - "$PB/nopolicy/contract.yaml" "$PK/reviewer/reviewer.key" "$PB/nopolicy/contract.yaml.sig" <<'EOF2'
import base64, hashlib, os, subprocess, sys
contract, key, out = sys.argv[1:]
lib = open(contract).read().split("sha256: ")[1].split()[0]
msg = "warden-contract-v1\n%s\n%s\n" % (hashlib.sha256(open(contract, "rb").read()).hexdigest(), lib)
seed = bytes.fromhex(open(key).read().split("\n")[1].strip())
der = bytes.fromhex("302e020100300506032b657004220420") + seed
open(out + ".pem", "w").write("-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n" % base64.b64encode(der).decode())
open(out + ".msg", "w").write(msg)
sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", out + ".pem", "-rawin", "-in", out + ".msg"], capture_output=True, check=True).stdout
pub = subprocess.run(["openssl", "pkey", "-in", out + ".pem", "-pubout", "-outform", "DER"], capture_output=True, check=True).stdout[-32:]
open(out, "w").write("warden-contract-signature-v1\nkey %s\nsig %s\n" % (pub.hex(), sig.hex()))
os.remove(out + ".pem"); os.remove(out + ".msg")
EOF2
expect_exit 0 -- "$WARDEN" plugin verify "$PB/nopolicy/contract.yaml" --trust "$PK/trust"
rm -r "$PB/nopolicy"
expect_exit 0 -- "$WARDEN" plugin sign "$PC" --key "$PK/reviewer/reviewer.key"
expect_exit 0 -- "$WARDEN" plugin verify "$PC" --trust "$PK/trust"

# policy_sha256: the contract pins its policy file, so an unsigned setup is protected as well
PIN="$WD_TMP/pinned"
mkdir -p "$PIN/tool"
cp "$WD_TMP/policy.reviewed" "$PIN/tool/policy.yaml"
plugin_contract "$PIN/tool" acme.pinned libnone.so OFFICIAL "policy: policy.yaml
policy_sha256: $(plugin_sha256 "$PIN/tool/policy.yaml")"
expect_exit 0 -- "$WARDEN" plugin validate "$PIN/tool/contract.yaml"
expect_exit 0 -- "$WARDEN" plugin list "$PIN"
printf '      - uri: fs:///etc/**\n        access: [read]\n' >>"$PIN/tool/policy.yaml"
expect_exit 1 -- "$WARDEN" plugin validate "$PIN/tool/contract.yaml"
expect_stderr_contains "$PIN/tool/contract.yaml:9:16: error WD-L024: the policy file $PIN/tool/policy.yaml hashes to $(plugin_sha256 "$PIN/tool/policy.yaml"), not to policy_sha256"
expect_exit 1 -- "$WARDEN" plugin list "$PIN"
expect_stdout_contains "refused  WD-L024  $PIN/tool/contract.yaml"
cp "$WD_TMP/policy.reviewed" "$PIN/tool/policy.yaml"
# a pin with an inline policy, or none, is a mistake said as such
plugin_contract "$PIN/bad" acme.pinbad libnone.so OFFICIAL "policy_sha256: $(plugin_sha256 "$PIN/tool/policy.yaml")"
expect_exit 1 -- "$WARDEN" plugin validate "$PIN/bad/contract.yaml"
expect_stderr_contains "error WD-L005: policy_sha256 pins a policy file, and this contract names no policy file"
plugin_contract "$PIN/bad" acme.pinbad libnone.so OFFICIAL "policy_sha256: 12"
expect_exit 1 -- "$WARDEN" plugin validate "$PIN/bad/contract.yaml"
expect_stderr_contains "error WD-L005: policy_sha256 must be 64 lowercase hex digits"
rm -r "$PIN/bad"
# a policy file that is a symbolic link is never read through it
mv "$PIN/tool/policy.yaml" "$PIN/tool/real.yaml"
ln -s real.yaml "$PIN/tool/policy.yaml"
expect_exit 1 -- "$WARDEN" plugin validate "$PIN/tool/contract.yaml"
expect_stderr_contains "error WD-L018: policy policy.yaml is a symbolic link"
rm "$PIN/tool/policy.yaml"
mv "$PIN/tool/real.yaml" "$PIN/tool/policy.yaml"

# files and directories another user can change: refused by verify and list, naming the file
expect_exit 0 -- "$WARDEN" plugin verify "$PC" --trust "$PK/trust"
for f in "$PC" "$PB/tool/libnone.so" "$PB/tool/policy.yaml" "$PB/tool" "$PB"; do
    for mode in g+w o+w; do
        chmod "$mode" "$f"
        expect_exit 1 -- "$WARDEN" plugin list "$PB" --trust "$PK/trust" --review-required
        expect_stdout_contains "refused  WD-L025  $PC: "
        expect_stdout_contains " $f is writable by "
        case "$f" in
        "$PB") ;; # the root itself: verify starts from the contract's own directory
        *)
            expect_exit 1 -- "$WARDEN" plugin verify "$PC" --trust "$PK/trust"
            expect_stdout_contains "$PC: refused: WD-L025 "
            ;;
        esac
        chmod "${mode/+/-}" "$f"
    done
done
expect_exit 0 -- "$WARDEN" plugin list "$PB" --trust "$PK/trust" --review-required
if [ "$(id -u)" = 0 ]; then
    chown 65534 "$PB/tool/policy.yaml"
    expect_exit 1 -- "$WARDEN" plugin list "$PB" --trust "$PK/trust" --review-required
    expect_stdout_contains "refused  WD-L025  $PC: policy file $PB/tool/policy.yaml is owned by uid 65534, a user other than root and warden's own (uid 0)"
    chown 0 "$PB/tool/policy.yaml"
    chown 65534 "$PB/tool"
    expect_exit 1 -- "$WARDEN" plugin list "$PB"
    expect_stdout_contains "the directory $PB/tool is owned by uid 65534"
    chown 0 "$PB/tool"
else
    echo "note: not root: the other-owner cases are skipped"
fi
# a directory on the way that is a symbolic link (the walk never follows links; the library's
# and policy's paths must not either)
mkdir -p "$PB/tool/sub"
mv "$PB/tool/policy.yaml" "$PB/tool/sub/policy.yaml"
sed -i 's|^policy: policy.yaml|policy: sub/policy.yaml|' "$PC"
expect_exit 0 -- "$WARDEN" plugin list "$PB"
mv "$PB/tool/sub" "$WD_TMP/elsewhere"
ln -s "$WD_TMP/elsewhere" "$PB/tool/sub"
expect_exit 1 -- "$WARDEN" plugin list "$PB"
expect_stdout_contains "refused  WD-L018  $PC: the directory $PB/tool/sub on the way to the policy file $PB/tool/sub/policy.yaml is a symbolic link"
rm "$PB/tool/sub"

finish
