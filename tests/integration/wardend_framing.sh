#!/usr/bin/env bash
# wardend_framing.sh: wardend's HTTP framing and pre-authentication bounds (issue 12, items 9-11)
# against the real daemon, with raw bytes on the socket:
#   - every request-smuggling shape (two Content-Length, CL + Transfer-Encoding, obs-fold,
#     whitespace before a colon, NUL and control bytes, two Authorization, a bare LF) is answered
#     400 WD-D014 with Connection: close and the connection closed, on the Unix socket and over
#     TCP; a malformed request line or too many query arguments is a 400 too, never a silent close;
#   - a second request hidden in a body (after a good request, or behind a conflicting length)
#     is never executed: the audit log never holds its marker target and the decision counter
#     moves by the requests answered only;
#   - a flood of 300 idle connections from one client (max_connections 64) on the Unix socket and
#     on TCP does not keep a good client out: it is answered at once, the flood displaced;
#   - a check target over 64 KiB is refused 400 WD-D016 and raises no audit-write alarm.
# Loopback addresses only; every helper has its own deadline and stops by itself.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$WD_LIB_DIR/audit.sh"
# shellcheck source=lib/wardend.sh
source "$WD_LIB_DIR/wardend.sh"

ST="$WD_TMP/state"
OUT="$WD_TMP/out"
mkdir -p "$ST/run" "$ST/demo" "$OUT"
SOCK="$ST/run/wardend.sock"
CFG="$ST/warden.yaml"
LOG="$ST/demo/audit"
audit_keygen "$ST/demo/keys"
python3 -c 'import os; print(os.urandom(48).hex())' >"$ST/demo/token"
chmod 600 "$ST/demo/token"
TOKEN=$(cat "$ST/demo/token")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Only keys every wardend since the HTTP API knows: the same file runs older builds (to see
# these tests fail there). timeout 60s: nothing here may be answered by a deadline running out.
cat >"$CFG" <<EOF
version: 1
listen:
  unix: $SOCK
  tcp: 127.0.0.1:$PORT
limits:
  timeout: 60s
  max_connections: 64
tenants:
  - name: demo
    contracts: [$EX]
    policies: demo/policies
    audit: {log: demo/audit, keys: demo/keys, durability: batch, decisions: all}
    clients:
      - {uid: $(id -u), role: admin}
      - {token_file: demo/token, role: admin}
EOF
start_wardend "$CFG"
wd_check $? "wardend starts" "$(tail -5 "$OUT/wardend.log")"

# ---- raw requests ------------------------------------------------------------------------------
cat >"$OUT/raw.py" <<'EOF'
# raw.py SOCK PORT TOKEN NAME: sends case NAME over the Unix socket (PORT 0) or TCP and prints
# "<status line> | close=<0/1> | eof=<0/1> | answers=<n> | <body>".
import json, socket, sys
sock, port, token, name = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
auth = b"Authorization: Bearer " + token + b"\r\n" if port else b""
def check(target):
    return json.dumps({"component": "examples.reader", "verb": "read", "target": target}).encode()
good = check("/srv/good")
hidden_body = check("/smuggled/MARKER")
hidden = (b"POST /v1/check HTTP/1.1\r\nHost: w\r\n" + auth +
          b"Content-Length: %d\r\n\r\n" % len(hidden_body) + hidden_body)
H = b"Host: w\r\n" + auth
cases = {
    "good": b"POST /v1/check HTTP/1.1\r\n" + H + b"Content-Length: %d\r\n\r\n" % len(good) + good,
    "pipelined": b"POST /v1/check HTTP/1.1\r\n" + H + b"Content-Length: %d\r\n\r\n" % len(good) + good + hidden,
    "cl-cl": b"POST /v1/check HTTP/1.1\r\n" + H + b"Content-Length: 0\r\nContent-Length: %d\r\n\r\n" % len(hidden) + hidden,
    "cl-cl-same": b"POST /v1/check HTTP/1.1\r\n" + H + b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n" % (len(good), len(good)) + good + hidden,
    "cl-te": b"POST /v1/check HTTP/1.1\r\n" + H + b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (5 + len(hidden)) + hidden,
    "te-cl": b"POST /v1/check HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n%x\r\n" % len(good) + good + b"\r\n0\r\n\r\n" + hidden,
    "te-obfuscated": b"POST /v1/check HTTP/1.1\r\n" + H + b"Content-Length: 0\r\nTransfer-Encoding : chunked\r\n\r\n" + hidden,
    "fold-cl": b"POST /v1/check HTTP/1.1\r\n" + H + b"X-A: b\r\n Content-Length: %d\r\nContent-Length: 0\r\n\r\n" % len(hidden) + hidden,
    "ws-colon": b"POST /v1/check HTTP/1.1\r\n" + H + b"Content-Length : 0\r\n\r\n" + hidden,
    "nul": b"GET /v1/components HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n" + hidden,
    "ctl": b"GET /v1/components HTTP/1.1\r\n" + H + b"X-A: a\x0bb\r\n\r\n",
    "auth-twice": b"GET /v1/components HTTP/1.1\r\nHost: w\r\nAuthorization: Bearer " + token +
                  b"\r\nAuthorization: Bearer x\r\n\r\n",
    "bare-lf": b"POST /v1/check HTTP/1.1\n" + H + b"Content-Length: 0\n\n" + hidden,
    "bad-line": b"GET  /health HTTP/1.1\r\n" + H + b"\r\n",
    "bad-version": b"GET /health HTTP/9.9\r\n" + H + b"\r\n",
    "garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    "many-args": b"GET /v1/audit?" + b"&".join(b"a%d=1" % i for i in range(200)) + b" HTTP/1.1\r\n" + H + b"\r\n",
}
s = socket.create_connection(("127.0.0.1", port)) if port else socket.socket(socket.AF_UNIX)
if not port:
    s.connect(sock)
s.settimeout(10)
try:
    s.sendall(cases[name])
except OSError:
    pass
got, eof = b"", 0
try:
    while True:
        d = s.recv(65536)
        if not d:
            eof = 1
            break
        got += d
except socket.timeout:
    pass
except ConnectionResetError:
    eof = 1
# The answers, one after another, each framed by its Content-Length.
answers, rest = [], got
while rest.startswith(b"HTTP/1.1 ") and b"\r\n\r\n" in rest:
    h, _, rest = rest.partition(b"\r\n\r\n")
    n = 0
    for line in h.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v.strip())
    answers.append((h, rest[:n]))
    rest = rest[n:]
head, body = answers[0] if answers else (got, b"")
status = head.split(b"\r\n")[0].decode(errors="replace") or "(nothing)"
close = int(b"\r\nconnection: close" in head.lower())
print("%s | close=%d | eof=%d | answers=%d | %s" % (status, close, eof, len(answers) + bool(rest),
                                                  body.decode(errors="replace").strip()[:300]))
EOF
raw() { # VIA(unix|tcp) CASE
    local port=0
    [ "$1" = tcp ] && port=$PORT
    run python3 "$OUT/raw.py" "$SOCK" "$port" "$TOKEN" "$2"
}
decisions() { # the decision counter of demo
    curl -s -m 10 --unix-socket "$SOCK" http://w/metrics |
        awk '/^warden_decisions_total\{tenant="demo"/ {n += $2} END {print n + 0}'
}

D0=$(decisions)
for via in unix tcp; do
    raw "$via" good
    expect_stdout_contains "HTTP/1.1 200 OK | close=1 | eof=1 | answers=1"
    # A request with another behind it: the first is answered, the connection closes, the
    # second is never read as a request.
    raw "$via" pipelined
    expect_stdout_contains "HTTP/1.1 200 OK | close=1 | eof=1 | answers=1"
    for c in cl-cl cl-cl-same cl-te te-cl te-obfuscated fold-cl ws-colon nul ctl auth-twice bare-lf \
        bad-line bad-version garbage many-args; do
        raw "$via" "$c"
        expect_stdout_contains "HTTP/1.1 400 Bad Request | close=1 | eof=1 | answers=1"
        expect_stdout_contains '"code":"WD-D014"'
    done
done
# Exactly the four good requests were decided; the marker never reached the engine.
expect_eq "$(($(decisions) - D0))" 4 "only the requests answered were decided (4)"
run "$WARDEN" audit show --log "$LOG" --json
expect_stdout_not_contains "MARKER"
expect_stdout_contains "/srv/good"
api_status() { curl -s -m 10 -o "$WD_OUT" -w '%{http_code}' "$@"; }
expect_eq "$(api_status --unix-socket "$SOCK" http://w/health)" 200 "wardend still answers after the framing attacks"

# ---- item 11: a huge target is refused, no alarm -----------------------------------------------
python3 -c 'import json; print(json.dumps({"component": "examples.reader", "verb": "read", "target": "/" + "a" * 70000}))' >"$OUT/big.json"
expect_eq "$(api_status --unix-socket "$SOCK" --data-binary @"$OUT/big.json" http://w/v1/check)" 400 "a 70 KB target: 400"
expect_stdout_contains '"code":"WD-D016"'
python3 -c 'import json; print(json.dumps({"component": "examples.reader", "queries": [{"verb": "read", "target": "/a"}, {"verb": "read", "target": "/" + "a" * 70000}]}))' >"$OUT/bigbatch.json"
expect_eq "$(api_status --unix-socket "$SOCK" --data-binary @"$OUT/bigbatch.json" http://w/v1/check/batch)" 400 "a batch with a 70 KB target: 400"
expect_stdout_contains '"code":"WD-D016"'
expect_eq "$(api_status --unix-socket "$SOCK" http://w/metrics)" 200 "metrics"
expect_stdout_contains 'warden_audit_write_errors_total{tenant="demo"} 0'
expect_eq "$(api_status --unix-socket "$SOCK" http://w/ready)" 200 "still ready: no audit alarm was raised"

# ---- item 10: a flood of idle connections does not keep a good client out ---------------------
cat >"$OUT/flood.py" <<'EOF'
# flood.py unix|tcp ADDR N READY: opens N idle connections (nothing sent), writes how many to
# READY, holds them until 20 s have passed or the server closed them all.
import socket, sys, time
kind, addr, n, ready = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
socks = []
for _ in range(n):
    try:
        if kind == "unix":
            s = socket.socket(socket.AF_UNIX)
            s.connect(addr)
        else:
            s = socket.create_connection(("127.0.0.1", int(addr)), timeout=5)
        socks.append(s)
    except OSError:
        pass
open(ready, "w").write("%d\n" % len(socks))
deadline = time.monotonic() + 20
for s in socks:
    s.setblocking(False)
while socks and time.monotonic() < deadline:
    for s in list(socks):
        try:
            if s.recv(4096) == b"":
                socks.remove(s)
        except BlockingIOError:
            pass
        except OSError:
            socks.remove(s)
    time.sleep(0.1)
EOF
flood() { # VIA ADDR
    rm -f "$OUT/flood-ready"
    python3 "$OUT/flood.py" "$1" "$2" 300 "$OUT/flood-ready" &
    FLOOD=$!
    BGPIDS+=("$FLOOD")
    for _ in $(seq 200); do
        [ -s "$OUT/flood-ready" ] && break
        sleep 0.05
    done
    expect_eq "$(cat "$OUT/flood-ready" 2>/dev/null)" 300 "300 idle connections opened ($1)"
}
flood unix "$SOCK"
# The good client is the same user: even its own idle connections must not keep it out.
expect_eq "$(api_status -m 10 --unix-socket "$SOCK" http://w/v1/components)" 200 \
    "the Unix socket answers a client during a flood of 300 idle connections"
kill "$FLOOD" 2>/dev/null
wait "$FLOOD" 2>/dev/null
flood tcp "$PORT"
expect_eq "$(api_status -m 10 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/v1/components")" 200 \
    "TCP answers the token client during a flood of 300 idle connections"
expect_eq "$(api_status -m 10 --unix-socket "$SOCK" http://w/metrics)" 200 "metrics during the flood"
displaced=$(awk '/^warden_http_refused_total\{reason="displaced"\}/ {print $2}' "$WD_OUT")
[ "${displaced:-0}" -gt 0 ]
wd_check $? "idle connections were displaced to make room (${displaced:-none})"
kill "$FLOOD" 2>/dev/null
wait "$FLOOD" 2>/dev/null
kill -0 "$WPID"
wd_check $? "wardend is alive after the floods"

finish
