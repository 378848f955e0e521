"""ReadFetch: a warden Python handler that touches the world with the plain standard library.

It reads files with open() and fetches URLs with urllib, knowing nothing of warden's policy:
the sandbox decides every open and connect. What the policy refuses reaches the handler as the
usual PermissionError (for a connection, a URLError whose reason is one), which it reports as a
warden.HandlerError("denied", ...) naming what was refused.

Input: {"read": ["notes/hello.txt", ...], "fetch": ["http://127.0.0.1:18082/path", ...]}.
A file name is taken relative to the data directory (config data_dir, by default "data" in the
working directory, the contract's directory); an absolute one is used as it is, and the policy
decides. Result: {"files": {name: text}, "fetched": {url: {"status", "body"}}}.
"""
import os
import urllib.error
import urllib.request

import warden

BODY_MAX = 64 * 1024


def denied(what, err):
    return warden.HandlerError("denied", f"{what} was refused by the policy ({err})")


class ReadFetch:
    def initialize(self, config):
        config = config if isinstance(config, dict) else {}
        self.data_dir = str(config.get("data_dir", "data"))
        self.timeout = float(config.get("timeout", 5))

    def read(self, name):
        path = os.path.join(self.data_dir, name)
        try:
            with open(path, encoding="utf-8") as f:
                return f.read()
        except PermissionError as e:
            raise denied(f"reading {name}", e.strerror or e) from None
        except OSError as e:
            raise warden.HandlerError("read_failed", f"cannot read {name}: {e.strerror or e}") from None

    def fetch(self, url):
        if not url.startswith("http://"):
            raise warden.HandlerError("bad_input", f"{url}: only plain http:// URLs are fetched")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as r:
                return {"status": r.status, "body": r.read(BODY_MAX).decode("utf-8", "replace")}
        except urllib.error.HTTPError as e:  # the server answered: that is a result
            return {"status": e.code, "body": e.read(BODY_MAX).decode("utf-8", "replace")}
        except urllib.error.URLError as e:
            if isinstance(e.reason, PermissionError):
                raise denied(f"connecting for {url}", e.reason.strerror or e.reason) from None
            raise warden.HandlerError("fetch_failed", f"{url}: {e.reason}") from None
        except PermissionError as e:
            raise denied(f"connecting for {url}", e.strerror or e) from None

    def execute(self, input):
        if not isinstance(input, dict):
            raise warden.HandlerError("bad_input", 'the input is {"read": [...], "fetch": [...]}')
        reads, fetches = input.get("read", []), input.get("fetch", [])
        if not all(isinstance(x, str) for x in reads + fetches):
            raise warden.HandlerError("bad_input", "read and fetch are lists of strings")
        result = {"files": {n: self.read(n) for n in reads},
                  "fetched": {u: self.fetch(u) for u in fetches}}
        warden.log(f"read {len(reads)} files, fetched {len(fetches)} URLs")
        return result

    def describe(self):
        return {
            "name": "examples.pyreadfetch",
            "type": "effect",
            "input": {"read": ["file under the data directory"], "fetch": ["http:// URL"]},
            "output": {"files": {"name": "text"}, "fetched": {"url": {"status": 200, "body": "text"}}},
        }

    def shutdown(self):
        pass
