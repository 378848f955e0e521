#!/usr/bin/python3
"""pyfetch: an ordinary stdlib-only Python script that knows nothing of warden.

It reads the files and fetches the URLs its input lists, with open() and urllib, and reports
what each one gave, the exception included. Under warden every open and connect is decided by
the policy; a refusal reaches the script as the usual PermissionError or URLError, so it runs
confined unchanged.

Input (JSON on stdin): {"read": ["data/notes/hello.txt", ...], "fetch": ["http://host:port/path", ...]}
Output (JSON on stdout): {"results": [{"op", "target", "ok", "content" or "error"}, ...]};
exit status 1 if any of them failed.
"""
import json
import sys
import urllib.request


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode("utf-8", "replace")


def main():
    request = json.load(sys.stdin)
    results = []
    for op, action in (("read", read), ("fetch", fetch)):
        for target in request.get(op, []):
            try:
                results.append({"op": op, "target": target, "ok": True, "content": action(target)})
            except Exception as e:  # the point is to report whatever the system said
                results.append({"op": op, "target": target, "ok": False,
                                "error": f"{type(e).__name__}: {e}"})
    # JSON, one result a line so that a person can read it too
    print('{"results": [\n ' + ",\n ".join(json.dumps(r) for r in results) + "\n]}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
