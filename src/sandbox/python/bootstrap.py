"""warden's Python handler bootstrap (runtime: python; docs/plugins.md, "Python handlers").

warden runs this script, embedded in its library and served from memory, with the contract's
interpreter in isolated mode (-I -S -B: no user site, no site-packages, no environment, no
bytecode written), confined like any process plugin: every open and connect is decided by the
broker against the component's policy and recorded.

The protocol is one line in, one line out, on private duplicates of the host's stdin and
stdout. Descriptor 1 is pointed at stderr (so print() is a log line, never an answer) and
descriptor 0 at /dev/null. Every answer is one JSON object:
{"ok": true, "output": TEXT, "seq": N} or {"ok": false, "code": "WD-Snnn", "message": TEXT,
"seq": N}, N the number of the request answered (0 for the load line).

1. The load line: the handler class, the lifecycle, the operator config, the component id, the
   `warden` module's source and every file of the handler tree (base64), as checked against
   the contract's sha256. The handler's modules are imported from those bytes only, by a
   meta-path finder, never from the disk; each module's __file__ is its path under the handler
   root. The answer is describe()'s result (WD-S018 when the module raised on import or the
   class or a method is missing, WD-S019 when a method is async, WD-S010 when the handler
   refused to start).
2. Each call line: the input (JSON). lifecycle fresh: a child forked from this process (the
   zygote, its imports done) builds the handler, initialize(config), execute(input),
   shutdown(), hands the answer to the zygote over a pipe and exits; it never holds the
   protocol's descriptors. lifecycle warm: one handler object, initialize(config) once,
   execute(input) per call, shutdown() when the host closes the protocol.
"""

import base64
import json
import os
import select
import signal
import sys
import traceback
import types
from importlib.machinery import ModuleSpec

METHODS = ("initialize", "execute", "describe", "shutdown")
MESSAGE_MAX = 400
CHILD_ANSWER_MAX = 64 << 20


def _bounded(text):
    text = " ".join(str(text).split())
    return text if len(text) <= MESSAGE_MAX else text[:MESSAGE_MAX - 3] + "..."


def _fail(code, message):
    return {"ok": False, "code": code, "message": _bounded(message)}


def _raised(what, exc):
    """The answer for an exception a handler raised: its type and message (the traceback goes to
    the log). A PermissionError is most often warden's broker refusing an access."""
    warden = sys.modules["warden"]
    if isinstance(exc, warden.HandlerError):
        return _fail("WD-S011", f"{exc.code}: {exc.message}")
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    text = f"{what} raised {type(exc).__name__}: {exc}"
    if isinstance(exc, PermissionError) and not isinstance(exc, warden.Denied):
        text += " (refused by the component's policy: the call's BROKER_DECISION records say why)"
    return _fail("WD-S011", text)


def _write_all(fd, data):
    while data:
        try:
            n = os.write(fd, data)
        except InterruptedError:
            continue
        data = data[n:]


def _line(answer):
    return (json.dumps(answer, ensure_ascii=True, separators=(",", ":")) + "\n").encode()


class TreeFinder:
    """Imports the handler's modules from the checked bytes of its tree, and nothing of the
    tree from the disk: a name under one of the tree's packages that the tree does not hold is
    not found, rather than looked for beside it."""

    def __init__(self, root, files):
        self.root = root
        self.files = files

    def _where(self, fullname):
        rel = fullname.replace(".", "/")
        if rel + "/__init__.py" in self.files:
            return rel + "/__init__.py", True
        if rel + ".py" in self.files:
            return rel + ".py", False
        return None, False

    def find_spec(self, fullname, path=None, target=None):
        rel, package = self._where(fullname)
        if rel is None:
            parent = fullname.rpartition(".")[0]
            if parent and parent.replace(".", "/") + "/__init__.py" in self.files:
                raise ModuleNotFoundError(f"no module named {fullname!r} in the handler tree",
                                          name=fullname)
            return None
        spec = ModuleSpec(fullname, self, origin=os.path.join(self.root, rel),
                          is_package=package)
        spec.has_location = True
        if package:
            spec.submodule_search_locations = [os.path.join(self.root, os.path.dirname(rel))]
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        rel = os.path.relpath(module.__spec__.origin, self.root)
        code = compile(self.files[rel], module.__spec__.origin, "exec", dont_inherit=True)
        exec(code, module.__dict__)

    def get_source(self, fullname):
        rel, _ = self._where(fullname)
        return None if rel is None else self.files[rel].decode("utf-8", "replace")

    def is_package(self, fullname):
        return self._where(fullname)[1]


class Runtime:
    def __init__(self, pin, pout):
        self.pin = os.fdopen(pin, "rb", buffering=1 << 16)
        self.pout = pout
        self.cls = None
        self.obj = None
        self.config = {}
        self.warm = False
        self.seq = 0

    def answer(self, answer):
        # The number of the request answered (0: the load): a line the handler wrote on the
        # protocol itself is not the answer to the call in progress, and the host refuses it.
        answer["seq"] = self.seq
        _write_all(self.pout, _line(answer))

    # ---- loading ----------------------------------------------------------------------

    def load(self, msg):
        warden = types.ModuleType("warden")
        warden.__file__ = "<warden>"
        exec(compile(msg["warden"], "<warden>", "exec", dont_inherit=True), warden.__dict__)
        sys.modules["warden"] = warden
        files = {path: base64.b64decode(data) for path, data in msg["files"]}
        root = msg["root"]
        warden._component, warden._files, warden._root = msg["component"], files, root
        self.config = msg.get("config") or {}
        self.warm = msg.get("lifecycle") == "warm"
        sys.meta_path.insert(0, TreeFinder(root, files))
        module_name, _, class_name = msg["handler_class"].rpartition(".")
        try:
            module = __import__(module_name, fromlist=["_"])
        except BaseException as e:  # the module's own code ran and failed
            traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)
            return _fail("WD-S018", f"importing {module_name} raised {type(e).__name__}: {e}")
        cls = getattr(module, class_name, None)
        if not isinstance(cls, type):
            return _fail("WD-S018", f"{module_name} has no class {class_name}")
        import inspect

        for name in METHODS:
            method = getattr(cls, name, None)
            if not callable(method):
                return _fail("WD-S018", f"{msg['handler_class']} has no method {name}()")
            if inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method):
                return _fail("WD-S019", f"{msg['handler_class']}.{name} is async: warden runs "
                             "sync handlers only (def, not async def)")
        threading = sys.modules.get("threading")
        if not self.warm and threading and threading.active_count() > 1:
            # The zygote holds the protocol and forks every call: a thread the module started
            # would live beside it (and die in every fork). A fresh handler imports quietly.
            return _fail("WD-S018", f"importing {module_name} started "
                         f"{threading.active_count() - 1} thread(s): a fresh handler's module "
                         "may not start threads at import (use lifecycle: warm, or start them "
                         "in initialize())")
        self.cls = cls
        if self.warm:
            return self.start_warm()
        return self.in_child(self.describe_once)

    def build(self):
        """A handler object, initialized; None with the answer when it refused."""
        try:
            obj = self.cls()
            obj.initialize(self.config)
        except BaseException as e:
            return None, _raised("initialize()", e) | {"code": "WD-S010"}
        return obj, None

    def describe_of(self, obj):
        try:
            desc = obj.describe()
            return {"ok": True, "output": json.dumps(desc, separators=(",", ":"))}
        except BaseException as e:
            return _raised("describe()", e) | {"code": "WD-S018"}

    def start_warm(self):
        self.obj, failed = self.build()
        return failed or self.describe_of(self.obj)

    def describe_once(self):
        obj, failed = self.build()
        if failed:
            return failed
        answer = self.describe_of(obj)
        self.stop(obj)
        return answer

    @staticmethod
    def stop(obj):
        try:
            obj.shutdown()
        except BaseException as e:
            traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)

    # ---- calls ------------------------------------------------------------------------

    @staticmethod
    def execute(obj, line):
        text = line.strip()
        try:
            value = json.loads(text) if text else None
        except ValueError as e:
            return _fail("WD-S012", f"the input is not JSON: {e}")
        try:
            result = obj.execute(value)
        except BaseException as e:
            return _raised("execute()", e)
        if isinstance(result, (bytes, bytearray)):
            try:
                result = bytes(result).decode("utf-8")
            except UnicodeDecodeError:
                return _fail("WD-S011", "execute() returned bytes that are not UTF-8")
        if isinstance(result, str):
            return {"ok": True, "output": result}
        try:
            return {"ok": True, "output": json.dumps(result, separators=(",", ":"))}
        except (TypeError, ValueError) as e:
            return _fail("WD-S011", f"execute() returned a value that is not JSON: {e}")

    def fresh_call(self, line):
        obj, failed = self.build()
        if failed:
            return failed | {"code": "WD-S011"}
        answer = self.execute(obj, line)
        self.stop(obj)
        return answer

    def in_child(self, work, *args):
        """work(*args) in a child of this process, which never holds the protocol; its answer
        comes back over a pipe. Whatever the child started is ended with it."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(r)
                os.close(self.pout)
                self.pin.close()
                try:
                    os.setpgid(0, 0)
                except OSError:
                    pass
                try:
                    answer = work(*args)
                except BaseException as e:
                    answer = _raised("the handler", e)
                _write_all(w, _line(answer))
            finally:
                for stream in (sys.stdout, sys.stderr):
                    try:
                        stream.flush()
                    except BaseException:
                        pass
                os._exit(0)
        os.close(w)
        data, status = self.collect(r, pid)
        os.close(r)
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        if status is None:
            status = os.waitpid(pid, 0)[1]
        if b"\n" in data:
            # The first line is the call's answer: whatever the child wrote after it is not.
            try:
                answer = json.loads(data[:data.index(b"\n")])
                if isinstance(answer, dict) and isinstance(answer.get("ok"), bool):
                    return answer
            except ValueError:
                pass
            return _fail("WD-S006", "the handler's process sent a malformed answer")
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            return _fail("WD-S002", f"the handler's process died of signal {sig} "
                         f"({signal.Signals(sig).name if sig in signal.valid_signals() else sig})"
                         " before answering")
        return _fail("WD-S008", "the handler's process exited with status "
                     f"{os.WEXITSTATUS(status) if os.WIFEXITED(status) else status} "
                     "before answering")

    @staticmethod
    def collect(r, pid):
        """The child's answer line, or what there is when it ended without one (a process it
        started may hold the pipe open: the child's own end decides)."""
        data, status = b"", None
        poller = select.poll()
        poller.register(r, select.POLLIN)
        while b"\n" not in data and len(data) < CHILD_ANSWER_MAX:
            if poller.poll(50 if status is None else 0):
                chunk = os.read(r, 1 << 16)
                if not chunk:
                    break
                data += chunk
            elif status is None:
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = st
            else:
                break
        return data, status

    def serve(self):
        first = self.pin.readline()
        if not first:
            return
        try:
            msg = json.loads(first)
        except ValueError as e:
            self.answer(_fail("WD-S006", f"the load message is not JSON: {e}"))
            return
        answer = self.load(msg)
        self.answer(answer)
        if not answer.get("ok"):
            return
        while True:
            line = self.pin.readline()
            if not line:
                break
            self.seq += 1
            if self.warm:
                self.answer(self.execute(self.obj, line.decode("utf-8", "replace")))
            else:
                self.answer(self.in_child(self.fresh_call, line.decode("utf-8", "replace")))
        if self.warm:
            self.stop(self.obj)


def main():
    # The protocol on private descriptors (not inherited by anything executed); 0 and 1 become
    # /dev/null and stderr, so neither input() nor print() nor a child's writes touch it.
    pin, pout = os.dup(0), os.dup(1)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    Runtime(pin, pout).serve()


main()
