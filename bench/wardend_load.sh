#!/usr/bin/env bash
# shellcheck disable=SC2154 # W_* and B_* are set through printf -v from the clients' result lines
# wardend_load.sh: HTTP load benchmark of wardend (single checks, batches, a soak).
#
# Usage:
#   bench/wardend_load.sh [BUILD_DIR]          (default BUILD_DIR: ./build of the checkout)
#   SOAK_MIN=10 DURATION=30s bench/wardend_load.sh /tmp/build-bench
#
# BUILD_DIR is a configured and built tree (a Release build for figures that mean something):
# it must hold src/daemon/wardend, src/warden and examples/plugins (the example plugins and their
# contracts). Needs wrk, curl and python3.
#
# What it does, in a fresh temporary directory (removed at the end unless KEEP=1):
#   - per run: audit keys (warden audit keygen), a config with one tenant "bench" (contracts:
#     BUILD_DIR/examples/plugins; this uid as admin on the Unix socket; loopback TCP on a free
#     port with one token_file client, role reader; audit durability batch), then wardend;
#   a. single checks: wrk -t$THREADS -c$CONNS -d$DURATION --latency -s bench/wardend_check.lua
#      POST /v1/check (bearer token; allowed and denied queries of examples.reader, half each),
#      once with audit decisions: none and once with decisions: all (separate configs and
#      restarts; "all" is the default and pays the audit log's group-commit fdatasync); wardend's
#      own decision counter (GET /metrics on the Unix socket) must agree with wrk's count;
#   b. batches: a python3 keep-alive client POSTs /v1/check/batch with 10,000 and 100,000
#      queries (every target distinct, half allowed; the first answer is checked whole, later
#      ones by their totals) for BATCH_SECS each and prints decisions/s = decisions answered /
#      wall time, for decisions: none and all;
#   c. soak: wrk for SOAK_MIN minutes (decisions: $SOAK_DECISIONS) while wardend's decisions/s
#      (from /metrics), VmRSS, VmHWM, open descriptors, threads and CPU are sampled every SAMPLE_S
#      seconds; prints the RSS and fd growth from the first sample to the last.
#   The load generator shares the machine, so every run also reports CPU time in % of one CPU
#   (2 CPUs = 200%): wardend's (utime + stime from /proc/PID/stat), the client's (wrk or the
#   batch client, from bash's time) and everything else (/proc/stat busy time minus both: other
#   processes, kernel threads, interrupts). A large "other" means the machine was not quiet and
#   the figures are low. A summary table and the project's targets (reported as met or MISSED,
#   not enforced) come last.
#
# Environment (defaults in brackets):
#   DURATION [20s] THREADS [1] CONNS [64]      wrk runs of phase a
#   BATCH_SECS [10] BATCH_SIZES [10000,100000] BATCH_CLIENTS [2: one per CPU]  phase b
#   SOAK_MIN [3] SAMPLE_S [10] SOAK_DECISIONS [all] SOAK_CONNS [$CONNS]   phase c (SOAK_MIN=0 skips)
#   PHASES [single,batch,soak]   run only some phases
#   PERF [0]     1: perf record -g wardend for PERF_S [10] seconds during each wrk and batch run
#                (reports in the temporary directory; use KEEP=1 to look at them)
#   KEEP [0]     1: keep the temporary directory (configs, logs, audit logs, wrk output)
#   WORKDIR [/tmp]  where the temporary directory is made (its filesystem takes the audit fsyncs)
#
# Exit status: 0 when every run answered (targets missed or not), 1 when wardend fails to start
# or a run errors (a non-2xx answer, a socket error or a timeout counted by wrk, a wrong batch
# answer, wardend dying), 2 usage or a missing tool.
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SELF_DIR/.." && pwd)
BUILD=${1:-${BUILD:-$ROOT/build}}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "wardend_load: no build directory ${1:-$ROOT/build}" >&2; exit 2; }

DURATION=${DURATION:-20s}
THREADS=${THREADS:-1} # one wrk thread: a second one competes with wardend for the 2 vCPUs and its own scheduling shows up as p99
CONNS=${CONNS:-64}
BATCH_SECS=${BATCH_SECS:-10}
BATCH_SIZES=${BATCH_SIZES:-10000,100000}
BATCH_CLIENTS=${BATCH_CLIENTS:-2}
SOAK_MIN=${SOAK_MIN:-3}
SAMPLE_S=${SAMPLE_S:-10}
SOAK_DECISIONS=${SOAK_DECISIONS:-all}
SOAK_CONNS=${SOAK_CONNS:-$CONNS}
PHASES=${PHASES:-single,batch,soak}
PERF=${PERF:-0}
PERF_S=${PERF_S:-10}
KEEP=${KEEP:-0}
WORKDIR=${WORKDIR:-/tmp}

# The project's targets (issue 7), reported as met or MISSED.
TARGET_RPS=50000
TARGET_P99_US=2000
TARGET_DPS=2000000

WARDEND=$BUILD/src/daemon/wardend
WARDEN=$BUILD/src/warden
PLUGINS=$BUILD/examples/plugins
DATA=$PLUGINS/reader/data
LUA=$SELF_DIR/wardend_check.lua

for f in "$WARDEND" "$WARDEN"; do
    [[ -x $f ]] || { echo "wardend_load: $f is missing: build the tree first" >&2; exit 2; }
done
[[ -f $PLUGINS/reader/contract.yaml && -d $DATA ]] ||
    { echo "wardend_load: $PLUGINS/reader is missing (examples not built?)" >&2; exit 2; }
for t in wrk curl python3; do
    command -v "$t" >/dev/null || { echo "wardend_load: $t is not installed" >&2; exit 2; }
done
[[ $PERF == 1 ]] && ! command -v perf >/dev/null && { echo "wardend_load: PERF=1 needs perf" >&2; exit 2; }
has_phase() { [[ ,$PHASES, == *,$1,* ]]; }

TMP=$(mktemp -d "$WORKDIR/wardend_load.XXXXXX")
WD_PID=
FAILED=0
declare -a SUMMARY=()
declare -a NOTES=()
declare -A FIG=()

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
    local rc=$?
    stop_wardend quiet || true
    if [[ $KEEP == 1 ]]; then
        echo "kept $TMP (audit segments are append-only as root: chattr -R -a before rm -rf)"
    else
        # As root the audit log's segments carry the append-only attribute (wd_audit_options
        # append_only, on by default): clear it or rm cannot remove them.
        command -v chattr > /dev/null && chattr -R -a "$TMP" 2> /dev/null
        rm -rf "$TMP" 2>/dev/null || echo "wardend_load: could not remove all of $TMP" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }
err() { printf 'wardend_load: ERROR: %s\n' "$*" >&2; FAILED=1; NOTES+=("ERROR: $*"); }

CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

# ---- /proc sampling ------------------------------------------------------------------------------

proc_cpu_ticks() { # utime + stime of a process, in clock ticks
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    stat=${stat##*) } # fields after "(comm) "; field 3 (state) is now $1
    # shellcheck disable=SC2086
    set -- $stat
    echo $(( ${12} + ${13} ))
}
sys_busy_idle() { # "busy idle" jiffies of the whole machine
    local _cpu u n s i w q sq st rest
    read -r _cpu u n s i w q sq st rest < /proc/stat
    echo "$(( u + n + s + q + sq + st )) $(( i + w ))"
}
now_ns() { date +%s%N; }
status_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
fd_count() { local a=("/proc/$1/fd/"*); echo "${#a[@]}"; }

CPU_T0=0 CPU_W0=0 CPU_B0=0 CPU_I0=0
cpu_mark() {
    CPU_T0=$(proc_cpu_ticks "$WD_PID"); CPU_W0=$(now_ns)
    read -r CPU_B0 CPU_I0 < <(sys_busy_idle)
}
# cpu_since [CLIENT_CPU_S]: prints "WARDEND BUSY CLIENT OTHER", each in % of one CPU over the
# wall time since cpu_mark (the machine has NCPU * 100%): wardend's CPU time (/proc/PID/stat),
# the whole machine's busy time (/proc/stat), the load generator's (its user + sys seconds,
# given), and what is left: other processes and kernel threads (interrupts, writeback).
cpu_since() {
    local t w b i
    t=$(proc_cpu_ticks "$WD_PID"); w=$(now_ns)
    read -r b i < <(sys_busy_idle)
    python3 -c "
t, w, b, i, cl = $t - $CPU_T0, ($w - $CPU_W0) / 1e9, $b - $CPU_B0, $i - $CPU_I0, ${1:-0}
wd = 100.0 * t / $CLK_TCK / w if w > 0 else 0
busy = $NCPU * 100.0 * b / (b + i) if b + i else 0
client = 100.0 * cl / w if w > 0 else 0
print('%.0f %.0f %.0f %.0f' % (wd, busy, client, max(0.0, busy - wd - client)))"
}
# The user + system seconds bash's time keyword wrote to FILE (TIMEFORMAT='%U %S').
client_secs() { awk 'NF == 2 { print $1 + $2 }' "$1" 2>/dev/null | tail -1; }

# ---- configuration and wardend ------------------------------------------------------------------

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TMP/token"
chmod 600 "$TMP/token"
TOKEN=$(cat "$TMP/token")
URL=http://127.0.0.1:$PORT

# write_config NAME DECISIONS: a state directory and warden.yaml of its own per run.
write_config() {
    local dir=$TMP/$1
    mkdir -p "$dir"
    "$WARDEN" audit keygen --dir "$dir/keys" > /dev/null
    cat > "$dir/warden.yaml" <<EOF
# wardend_load.sh run "$1" (audit decisions: $2)
version: 1
listen:
  unix: $dir/wardend.sock
  mode: "0660"
  tcp: 127.0.0.1:$PORT
limits:
  max_body: 64MiB           # a 100,000-query batch is ~13 MB
  max_connections: 1024
  max_connections_per_peer: 1024   # every client here is 127.0.0.1: one peer
  max_batch: 100000
tenants:
  - name: bench
    contracts: [$PLUGINS]
    policies: $dir/policies
    audit:
      log: $dir/audit
      keys: $dir/keys
      durability: batch
      decisions: $2
    clients:
      - uid: $(id -u)
        role: admin
      - token_file: $TMP/token
        role: reader
EOF
}

check_once() { # VERB TARGET: prints the decision
    curl -sS -m 5 -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data-binary "{\"component\":\"examples.reader\",\"verb\":\"$1\",\"target\":\"$2\"}" \
        "$URL/v1/check" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("decision", "error"))'
}

start_wardend() { # NAME
    local dir=$TMP/$1
    "$WARDEND" --config "$dir/warden.yaml" --check-config > /dev/null 2> "$dir/check.txt" ||
        { cat "$dir/check.txt" >&2; err "config $1 is refused"; exit 1; }
    "$WARDEND" --config "$dir/warden.yaml" > "$dir/wardend.log" 2>&1 &
    WD_PID=$!
    local i
    for i in $(seq 100); do
        if ! kill -0 "$WD_PID" 2>/dev/null; then
            cat "$dir/wardend.log" >&2
            WD_PID=
            err "wardend ($1) failed to start"
            exit 1
        fi
        curl -sf -m 1 "$URL/health" > /dev/null 2>&1 && break
        sleep 0.1
    done
    curl -sf -m 1 "$URL/health" > /dev/null || { err "wardend ($1) does not answer on $URL"; exit 1; }
    # The figures only mean something if the answers are right.
    local a d
    a=$(check_once read "$DATA/hello.txt") d=$(check_once read "$DATA/api.secret")
    if [[ $a != allow || $d != deny ]]; then
        err "wardend ($1) answers $a for an allowed and $d for a denied read"
        exit 1
    fi
    say "wardend ($1) pid $WD_PID on $URL; audit decisions: $(awk '$1 == "decisions:" {print $2}' "$dir/warden.yaml"); RSS $(status_field "$WD_PID" VmRSS) kB, $(fd_count "$WD_PID") fds"
}

stop_wardend() {
    [[ -n $WD_PID ]] || return 0
    local pid=$WD_PID i
    WD_PID=
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        [[ ${1:-} == quiet ]] || err "wardend did not stop within 10 s of SIGTERM"
    fi
    local rc=0
    wait "$pid" 2>/dev/null || rc=$?
    [[ $rc == 0 || ${1:-} == quiet ]] || err "wardend exited with status $rc"
}

alive() { [[ -n $WD_PID ]] && kill -0 "$WD_PID" 2>/dev/null; }

# The decisions wardend has counted (GET /metrics over the Unix socket, as the admin uid).
decisions_total() { # NAME (config)
    curl -sf -m 5 --unix-socket "$TMP/$1/wardend.sock" http://wardend/metrics 2>/dev/null |
        awk '/^warden_decisions_total\{/ { n += $NF } END { printf "%d\n", n }'
}

perf_start() { # NAME: a perf profile of wardend for PERF_S seconds, in the background
    PERF_PID=
    [[ $PERF == 1 ]] || return 0
    perf record -g -o "$TMP/perf-$1.data" -p "$WD_PID" -- sleep "$PERF_S" > /dev/null 2>&1 &
    PERF_PID=$!
}
perf_finish() { # NAME
    [[ $PERF == 1 && -n ${PERF_PID:-} ]] || return 0
    wait "$PERF_PID" 2>/dev/null || true
    perf report -i "$TMP/perf-$1.data" --stdio --no-children --percent-limit 1 \
        > "$TMP/perf-$1.txt" 2>/dev/null || true
    say "  perf profile: $TMP/perf-$1.txt"
}

# ---- a: single checks with wrk ------------------------------------------------------------------

# run_wrk NAME DURATION CONNS: runs wrk, echoes its output, leaves the figures in W_*.
run_wrk() {
    local name=$1 dur=$2 conns=$3 out=$TMP/wrk-$1.txt TIMEFORMAT='%U %S'
    { time WARDEN_TOKEN=$TOKEN WARDEN_DATA=$DATA \
        wrk -t"$THREADS" -c"$conns" -d"$dur" --timeout 5s --latency -s "$LUA" "$URL/v1/check" \
        > "$out" 2>&1; } 2> "$out.time" || { cat "$out"; err "wrk ($name) failed"; return 1; }
    local line
    line=$(grep '^WRK_RESULT ' "$out" || true)
    [[ -n $line ]] || { cat "$out"; err "wrk ($name) printed no result"; return 1; }
    unset W_requests W_rps W_p50_us W_p90_us W_p99_us W_p999_us W_max_us W_non2xx W_connect W_read W_write W_timeout
    local kv
    for kv in ${line#WRK_RESULT }; do
        printf -v "W_${kv%%=*}" '%s' "${kv#*=}"
    done
    grep -v '^WRK_RESULT ' "$out" | sed 's/^/  | /'
    if (( W_non2xx || W_connect || W_read || W_write || W_timeout )); then
        err "wrk ($name): non-2xx $W_non2xx, socket errors connect $W_connect read $W_read write $W_write timeout $W_timeout"
    fi
}

ms() { python3 -c "print('%.2f' % ($1 / 1000.0))"; }

single_run() { # NAME (config)
    local name=$1 c b cl o
    say ""
    say "== a. single checks, audit decisions: $name: wrk -t$THREADS -c$CONNS -d$DURATION --latency POST /v1/check"
    local d0 d1
    d0=$(decisions_total "$name")
    cpu_mark
    perf_start "single-$name"
    run_wrk "single-$name" "$DURATION" "$CONNS" || return 0
    read -r c b cl o < <(cpu_since "$(client_secs "$TMP/wrk-single-$name.txt.time")")
    perf_finish "single-$name"
    alive || { err "wardend died during the single-check run ($name)"; return 0; }
    d1=$(decisions_total "$name")
    # wrk counts the answers it read; wardend may have decided up to one more per connection.
    if (( d1 - d0 < W_requests || d1 - d0 > W_requests + CONNS )); then
        err "wardend counted $(( d1 - d0 )) decisions for wrk's $W_requests answers ($name)"
    fi
    say "  -> $(printf '%.0f' "$W_rps") requests/s, p50 $(ms "$W_p50_us") ms, p90 $(ms "$W_p90_us") ms, p99 $(ms "$W_p99_us") ms, p99.9 $(ms "$W_p999_us") ms, max $(ms "$W_max_us") ms"
    say "     CPU (% of one CPU, $NCPU CPUs = $(( NCPU * 100 ))%): wardend ${c}%, wrk ${cl}%, other processes ${o}%"
    FIG[single_rps_$name]=$W_rps FIG[single_p99_$name]=$W_p99_us
    SUMMARY+=("$(printf '%-34s %14.0f %-12s %8s %8s %8s %6s%% %6s%% %6s%%' \
        "single /v1/check, decisions $name" "$W_rps" "requests/s" \
        "$(ms "$W_p50_us")" "$(ms "$W_p90_us")" "$(ms "$W_p99_us")" "$c" "$cl" "$o")")
}

# ---- b: batches with a python3 keep-alive client ------------------------------------------------

BATCH_PY=$TMP/batch.py
cat > "$BATCH_PY" <<'PY'
# POSTs /v1/check/batch with N queries over one keep-alive connection for SECS seconds.
import http.client, json, sys, time
port, token, data, n, secs = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
# Every target distinct (a cache-unfriendly mix), half allowed by examples.reader's policy.
templates = [
    ("read", data + "/u%d/hello.txt", True),
    ("read", data + "/u%d/api.secret", False),
    ("read", data + "/reports/%d/q3/summary.md", True),
    ("write", data + "/u%d/hello.txt", False),
    ("read", data + "/src/lib%d/module/index.json", True),
    ("read", "/etc/app%d/passwd", False),
    ("read", data + "/notes-%d.txt", True),
    ("read", data + "/keys/prod%d/db.secret", False),
    ("read", data + "/a/b/c/d/e/f/g%d.txt", True),
    ("connect", "api%d.example.com:443", False),
]
queries, expect_allowed = [], 0
for i in range(n):
    verb, target, allowed = templates[i % len(templates)]
    queries.append({"verb": verb, "target": target % i})
    expect_allowed += allowed
body = json.dumps({"component": "examples.reader", "queries": queries}, separators=(",", ":")).encode()
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

def post():
    conn.request("POST", "/v1/check/batch", body=body, headers=headers)
    r = conn.getresponse()
    payload = r.read()
    if r.status != 200:
        sys.stderr.write("batch: HTTP %d: %s\n" % (r.status, payload[:300].decode(errors="replace")))
        sys.exit(1)
    return payload

# The first answer is read whole and checked; later ones by their totals.
first = json.loads(post())
if len(first["results"]) != n or first["allowed"] != expect_allowed or first["denied"] != n - expect_allowed:
    sys.stderr.write("batch: %d results, %d allowed, %d denied; expected %d results, %d allowed\n"
                     % (len(first["results"]), first["allowed"], first["denied"], n, expect_allowed))
    sys.exit(1)
tail = (',"allowed":%d,"denied":%d}' % (expect_allowed, n - expect_allowed)).encode()
times, resp_bytes = [], 0
start = time.monotonic()
while True:
    t0 = time.monotonic()
    payload = post()
    t1 = time.monotonic()
    if not payload.rstrip().endswith(tail):
        sys.stderr.write("batch: an answer does not end with %r\n" % tail)
        sys.exit(1)
    times.append(t1 - t0)
    resp_bytes += len(payload)
    if t1 - start >= secs:
        break
wall = time.monotonic() - start
times.sort()
print("BATCH_RESULT n=%d batches=%d decisions=%d wall_s=%.3f dps=%.0f batch_p50_ms=%.1f batch_max_ms=%.1f "
      "req_bytes=%d resp_bytes=%d"
      % (n, len(times), n * len(times), wall, n * len(times) / wall, 1000 * times[len(times) // 2],
         1000 * times[-1], len(body), resp_bytes // len(times)))
PY

batch_run() { # NAME (config)
    local name=$1 n c b cl o out line kv TIMEFORMAT='%U %S'
    for n in ${BATCH_SIZES//,/ }; do
        say ""
        say "== b. batch /v1/check/batch, $n queries, audit decisions: $name, ${BATCH_SECS}s, $BATCH_CLIENTS keep-alive connection(s) at once"
        out=$TMP/batch-$name-$n.txt
        cpu_mark
        perf_start "batch-$name-$n"
        # One client is one request at a time: its own parsing and sending leave the server
        # idle between batches. Clients side by side measure what the server can answer.
        local i fail=0 pids=()
        { time {
            for ((i = 0; i < BATCH_CLIENTS; i++)); do
                python3 "$BATCH_PY" "$PORT" "$TOKEN" "$DATA" "$n" "$BATCH_SECS" > "$out.$i" 2>&1 &
                pids+=($!)
            done
            wait "${pids[@]}" # not a bare wait: wardend is a background job of this shell too
        }; } 2> "$out.time"
        for ((i = 0; i < BATCH_CLIENTS; i++)); do
            grep -q '^BATCH_RESULT ' "$out.$i" || { sed 's/^/  | /' "$out.$i"; fail=1; }
        done
        if [ $fail = 1 ]; then
            err "batch $n ($name) failed"
            continue
        fi
        # The clients' results summed: decisions and batches add up, the rest is client 0's.
        python3 - "$out" "$BATCH_CLIENTS" > "$out.sum" <<'PY'
import sys
base, k = sys.argv[1], int(sys.argv[2])
rows = []
for i in range(k):
    line = [l for l in open("%s.%d" % (base, i)) if l.startswith("BATCH_RESULT ")][0]
    rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
out = dict(rows[0])
for key in ("batches", "decisions"):
    out[key] = str(sum(int(r[key]) for r in rows))
out["dps"] = "%.0f" % sum(float(r["dps"]) for r in rows)
print("BATCH_RESULT " + " ".join("%s=%s" % kv for kv in out.items()))
PY
        cp "$out.sum" "$out"
        read -r c b cl o < <(cpu_since "$(client_secs "$out.time")")
        perf_finish "batch-$name-$n"
        alive || { err "wardend died during the batch run ($name, $n)"; return 0; }
        line=$(grep '^BATCH_RESULT ' "$out")
        unset B_dps B_batches B_batch_p50_ms B_req_bytes B_resp_bytes
        for kv in ${line#BATCH_RESULT }; do
            printf -v "B_${kv%%=*}" '%s' "${kv#*=}"
        done
        say "  -> $B_dps decisions/s ($B_batches batches; one batch p50 $B_batch_p50_ms ms, max $B_batch_max_ms ms; request $(( B_req_bytes / 1024 )) KiB, answer $(( B_resp_bytes / 1024 )) KiB)"
        say "     CPU (% of one CPU): wardend ${c}%, client ${cl}% (it builds its ${n}-query body once, before the clock starts), other processes ${o}%"
        FIG[batch_${n}_$name]=$B_dps
        SUMMARY+=("$(printf '%-34s %14.0f %-12s %8s %8s %8s %6s%% %6s%% %6s%%' \
            "batch $n, decisions $name" "$B_dps" "decisions/s" "$B_batch_p50_ms" "-" "$B_batch_max_ms" "$c" "$cl" "$o")")
    done
}

# ---- c: soak --------------------------------------------------------------------------------------

soak_run() {
    local name=soak secs=$(( SOAK_MIN * 60 )) wrk_pid t0 t rss fds thr c b first_rss='' last_rss='' first_fds='' last_fds='' hwm
    local soak_c=- soak_cl=- soak_o=-
    say ""
    say "== c. soak: wrk -t$THREADS -c$SOAK_CONNS -d${SOAK_MIN}m POST /v1/check, audit decisions: $SOAK_DECISIONS; sampling every ${SAMPLE_S}s"
    cpu_mark
    local soak_t0=$CPU_T0 soak_w0=$CPU_W0 soak_b0=$CPU_B0 soak_i0=$CPU_I0
    ( run_wrk "$name" "${secs}s" "$SOAK_CONNS" > "$TMP/soak-wrk.out" 2>&1; echo "FAILED=$FAILED" >> "$TMP/soak-wrk.out" ) &
    wrk_pid=$!
    t0=$(date +%s)
    say "  (decided/s: wardend's decision counter (GET /metrics) over the interval; cpu%: wardend; busy%:"
    say "   the whole machine, wrk included; both in % of one CPU, $NCPU CPUs = $(( NCPU * 100 ))%)"
    printf '  %6s %10s %10s %10s %6s %8s %6s %6s\n' "t_s" "decided/s" "VmRSS_kB" "VmHWM_kB" "fds" "threads" "cpu%" "busy%"
    local dec_prev dec_now tw_prev tw_now rate
    dec_prev=$(decisions_total "$name") tw_prev=$(now_ns)
    while kill -0 "$wrk_pid" 2>/dev/null; do
        sleep "$SAMPLE_S" &
        wait $! || true
        alive || { err "wardend died during the soak"; break; }
        kill -0 "$wrk_pid" 2>/dev/null || break
        t=$(( $(date +%s) - t0 ))
        rss=$(status_field "$WD_PID" VmRSS); hwm=$(status_field "$WD_PID" VmHWM)
        fds=$(fd_count "$WD_PID"); thr=$(status_field "$WD_PID" Threads)
        read -r c b _ _ < <(cpu_since); cpu_mark
        dec_now=$(decisions_total "$name") tw_now=$(now_ns)
        rate=$(( (dec_now - dec_prev) * 1000000000 / (tw_now - tw_prev) ))
        dec_prev=$dec_now tw_prev=$tw_now
        printf '  %6d %10d %10d %10d %6d %8d %5s%% %5s%%\n' "$t" "$rate" "$rss" "$hwm" "$fds" "$thr" "$c" "$b"
        [[ -n $first_rss ]] || { first_rss=$rss; first_fds=$fds; }
        last_rss=$rss last_fds=$fds
    done
    wait "$wrk_pid" || true
    CPU_T0=$soak_t0 CPU_W0=$soak_w0 CPU_B0=$soak_b0 CPU_I0=$soak_i0
    read -r soak_c _ soak_cl soak_o < <(cpu_since "$(client_secs "$TMP/wrk-$name.txt.time")")
    sed '/^FAILED=/d' "$TMP/soak-wrk.out"
    grep -q '^FAILED=1' "$TMP/soak-wrk.out" && FAILED=1 && NOTES+=("ERROR: the soak's wrk run reported errors")
    local line kv
    line=$(grep '^  | WRK_RESULT\|^WRK_RESULT' "$TMP/wrk-$name.txt" | head -1 || true)
    if [[ -n $line && -n $first_rss ]]; then
        unset W_rps W_p50_us W_p99_us
        for kv in ${line#*WRK_RESULT }; do printf -v "W_${kv%%=*}" '%s' "${kv#*=}"; done
        sleep 2 # wrk's connections close; wardend's per-connection threads exit
        local idle_rss idle_fds idle_thr
        idle_rss=$(status_field "$WD_PID" VmRSS) idle_fds=$(fd_count "$WD_PID") idle_thr=$(status_field "$WD_PID" Threads)
        local growth=$(( last_rss - first_rss ))
        say "  -> $(printf '%.0f' "$W_rps") requests/s, p50 $(ms "$W_p50_us") ms, p99 $(ms "$W_p99_us") ms over ${SOAK_MIN} min"
        say "  -> VmRSS first sample $first_rss kB, last $last_rss kB: growth $growth kB ($(python3 -c "print('%+.1f' % (100.0 * $growth / $first_rss))")%); fds $first_fds -> $last_fds"
        say "  -> 2 s after the load: VmRSS $idle_rss kB, $idle_fds fds, $idle_thr threads"
        FIG[soak_growth]=$growth
        say "     CPU over the whole soak (% of one CPU): wardend ${soak_c}%, wrk ${soak_cl}%, other processes ${soak_o}%"
        SUMMARY+=("$(printf '%-34s %14.0f %-12s %8s %8s %8s %6s%% %6s%% %6s%%' \
            "soak ${SOAK_MIN} min, decisions $SOAK_DECISIONS" "$W_rps" "requests/s" \
            "$(ms "$W_p50_us")" "$(ms "$W_p90_us")" "$(ms "$W_p99_us")" "$soak_c" "$soak_cl" "$soak_o")")
        SUMMARY+=("$(printf '%-34s %14s %-12s %s' "soak VmRSS first -> last" "$growth" "kB growth" "($first_rss -> $last_rss kB; 2 s after the load $idle_rss kB)")")
        SUMMARY+=("$(printf '%-34s %14s %-12s %s' "soak open fds first -> last" "$(( last_fds - first_fds ))" "fds growth" "($first_fds -> $last_fds; 2 s after the load $idle_fds)")")
    fi
}

# ---- run ------------------------------------------------------------------------------------------

# How busy the machine is before any load of ours (the figures are wall-clock).
cpu_quiet() {
    local b0 i0 b1 i1
    read -r b0 i0 < <(sys_busy_idle); sleep 3; read -r b1 i1 < <(sys_busy_idle)
    python3 -c "b, i = $b1 - $b0, $i1 - $i0; print('%.0f' % ($NCPU * 100.0 * b / (b + i) if b + i else 0))"
}
say "wardend_load: $(date -u '+%Y-%m-%d %H:%M:%SZ'); $(uname -srm); $NCPU CPU(s): $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
say "machine busy before the runs (3 s, nothing of ours running): $(cpu_quiet)% of one CPU; load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "build: $BUILD ($(awk -F= '/^CMAKE_BUILD_TYPE:/ {print $2}' "$BUILD/CMakeCache.txt" 2>/dev/null || echo '?')); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); temporary directory $TMP"

for name in none all; do
    has_phase single || has_phase batch || break
    write_config "$name" "$name"
    start_wardend "$name"
    has_phase single && single_run "$name"
    has_phase batch && batch_run "$name"
    stop_wardend
    say "  audit log of run $name: $(du -sh "$TMP/$name/audit" | cut -f1)"
done

if has_phase soak && (( SOAK_MIN > 0 )); then
    write_config soak "$SOAK_DECISIONS"
    start_wardend soak
    soak_run
    stop_wardend
    say "  audit log of the soak: $(du -sh "$TMP/soak/audit" | cut -f1)"
fi

# ---- summary --------------------------------------------------------------------------------------

say ""
say "summary ($(uname -r), $NCPU CPUs, wrk -t$THREADS -c$CONNS; latencies in ms)"
printf '%-34s %14s %-12s %8s %8s %8s %7s %7s %7s\n' "run" "rate" "unit" "p50" "p90" "p99/max" "wardend" "client" "other"
for row in "${SUMMARY[@]}"; do say "$row"; done
say "(CPU columns: % of one CPU over the run, $NCPU CPUs = $(( NCPU * 100 ))%: wardend, the load generator (wrk or"
say " the batch client) and everything else on the machine; a large \"other\" means the figures are"
say " depressed by other work and should be rerun on a quiet machine. Batch rows: p50 and max are"
say " of one whole batch request, client wall time.)"

verdict() { # VALUE OP TARGET
    python3 -c "import sys; sys.exit(0 if ($1 $2 $3) else 1)" && echo met || echo MISSED
}
say ""
say "targets (reported, not enforced):"
for name in none all; do
    if [[ -n ${FIG[single_rps_$name]:-} ]]; then
        printf '  %-52s %s\n' ">= $TARGET_RPS single checks/s, decisions $name" \
            "$(printf '%.0f' "${FIG[single_rps_$name]}")/s: $(verdict "${FIG[single_rps_$name]}" '>=' $TARGET_RPS)"
        printf '  %-52s %s\n' "p99 < $(ms $TARGET_P99_US) ms at $CONNS connections, decisions $name" \
            "$(ms "${FIG[single_p99_$name]}") ms: $(verdict "${FIG[single_p99_$name]}" '<' $TARGET_P99_US)"
    fi
    for n in ${BATCH_SIZES//,/ }; do
        [[ -n ${FIG[batch_${n}_$name]:-} ]] || continue
        printf '  %-52s %s\n' ">= $TARGET_DPS decisions/s, batch $n, decisions $name" \
            "${FIG[batch_${n}_$name]}/s: $(verdict "${FIG[batch_${n}_$name]}" '>=' $TARGET_DPS)"
    done
done
for note in "${NOTES[@]}"; do say "$note"; done
exit "$FAILED"
