"""WordStats: a warden Python handler that computes from its input alone.

Input: {"text": "...", "top": N (optional)}. Result: {"words", "lines", "characters", "top":
[[word, count], ...], "calls"}. It opens no file and no connection, so its policy grants nothing;
under `lifecycle: warm` the same object serves every call, which "calls" shows.
"""
import collections
import re

import warden

WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")


class WordStats:
    def initialize(self, config):
        self.top = int(config.get("top", 5)) if isinstance(config, dict) else 5
        if self.top < 0:
            raise warden.HandlerError("bad_config", "config.top must be 0 or more")
        self.calls = 0

    def execute(self, input):
        if not isinstance(input, dict) or not isinstance(input.get("text"), str):
            raise warden.HandlerError("bad_input", 'the input is {"text": "...", "top": N}')
        top = input.get("top", self.top)
        if not isinstance(top, int) or isinstance(top, bool) or top < 0:
            raise warden.HandlerError("bad_input", "top must be a whole number, 0 or more")
        self.calls += 1
        text = input["text"]
        words = [w.lower() for w in WORD.findall(text)]
        counts = collections.Counter(words)
        # most frequent first, ties in alphabetical order, so the answer never depends on the
        # order the words came in
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
        return {
            "words": len(words),
            "lines": len(text.splitlines()),
            "characters": len(text),
            "top": [[word, n] for word, n in ranked],
            "calls": self.calls,
        }

    def describe(self):
        return {
            "name": "examples.pywords",
            "type": "compute",
            "input": {"text": "string", "top": "integer (optional)"},
            "output": {"words": "integer", "lines": "integer", "characters": "integer",
                       "top": "[[word, count], ...]", "calls": "integer"},
        }

    def shutdown(self):
        warden.log(f"wordstats served {self.calls} calls")
