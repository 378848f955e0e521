#!/usr/bin/env python3
"""mcp_client.py: a scripted MCP client over stdio, for tests/integration/wardend_mcp.sh.

    python3 mcp_client.py [--timeout S] -- SERVER [ARGS...] <STEPS

Spawns SERVER, sends one step per line of STEPS and prints, one line each, what came back:
the response to a request, or null for a step that expects none (a notification). After the
last step it closes the server's stdin (the stdio shutdown) and prints a summary line
{"exit": N, "unexpected": [...], "timeout": bool}: the server's exit status, and every message
that answered no step (a reply to a notification would be one). The server's stderr is passed
through, so the caller sees its logs and any sanitizer report. Exit status: 0 when every step
was answered in time, 1 otherwise, 2 usage.

A step is a JSON object:
    {"send": MESSAGE}                 a message; with an "id" the response to that id is awaited
    {"send": MESSAGE, "modern": true} the same, with params._meta carrying protocol 2026-07-28
    {"raw": TEXT}                     TEXT as one line (not JSON, say); one response awaited
    {"raw_hex": HEX}                  those bytes as one line; one response awaited
    {"big": N}                        a line of N bytes; one response awaited
    {"batch": [MESSAGE, ...]}         the messages as one JSON-RPC batch (2025-03-26); the
                                      array that answers it is awaited
The library part (McpClient) speaks the protocol the way a real client does: initialize with
protocolVersion, capabilities and clientInfo, then notifications/initialized.
"""

import json
import os
import select
import subprocess
import sys
import time

PROTOCOL = "2026-07-28"
LEGACY = "2025-11-25"
CLIENT_INFO = {"name": "warden-it-mcp-client", "version": "1.0.0"}


class Timeout(Exception):
    pass


class McpClient:
    """One server process and newline-delimited JSON-RPC over its stdin and stdout."""

    def __init__(self, argv, timeout=60.0):
        self.timeout = timeout
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.buf = b""
        self.unexpected = []
        self.next_id = 1

    def write_line(self, data):
        if b"\n" in data:
            raise ValueError("a message is one line")
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def send(self, message):
        self.write_line(json.dumps(message, separators=(",", ":")).encode())

    def read_message(self):
        """The next line from the server as JSON (a line that is not JSON is an error)."""
        deadline = time.monotonic() + self.timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout()
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise EOFError("the server closed its stdout")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def response_to(self, want_id):
        """Reads until the response with want_id (None: any response); others are kept."""
        while True:
            msg = self.read_message()
            if "method" not in msg and (want_id is None or msg.get("id") == want_id):
                return msg
            self.unexpected.append(msg)

    def batch_response(self):
        """Reads until a batch's answer (a JSON array); other messages are kept."""
        while True:
            msg = self.read_message()
            if isinstance(msg, list):
                return msg
            self.unexpected.append(msg)

    def request(self, method, params=None, modern=False):
        rid = self.next_id
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None or modern:
            msg["params"] = with_meta(params or {}) if modern else params
        self.send(msg)
        return self.response_to(rid)

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def initialize(self, version=LEGACY):
        result = self.request("initialize", {"protocolVersion": version, "capabilities": {},
                                             "clientInfo": CLIENT_INFO})
        self.notify("notifications/initialized")
        return result

    def close(self):
        """Closes the server's stdin and waits for it to exit; returns its status."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            rest = self.proc.stdout.read()
        finally:
            status = self.proc.wait(timeout=self.timeout)
        for line in (self.buf + rest).split(b"\n"):
            if line.strip():
                self.unexpected.append(json.loads(line))
        return status


def with_meta(params):
    params = dict(params)
    meta = dict(params.get("_meta", {}))
    meta.setdefault("io.modelcontextprotocol/protocolVersion", PROTOCOL)
    meta.setdefault("io.modelcontextprotocol/clientCapabilities", {})
    meta.setdefault("io.modelcontextprotocol/clientInfo", CLIENT_INFO)
    params["_meta"] = meta
    return params


def run_step(client, step):
    if "send" in step:
        msg = dict(step["send"])
        if step.get("modern"):
            msg["params"] = with_meta(msg.get("params", {}))
        client.send(msg)
        return client.response_to(msg["id"]) if "id" in msg else None
    if "batch" in step:
        client.send(step["batch"])
        return client.batch_response()
    if "raw" in step:
        client.write_line(step["raw"].encode())
    elif "raw_hex" in step:
        client.write_line(bytes.fromhex(step["raw_hex"]))
    elif "big" in step:
        client.write_line(b'{"pad":"' + b"x" * int(step["big"]) + b'"}')
    else:
        raise ValueError("unknown step %r" % step)
    return client.response_to(None)


def main(argv):
    timeout = 60.0
    args = argv[1:]
    if args[:1] == ["--timeout"] and len(args) > 1:
        timeout = float(args[1])
        args = args[2:]
    if args[:1] != ["--"] or len(args) < 2:
        sys.stderr.write("usage: mcp_client.py [--timeout S] -- SERVER [ARGS...] <STEPS\n")
        return 2
    client = McpClient(args[1:], timeout)
    ok = True
    timed_out = False
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            print(json.dumps(run_step(client, json.loads(line))), flush=True)
    except Timeout:
        ok, timed_out = False, True
        client.proc.kill()
    except (EOFError, BrokenPipeError) as e:
        sys.stderr.write("mcp_client: %s\n" % e)
        ok = False
    status = client.close() if not timed_out else client.proc.wait()
    print(json.dumps({"exit": status, "unexpected": client.unexpected, "timeout": timed_out}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
