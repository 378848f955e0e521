#!/usr/bin/env bash
# plugin_process_cli.sh: `warden plugin validate|inspect|sign|verify|list` over process plugins
# (runtime: process, docs/contracts.md "Process plugins"): validate prints the runtime,
# protocol, program and interpreter after the plugin's line and a native plugin's output is one
# line as before; a misplaced key is WD-L026 at its line:col; inspect has no imports to show;
# the review binds the program; discovery loads a process plugin past an import deny list.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/plugin.sh
source "$WD_LIB_DIR/plugin.sh"

P="$WD_TMP/proc"
mkdir -p "$P/tool" "$P/native"
printf '#!/bin/sh\ncat\n' >"$P/tool/tool.sh"
TSHA=$(plugin_sha256 "$P/tool/tool.sh")
C="$P/tool/contract.yaml"
printf 'name: acme.tool\ntype: compute\nversion: 1.0.0\nruntime: process\nprogram: tool.sh\nsha256: %s\ninterpreter: /bin/sh\nargs: [-e]\nprotocol: stdio\nsecurity: {level: OFFICIAL}\n' \
    "$TSHA" >"$C"

# ---- validate ----------------------------------------------------------------------------------
expect_exit 0 -- "$WARDEN" plugin validate "$C"
expect_stdout_line 1 "$C: valid (acme.tool compute 1.0.0, OFFICIAL)"
expect_stdout_line 2 "  runtime: process"
expect_stdout_line 3 "  protocol: stdio"
expect_stdout_line 4 "  program: $P/tool/tool.sh"
expect_stdout_line 5 "  interpreter: /bin/sh"
expect_stdout_lines 5
expect_stderr_empty

S="$P/system.yaml"
printf 'name: acme.sh\ntype: effect\nversion: 1.0.0\nruntime: process\nprogram: /bin/sh\nprotocol: json-lines\nsecurity: {level: OFFICIAL}\n' >"$S"
expect_exit 0 -- "$WARDEN" plugin validate "$S"
expect_stdout_line 3 "  protocol: json-lines"
expect_stdout_line 4 "  program: /bin/sh"
expect_stdout_lines 4

# a native plugin: one line, exactly as before process plugins
plugin_contract "$P/native" acme.native
expect_exit 0 -- "$WARDEN" plugin validate "$P/native/contract.yaml"
expect_stdout_line 1 "$P/native/contract.yaml: valid (acme.native compute 1.0.0, OFFICIAL)"
expect_stdout_lines 1

# misplaced and missing keys, each at its place
B="$P/bad.yaml"
printf 'name: acme.bad\ntype: compute\nversion: 1.0.0\nruntime: process\nprogram: /bin/sh\nabi: 1\nsecurity: {level: OFFICIAL}\n' >"$B"
expect_exit 1 -- "$WARDEN" plugin validate "$B"
expect_stderr_contains "$B:6:1: error WD-L026: abi is for native plugins"
expect_stderr_contains "$B:1:1: error WD-L026: a process plugin (runtime: process) needs protocol:"
expect_stderr_lines 2
{
    plugin_base acme.n libnone.so "$(plugin_sha256 "$P/native/libnone.so")"
    printf 'interpreter: /bin/sh\n'
} >"$P/native/contract.yaml"
expect_exit 1 -- "$WARDEN" plugin validate "$P/native/contract.yaml"
expect_stderr_contains "$P/native/contract.yaml:8:1: error WD-L026: interpreter is for process plugins"
printf 'name: acme.bad\ntype: compute\nversion: 1.0.0\nruntime: process\nprogram: /bin/sh\nprotocol: stdio\ninterpreter: %s\nsecurity: {level: OFFICIAL}\n' \
    "$P/tool/tool.sh" >"$B"
expect_exit 1 -- "$WARDEN" plugin validate "$B"
expect_stderr_matches "^$B:7:14: error WD-L027: interpreter $P/tool/tool.sh: .* on the way"

# ---- inspect: nothing is loaded, so there are no imports -------------------------------------
expect_exit 2 -- "$WARDEN" plugin inspect "$C" --deny-imports system
expect_stdout_contains "refused: WD-L026 acme.tool is a process plugin"

# ---- review: the signature and the approved list bind the program ----------------------------
K="$WD_TMP/keys"
T="$WD_TMP/trust"
expect_exit 0 -- "$WARDEN" plugin keygen --dir "$K"
mkdir -p "$T" && cp "$K/reviewer.pub" "$T/alice.pub"
expect_exit 0 -- "$WARDEN" plugin sign "$C" --key "$K/reviewer.key"
printf '%s\n' "$TSHA" >"$P/approved"
expect_exit 0 -- "$WARDEN" plugin verify "$C" --trust "$T" --approved "$P/approved"
expect_stdout_contains ", program hash approved)"
printf '#!/bin/sh\ncat; id\n' >"$P/tool/tool.sh"
expect_exit 1 -- "$WARDEN" plugin verify "$C" --trust "$T"
expect_stderr_contains "WD-L009"
expect_stderr_contains "program hashes to"
printf '#!/bin/sh\ncat\n' >"$P/tool/tool.sh"
# a system program without sha256: the approved line is 32 zero bytes
expect_exit 0 -- "$WARDEN" plugin sign "$S" --key "$K/reviewer.key"
printf '%064d\n' 0 >"$P/approved-zero"
expect_exit 0 -- "$WARDEN" plugin verify "$S" --trust "$T" --approved "$P/approved-zero"
expect_exit 1 -- "$WARDEN" plugin verify "$S" --trust "$T" --approved "$P/approved"
expect_stdout_contains "WD-L021 program 0000"

# ---- list: no ABI or import gate for a process plugin ----------------------------------------
rm -rf "$P/native"
expect_exit 0 -- "$WARDEN" plugin list "$P/tool" --deny-imports system,execve
expect_stdout_contains "loaded   acme.tool compute 1.0.0"

finish
