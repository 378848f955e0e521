#!/usr/bin/env python3
"""process_differential.py: what `warden check` says about a read equals what an unmodified
program observes when it tries the read as a process plugin under the same policy.

    process_differential.py WARDEN WORKDIR [--seed N] [--policies N] [--paths N]

For each of N random policies (allow and deny rules over a small tree: plain files, a denied
glob, nested directories, an absolute rule), N random paths are asked of
`warden check --policy P --batch -` and read by three plugins: `cat` (the system's, called by
a shell loop), the shell's own redirection (`read line <PATH`, no other program) and Python's
open(). Each plugin prints, per path, what it got: the file's content (allow) or the error
its runtime reported (deny must be "Permission denied"). Every (policy, path) pair must agree
across all four; anything else is printed and the exit status is 1. Fixed seed, so a failure
reproduces. Exit 2: the setup itself failed.
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys

FILES = [
    "data/a.txt", "data/b.secret", "data/readme", "data/sub/c.txt", "data/sub/d.secret",
    "data/sub/x.log", "data/sub/deep/e.txt", "data/sub/deep/f.log", "data/sub/deep/g.secret",
    "data/other/h.key", "data/other/i.txt", "data/other/nested/j.txt",
]
# Outside the tree: never granted by any rule below, so always denied.
OUTSIDE = ["/etc/shadow", "/etc/hostname"]
GLOBS = [
    "data/**", "data/*", "data/*.txt", "data/**/*.txt", "data/sub/**", "data/sub/*",
    "data/sub/deep/**", "data/other/**", "data/**/*.secret", "data/**/*.log",
    "data/sub/deep/e.txt", "data/a.txt", "data/**/deep/**", "data/*/c.txt", "data/**/h.key",
]
ACCESS = [["read"], ["read"], ["read", "write"], ["write"], ["read", "create"]]

# One line a path: "PATH<TAB>OK<TAB>first line" or "PATH<TAB>ERR<TAB>the runtime's message".
CAT_SH = r"""#!/bin/sh
# The system's cat, unmodified, once a path; its own error message kept.
while IFS= read -r p; do
    [ -n "$p" ] || continue
    if out=$(cat -- "$p" 2>&1); then
        printf '%s\tOK\t%s\n' "$p" "$out"
    else
        printf '%s\tERR\t%s\n' "$p" "$out"
    fi
done
"""
READ_SH = r"""#!/bin/sh
# No program but the shell: its own redirection opens the file.
while IFS= read -r p; do
    [ -n "$p" ] || continue
    if out=$( { IFS= read -r line <"$p" && printf '%s' "$line"; } 2>&1); then
        printf '%s\tOK\t%s\n' "$p" "$out"
    else
        printf '%s\tERR\t%s\n' "$p" "$out"
    fi
done
"""
OPEN_PY = r"""#!/usr/bin/python3
import sys
for p in sys.stdin.read().split("\n"):
    if not p:
        continue
    try:
        with open(p) as f:
            print(p, "OK", f.readline().rstrip("\n"), sep="\t")
    except OSError as e:
        print(p, "ERR", str(e), sep="\t")
"""
PROGRAMS = {  # name: (file, source, interpreter, runtime roots)
    "cat": ("cat.sh", CAT_SH, "/bin/sh", "[/usr/bin]"),
    "sh": ("read.sh", READ_SH, "/bin/sh", "[]"),
    "python3": ("open.py", OPEN_PY, "/usr/bin/python3", "[/usr/lib/python3, /usr/lib/python3.11]"),
}


def content(rel):
    return "content of " + rel


def setup(root):
    for rel in FILES:
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(content(rel) + "\n")
    for name, (file, source, interp, roots) in PROGRAMS.items():
        with open(os.path.join(root, file), "w") as f:
            f.write(source)
        os.chmod(os.path.join(root, file), 0o755)
        digest = hashlib.sha256(source.encode()).hexdigest()
        with open(os.path.join(root, "contract-%s.yaml" % name), "w") as f:
            f.write(
                "name: tests.diff_%s\ntype: effect\nversion: 1.0.0\nruntime: process\n"
                "program: %s\nsha256: %s\ninterpreter: %s\nprotocol: stdio\n"
                "runtime_roots: %s\nsecurity: {level: OFFICIAL}\npolicy: policy.yaml\n"
                % (name.replace("3", ""), file, digest, interp, roots))


def random_policy(rng, root):
    """YAML text of a random policy, and a one-line summary of it."""
    def rule(glob):
        uri = "fs://" + glob
        if rng.random() < 0.15:  # now and then an absolute rule for the same tree
            uri = "fs://" + os.path.join(root, glob)
        return {"uri": uri, "access": rng.choice(ACCESS)}

    allow = [rule(g) for g in rng.sample(GLOBS, rng.randint(1, 4))]
    deny = [rule(g) for g in rng.sample(GLOBS, rng.randint(0, 3))]
    storage = {"allow": allow}
    if deny:
        storage["deny"] = deny
    text = 'version: "1.0"\npermissions:\n  storage:\n'
    for kind, rules in storage.items():
        text += "    %s:\n" % kind
        for r in rules:
            text += "      - {uri: %s, access: [%s]}\n" % (json.dumps(r["uri"]), ", ".join(r["access"]))
    text += '  resources:\n    limits: {timeout: "20s", memory: "256Mi", open_files: 64}\n'
    summary = "; ".join("%s %s %s" % (k, r["uri"].replace(root + "/", ""), "+".join(r["access"]))
                        for k, rules in storage.items() for r in rules)
    return text, summary


def check(warden, policy, paths):
    """{path: allow|deny} from warden check --batch."""
    batch = "".join("read %s\n" % p for p in paths)
    r = subprocess.run([warden, "check", "--policy", policy, "--batch", "-"], input=batch,
                       capture_output=True, text=True, timeout=60)
    lines = r.stdout.splitlines()
    if r.returncode not in (0, 1) or len(lines) != len(paths):
        raise RuntimeError("warden check: exit %d: %s%s" % (r.returncode, r.stdout, r.stderr))
    return {p: line.split()[0] for p, line in zip(paths, lines)}


def observe(warden, root, name, paths):
    """{path: allow|deny|other: ...} from what the plugin printed."""
    r = subprocess.run([warden, "run", os.path.join(root, "contract-%s.yaml" % name), "--json",
                        "--input", "".join(p + "\n" for p in paths)],
                       capture_output=True, text=True, timeout=60)
    try:
        res = json.loads(r.stdout)
    except ValueError:
        raise RuntimeError("warden run %s: exit %d: %s %s" % (name, r.returncode, r.stdout, r.stderr))
    if not res["ok"]:
        raise RuntimeError("warden run %s failed: %s %s" % (name, res["code"], res["message"]))
    seen = {}
    for line in res["output"].splitlines():
        path, status, text = (line.split("\t", 2) + ["", ""])[:3]
        rel = os.path.relpath(path, root)
        if status == "OK" and text == content(rel):
            seen[path] = "allow"
        elif status == "ERR" and "Permission denied" in text:
            seen[path] = "deny"
        else:
            seen[path] = "other: %s %s" % (status, text)
    return seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("warden")
    ap.add_argument("workdir")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--policies", type=int, default=20)
    ap.add_argument("--paths", type=int, default=10)
    a = ap.parse_args()
    root = os.path.realpath(a.workdir)
    rng = random.Random(a.seed)
    try:
        setup(root)
    except OSError as e:
        print("setup: %s" % e)
        return 2
    universe = [os.path.join(root, f) for f in FILES] + OUTSIDE
    pairs = mismatches = 0
    verdicts = {"allow": 0, "deny": 0}
    for i in range(a.policies):
        text, summary = random_policy(rng, root)
        with open(os.path.join(root, "policy.yaml"), "w") as f:
            f.write(text)
        paths = rng.sample(universe, a.paths)
        try:
            want = check(a.warden, os.path.join(root, "policy.yaml"), paths)
            got = {name: observe(a.warden, root, name, paths) for name in PROGRAMS}
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            print("policy %d (%s): %s" % (i, summary, e))
            return 2
        for p in paths:
            pairs += 1
            verdicts[want[p]] = verdicts.get(want[p], 0) + 1
            seen = {name: got[name].get(p, "missing") for name in PROGRAMS}
            if any(v != want[p] for v in seen.values()):
                mismatches += 1
                print("MISMATCH policy %d [%s] read %s: warden check says %s; %s" % (
                    i, summary, p.replace(root + "/", ""), want[p],
                    ", ".join("%s %s" % kv for kv in seen.items())))
    print("%d pairs (%d allowed, %d denied), %d policies, seed %d: %d mismatches" % (
        pairs, verdicts["allow"], verdicts["deny"], a.policies, a.seed, mismatches))
    if verdicts["allow"] == 0 or verdicts["deny"] == 0:
        print("the sample never saw one of the verdicts: it proves nothing")
        return 1
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
