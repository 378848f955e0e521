#!/usr/bin/env bash
# cli_options.sh: the one option table every warden command and wardend read their command line
# by (src/cli/opts.h). The same rules everywhere: --name VALUE and --name=VALUE, an unambiguous
# prefix, options after positional arguments, "--" ending the options, clustered short aliases;
# a wrong command line is exit 2 with one line naming what is wrong and the usage, whose option
# list comes from the table; bounds of numbers, durations and repeatable options hold.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

N="$WD_CLI_DATA/valid/network.yaml"

# ---- the forms of a value ----------------------------------------------------------------------
expect_exit 0 -- "$WARDEN" check --policy "$N" connect https://exact.a.example.com
expect_stdout_first_word allow
expect_exit 0 -- "$WARDEN" check --policy="$N" connect https://exact.a.example.com
expect_stdout_first_word allow
expect_exit 0 -- "$WARDEN" check connect https://exact.a.example.com --pol "$N"
expect_stdout_first_word allow
expect_exit 1 -- "$WARDEN" check --policy "$N" --json -- connect evil.example
expect_json_eq 'd["decision"]' deny
# an ambiguous prefix (--audit-log, --audit-keys) is no option at all
expect_exit 2 -- "$WARDEN" check --policy "$N" --audit x connect a.example.com
expect_stderr_contains "warden: check: unknown option --audit"

# ---- shape errors: one line, then the usage with the table's option list ---------------------
for cmd in "check" "audit show" "policy show" "policy grant" "plugin list" "plugin sign" \
    "override enroll" "override approve" "override id" "integrity verify" "check-operation" \
    "run" "sandbox probe"; do
    # shellcheck disable=SC2086
    expect_exit 2 -- "$WARDEN" $cmd --no-such-option
    expect_stderr_contains "warden: $cmd: unknown option --no-such-option"
    expect_stderr_contains "options:"
    expect_stderr_contains "  -h, --help"
    # shellcheck disable=SC2086
    expect_exit 0 -- "$WARDEN" $cmd --help
    expect_stdout_contains "usage: warden"
    expect_stdout_contains "options:"
done
expect_exit 2 -- "$WARDEN" check --policy
expect_stderr_contains "warden: --policy needs a value"
expect_exit 2 -- "$WARDEN" check --json=yes --policy "$N" env HOME
expect_stderr_contains "warden: --json takes no value"
expect_exit 2 -- "$WARDEN" audit show -x
expect_stderr_contains "warden: audit show: unknown option -x"
# plugin and override ignored what they did not know; now it is refused like everywhere else
expect_exit 2 -- "$WARDEN" plugin list "$WD_TMP" --bogus
expect_stderr_contains "unknown option --bogus"
expect_exit 2 -- "$WARDEN" override id --component c read /x --bogus
expect_stderr_contains "unknown option --bogus"
expect_exit 2 -- "$WARDEN" plugin keygen --dir "$WD_TMP/never" stray
expect_eq "$([ -e "$WD_TMP/never" ] && echo made || echo absent)" absent \
    "a usage error makes nothing"

# ---- the option lists name every option of the table -------------------------------------------
expect_exit 0 -- "$WARDEN" run --help
for o in --input --keys --log --trust --protect --timeout --min-landlock --calls --json \
    --describe; do
    expect_stdout_contains "  $o"
done
expect_exit 0 -- "$WARDEN" audit tail --help
expect_stdout_contains "  -n, --limit N"
expect_stdout_contains "  -f "

# ---- bounds: numbers, durations, repeatable options ---------------------------------------------
expect_exit 2 -- "$WARDEN" run c.yaml --calls 0
expect_stderr_contains "warden: --calls: not a valid number: 0"
expect_exit 2 -- "$WARDEN" run c.yaml --min-landlock=65
expect_stderr_contains "warden: --min-landlock: not a valid number: 65"
expect_exit 2 -- "$WARDEN" run c.yaml --timeout 99999999999999999999999
expect_stderr_contains "not a valid number"
expect_exit 2 -- "$WARDEN" audit tail --log "$WD_TMP" -n x
expect_stderr_contains "warden: --limit takes a whole number"
expect_exit 2 -- "$WARDEN" audit tail --log "$WD_TMP" -fnx
expect_stderr_contains "warden: --limit takes a whole number"
expect_exit 2 -- "$WARDEN" audit show --log "$WD_TMP" --batch-ms=86400001
expect_stderr_contains "warden: --batch-ms takes a whole number"
expect_exit 2 -- "$WARDEN" override approve --ttl 25h
expect_stderr_contains "warden: --ttl is a duration of at most 24h"
expect_exit 2 -- "$WARDEN" override enroll --digits 9
expect_stderr_contains "warden: --digits is 6, 7 or 8"
protect=()
for i in $(seq 65); do protect+=(--protect "/p$i"); done
expect_exit 2 -- "$WARDEN" run c.yaml "${protect[@]}"
expect_stderr_contains "warden: at most 64 --protect paths"

# ---- wardend reads its command line by the same table --------------------------------------------
WARDEND="${WD_BINARY_DIR:-$WD_SOURCE_DIR/build}/src/daemon/wardend"
if [ -x "$WARDEND" ]; then
    expect_exit 2 -- "$WARDEND" --config x --bogus
    expect_stderr_contains "wardend: unknown option --bogus"
    expect_stderr_contains "  --drain-ms N"
    expect_exit 2 -- "$WARDEND" --config x --drain-ms=600001
    expect_stderr_contains "wardend: --drain-ms takes 0-600000"
    expect_exit 0 -- "$WARDEND" --vers
    expect_stdout_contains "wardend "
    expect_exit 0 -- "$WARDEND" --help
    expect_stdout_contains "usage: wardend --config FILE"
fi

finish
