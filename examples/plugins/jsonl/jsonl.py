#!/usr/bin/python3
"""jsonl: a long-lived stdlib-only Python program speaking JSON lines.

Each line on stdin is one request, {"text": "..."}; each answer is one line on stdout, flushed
at once. The process stays up between calls (a warm instance), so state such as the call count
survives from one call to the next, and the interpreter starts only once.
"""
import json
import os
import sys


def main():
    calls = 0
    for line in sys.stdin:
        calls += 1
        try:
            text = json.loads(line).get("text", "")
            answer = {"words": len(str(text).split()), "call": calls, "pid": os.getpid()}
        except (ValueError, AttributeError) as e:
            answer = {"error": f"not a JSON object: {e}", "call": calls, "pid": os.getpid()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
