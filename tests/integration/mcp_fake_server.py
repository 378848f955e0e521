#!/usr/bin/python3
"""mcp_fake_server.py: a small stdio MCP server for the tests, well-behaved or hostile.

Run as a process plugin (protocol: mcp) with one argument, the mode:
  good            serves eight tools: echo, read (reads a file), count (calls so far, and the
                  pid: state survives between calls of a warm server), fail (a result with
                  isError), boom (a JSON-RPC error answer), die (exits mid-call), garbage
                  (answers a line that is not JSON) and hang (never answers); logs along the
                  way
  bad-json        answers tools/call with a line that is not JSON
  wrong-jsonrpc   answers tools/call with jsonrpc "1.0"
  wrong-id        answers tools/call with an id warden never sent
  batch           answers tools/call with a JSON array
  flood           sends 5000 notifications before answering tools/call
  silent          never answers tools/call
  mute            never answers anything, not even initialize
  exit            exits in the middle of tools/call
  huge-tools      lists 5000 tools
  bad-name        lists a tool whose name has a space
  dup-name        lists one tool twice
  asks            asks warden for sampling, roots/list and ping before answering tools/call
  ask-flood       asks warden 100 times before answering tools/call
  old-version     answers initialize with a revision warden does not speak
  refuse-init     answers initialize with a JSON-RPC error
  paged           lists its tools over three pages (nextCursor)
Only the standard library; every line flushed.
"""
import json
import os
import sys

MODE = sys.argv[1] if len(sys.argv) > 1 else "good"
CALLS = 0


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def raw(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def tool(name, desc="a tool"):
    return {"name": name, "description": desc,
            "inputSchema": {"type": "object", "properties": {"path": {"type": "string"}}}}


GOOD_TOOLS = [tool("echo", "echoes its arguments"), tool("read", "reads a file"),
              tool("count", "counts its calls"), tool("fail", "always fails"),
              tool("boom", "answers with a JSON-RPC error"), tool("die", "exits mid-call"),
              tool("bye", "answers, then exits between calls"),
              tool("garbage", "answers with a line that is not JSON"),
              tool("hang", "never answers")]


def tools_page(params):
    if MODE == "huge-tools":
        return {"tools": [tool("t%d" % i) for i in range(5000)]}
    if MODE == "bad-name":
        return {"tools": [tool("echo"), tool("bad name")]}
    if MODE == "dup-name":
        return {"tools": [tool("echo"), tool("echo")]}
    if MODE == "paged":
        cursor = (params or {}).get("cursor")
        page = {None: 0, "p1": 1, "p2": 2}[cursor]
        out = {"tools": [GOOD_TOOLS[page]]}
        if page < 2:
            out["nextCursor"] = "p%d" % (page + 1)
        return out
    return {"tools": GOOD_TOOLS}


def call(rid, params):
    global CALLS
    CALLS += 1
    name = params.get("name")
    args = params.get("arguments", {})
    if MODE == "bad-json":
        return raw('{"jsonrpc": "2.0", "id": %d, "result": {' % rid)
    if MODE == "wrong-jsonrpc":
        return send({"jsonrpc": "1.0", "id": rid, "result": {"content": []}})
    if MODE == "wrong-id":
        return send({"jsonrpc": "2.0", "id": rid + 1000, "result": {"content": []}})
    if MODE == "batch":
        return send([{"jsonrpc": "2.0", "id": rid, "result": {"content": []}}])
    if MODE == "flood":
        for i in range(5000):
            send({"jsonrpc": "2.0", "method": "notifications/progress",
                  "params": {"progressToken": 1, "progress": i}})
    if MODE == "silent":
        return
    if MODE == "exit":
        sys.stdout.write('{"jsonrpc": "2.0", "id": %d, "res' % rid)
        sys.stdout.flush()
        os._exit(3)
    if MODE == "asks":
        send({"jsonrpc": "2.0", "id": "s1", "method": "sampling/createMessage", "params": {}})
        send({"jsonrpc": "2.0", "id": 7, "method": "roots/list"})
        send({"jsonrpc": "2.0", "id": "p", "method": "ping"})
        answers = [json.loads(sys.stdin.readline()) for _ in range(3)]
        text = json.dumps(answers, sort_keys=True)
        return send({"jsonrpc": "2.0", "id": rid,
                     "result": {"content": [{"type": "text", "text": text}]}})
    if MODE == "ask-flood":
        for i in range(100):
            send({"jsonrpc": "2.0", "id": 1000 + i, "method": "roots/list"})
    send({"jsonrpc": "2.0", "method": "notifications/message",
          "params": {"level": "info", "logger": "fake", "data": "calling %s" % name}})
    if name == "echo":
        result = {"content": [{"type": "text", "text": json.dumps(args, sort_keys=True)}]}
    elif name == "read":
        try:
            with open(args["path"]) as f:
                result = {"content": [{"type": "text", "text": f.read()}]}
        except OSError as e:
            result = {"content": [{"type": "text", "text": "%s: %s" % (type(e).__name__, e)}],
                      "isError": True}
    elif name == "count":
        result = {"content": [{"type": "text", "text": "%d %d" % (CALLS, os.getpid())}]}
    elif name == "fail":
        result = {"content": [{"type": "text", "text": "it failed, as asked"}], "isError": True}
    elif name == "die":
        os._exit(4)
    elif name == "bye":
        send({"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": "bye"}]}})
        os._exit(0)
    elif name == "garbage":
        return raw("this is not JSON")
    elif name == "hang":
        return
    elif name == "boom":
        return send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32000, "message": "boom"}})
    else:
        return send({"jsonrpc": "2.0", "id": rid,
                     "error": {"code": -32602, "message": "unknown tool %s" % name}})
    send({"jsonrpc": "2.0", "id": rid, "result": result})


def main():
    for line in sys.stdin:
        if MODE == "mute":  # never answers anything, not even initialize
            continue
        msg = json.loads(line)
        method, rid, params = msg.get("method"), msg.get("id"), msg.get("params")
        if method == "initialize":
            if MODE == "refuse-init":
                send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": "no"}})
                continue
            version = "1999-01-01" if MODE == "old-version" else params["protocolVersion"]
            send({"jsonrpc": "2.0", "id": rid, "result": {
                "protocolVersion": version, "capabilities": {"tools": {"listChanged": True},
                                                             "logging": {}},
                "serverInfo": {"name": "fake-" + MODE, "version": "1.2.3"}}})
        elif method == "notifications/initialized":
            print("initialized", file=sys.stderr, flush=True)
        elif method == "tools/list":
            send({"jsonrpc": "2.0", "id": rid, "result": tools_page(params)})
        elif method == "tools/call":
            call(rid, params)
        elif rid is not None:
            send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "no"}})


main()
