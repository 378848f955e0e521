"""warden: what a Python handler running under warden may ask of its host.

A handler (``runtime: python`` in its contract) is an ordinary class with ``initialize(config)``,
``execute(input)``, ``describe()`` and ``shutdown()``. It needs nothing from this module to
work: ``open()``, ``socket`` and ``urllib`` reach files and hosts through warden's broker, which
decides every access against the component's policy and records it in the audit log. This
module adds the few things only the host can give:

- ``HandlerError(code, message)``: fail a call cleanly. The call ends with WD-S011 and the
  caller sees ``CODE: message``, without a traceback.
- ``log(message, level="info")``: a line in the host's audit log (a ``PLUGIN_LOG`` record of
  the call). ``print()`` goes there too: a handler's standard output is its log, never its
  answer.
- ``Denied``: a ``PermissionError`` that says what warden refused and how an operator can let
  exactly that operation through once (``warden override approve``, docs/overrides.md).
- ``resource(path)``: the bytes of a file of the handler's own tree, exactly as they were
  checked against the contract's ``sha256`` (reading the file by path goes to the disk, through
  the broker, and may find other bytes).
- ``component()``: the component id, as the contract names it.

It is part of warden and importable inside the sandbox whatever the handler tree holds; it
uses the standard library only. Outside warden (in a handler's own unit tests, say) it imports
too: ``log`` writes to standard error and ``resource`` reads beside the handler.
"""

import os
import sys

__all__ = ["HandlerError", "Denied", "log", "resource", "component", "operation_id"]

# Set by warden's bootstrap when it loads a handler: the component id and the checked files.
_component = None
_files = None
_root = None

_LEVELS = ("debug", "info", "warning", "error")
_LINE_MAX = 4000


class HandlerError(Exception):
    """A clean failure of the call: ``raise warden.HandlerError("not_found", "no such user")``.

    ``code`` is the handler's own short name for the failure (1-64 of ``A-Za-z0-9_.-``); the
    call fails with WD-S011 and the message ``CODE: MESSAGE``. Any other exception fails the
    call the same way with its type and message, and its traceback goes to the log.
    """

    def __init__(self, code, message=""):
        code = str(code)
        if not (1 <= len(code) <= 64) or not all(c.isascii() and (c.isalnum() or c in "_.-")
                                                 for c in code):
            raise ValueError("a HandlerError code is 1-64 of A-Za-z0-9_.-")
        super().__init__(code, str(message))
        self.code = code
        self.message = str(message)

    def __str__(self):
        return f"{self.code}: {self.message}" if self.message else self.code


def component():
    """The id of the component this handler runs as (None outside warden)."""
    return _component


def operation_id(verb, target):
    """The id warden gives one operation: the first 128 bits of SHA-256 over the component, the
    verb and the target (each NUL-terminated), in hex, as ``warden override id`` computes it.
    ``verb`` is ``read``, ``write``, ``create``, ``delete``, ``execute``, ``connect`` or
    ``env``; ``target`` an absolute path, ``host:port`` or a variable name."""
    import hashlib

    h = hashlib.sha256()
    for part in (_component or "", verb, target):
        h.update(str(part).encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()[:32]


class Denied(PermissionError):
    """warden refused an access: a ``PermissionError`` (``errno.EACCES``) that names it.

    The broker answers a refused ``open()`` or ``connect()`` with the ordinary error, so
    handlers written for any host keep working. What the broker knows beyond that (the rule
    that decided) is in the call's ``BROKER_DECISION`` audit record, not in the process. This
    class says what was refused and the operation id an operator approves
    (``warden override approve --operation ID``); the next identical request is then let
    through once. ``operation`` is computed as the broker computes it for ``verb`` and
    ``target``: for a path reached through a symbolic link, the broker decides (and names) the
    path it really reached, and the audit record has that id.

        try:
            data = open(path).read()
        except PermissionError as e:
            raise warden.Denied.from_error(e, "read") from e
    """

    def __init__(self, verb, target, detail=None):
        self.verb = str(verb)
        self.target = str(target)
        self.operation = operation_id(self.verb, self.target)
        text = (f"warden refused {self.verb} {self.target} (operation {self.operation}): "
                "the call's BROKER_DECISION audit record names the rule; an operator can let "
                f"this operation through once with warden override approve --operation "
                f"{self.operation}")
        if detail:
            text += f" [{detail}]"
        super().__init__(13, text, self.target)  # errno.EACCES

    def __str__(self):
        return self.strerror

    @classmethod
    def from_error(cls, error, verb="read", target=None):
        """A Denied for a PermissionError raised by ``open()`` (the path made absolute as the
        broker sees it, against the working directory) or by ``socket.connect()`` (pass
        ``verb="connect"`` and ``target="host:port"``)."""
        if target is None:
            target = getattr(error, "filename", None) or "?"
            if verb != "connect" and isinstance(target, (str, bytes, os.PathLike)):
                target = os.path.normpath(os.path.join(os.getcwd(), os.fsdecode(target)))
        return cls(verb, target, detail=getattr(error, "strerror", None))


def log(message, level="info"):
    """One line per line of ``message`` in the call's log (``PLUGIN_LOG`` records; the host
    keeps at most 64 a call, 4 KiB each). ``level`` is one of debug, info, warning, error and
    is written at the start of each line."""
    level = level if level in _LEVELS else "info"
    for line in str(message).splitlines() or [""]:
        data = f"{level}: {line[:_LINE_MAX]}\n".encode("utf-8", "backslashreplace")
        while data:
            try:
                n = os.write(2, data)
            except InterruptedError:
                continue
            except OSError:
                return
            data = data[n:]


def resource(path):
    """The bytes of ``path`` (relative to the handler root, '/'-separated) as they were checked
    against the contract's sha256 when the handler was loaded. FileNotFoundError for a path
    that is not in the tree (files ending .pyc and __pycache__ directories never are)."""
    rel = str(path).lstrip("/")
    if _files is None:
        base = _root or os.path.dirname(os.path.abspath(sys.argv[0] or "."))
        with open(os.path.join(base, rel), "rb") as f:
            return f.read()
    try:
        return _files[rel]
    except KeyError:
        raise FileNotFoundError(2, "not in the handler tree", rel) from None
