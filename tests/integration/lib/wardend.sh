# wardend.sh: what the wardend integration tests share (source it after common.sh): the
# binaries, a cleanup that never leaves a wardend or a helper running (or an append-only segment
# that rm cannot remove), and start_wardend. Callers set ST (the state directory), OUT (what the
# test writes), SOCK (the socket) before starting; background helpers go in BGPIDS.

: "${WD_BINARY_DIR:=$WD_SOURCE_DIR/build}"
WARDEND="$WD_BINARY_DIR/src/daemon/wardend"
EX="$WD_BINARY_DIR/examples/plugins"
if [ ! -x "$WARDEND" ]; then
    echo "error: $WARDEND is not built" >&2
    exit 2
fi
if ! command -v curl >/dev/null || ! command -v python3 >/dev/null; then
    echo "error: curl and python3 are needed" >&2
    exit 2
fi

WPID=""   # the wardend under test
BGPIDS=() # helpers started in the background
wardend_cleanup() {
    local p
    for p in "${BGPIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    if [ -n "$WPID" ] && kill -0 "$WPID" 2>/dev/null; then
        kill -KILL "$WPID" 2>/dev/null
        wait "$WPID" 2>/dev/null
    fi
    find "$WD_TMP" -name "audit-*.jsonl*" -exec chattr -a {} + >/dev/null 2>&1
    rm -rf "$WD_TMP"
}
trap wardend_cleanup EXIT

# start_wardend CONFIG: starts wardend in the background (stderr to $OUT/wardend.log) and waits
# until it answers /health on $SOCK (10 s at most). 0 when it does.
start_wardend() {
    "$WARDEND" --config "$1" 2>>"$OUT/wardend.log" &
    WPID=$!
    for _ in $(seq 200); do
        if [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://wardend/health 2>/dev/null)" = 200 ]; then
            return 0
        fi
        kill -0 "$WPID" 2>/dev/null || break
        sleep 0.05
    done
    return 1
}
