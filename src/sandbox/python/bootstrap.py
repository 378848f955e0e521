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
2. Each call line: the input (JSON). lifecycle fresh: this process (the zygote, its imports
   done, the second process of the plugin's PID namespace: the runner's own code is the first)
   never forks from memory that held a call's data. It reads the input into memory no child
   inherits (MADV_DONTFORK) and forks a keeper, which forks the worker; the worker reads the
   input from a socket the zygote writes it to, builds the handler, initialize(config),
   execute(input), shutdown(), and answers to the keeper over a pipe; the keeper checks and
   bounds that answer and hands it to the zygote, which holds it in the same uninherited
   memory, kills every other process of the namespace (kill(-1): all but itself and the
   namespace's first process), waits for them (it is their subreaper), and only then answers
   the host. Neither the keeper nor the worker holds the protocol's descriptors. lifecycle
   warm: one handler object, initialize(config) once, execute(input) per call, shutdown() when
   the host closes the protocol.
"""

import base64
import json
import mmap
import os
import select
import signal
import socket
import sys
import traceback
import types
from importlib.machinery import ModuleSpec

METHODS = ("initialize", "execute", "describe", "shutdown")
MESSAGE_MAX = 400
CHILD_ANSWER_MAX = 64 << 20
# A whole answer line as the keeper re-encodes it (a message is cut to MESSAGE_MAX, an output
# is what the worker sent), and the longest input line the zygote holds (the host sends at most
# 64 MiB).
ANSWER_MAX = CHILD_ANSWER_MAX + (1 << 16)
INPUT_MAX = (64 << 20) + (1 << 16)
# The codes a worker's answer may carry: a handler's own failures. The ones that say the sandbox
# contained something are for the host to tell, never for the handler.
HANDLER_CODES = ("WD-S010", "WD-S011", "WD-S012", "WD-S018", "WD-S019")


def _bounded(text):
    text = " ".join(str(text).split())
    return text if len(text) <= MESSAGE_MAX else text[:MESSAGE_MAX - 3] + "..."


def _fail(code, message):
    return {"ok": False, "code": code, "message": _bounded(message)}


def _text(exc):
    try:
        return str(exc)
    except BaseException:  # a __str__ of the handler's that raises says nothing more
        return "(its message cannot be shown)"


def _raised(what, exc):
    """The answer for an exception a handler raised: its type and message (the traceback goes to
    the log). A PermissionError is most often warden's broker refusing an access."""
    warden = sys.modules["warden"]
    if isinstance(exc, warden.HandlerError):
        return _fail("WD-S011", f"{exc.code}: {exc.message}")
    try:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    except BaseException:
        pass
    text = f"{what} raised {type(exc).__name__}: {_text(exc)}"
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


def _checked(answer):
    """A worker's answer as the keeper passes it on, rebuilt from its fields and bounded like
    the bootstrap's own; None when it is no answer a handler may give."""
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        return None
    if answer["ok"]:
        output = answer.get("output")
        return {"ok": True, "output": output} if isinstance(output, str) else None
    code, message = answer.get("code"), answer.get("message")
    if code not in HANDLER_CODES or not isinstance(message, str):
        return None
    return _fail(code, message)


def _read_all(fd):
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except InterruptedError:
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _status_text(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.valid_signals() else str(sig)
        return f"died of signal {sig} ({name})"
    return f"exited with status {os.WEXITSTATUS(status) if os.WIFEXITED(status) else status}"


class Held:
    """What a fresh call's zygote holds of a call (its input line, then its answer): in memory
    no child inherits (MADV_DONTFORK), read and written by the kernel straight from and to it,
    never a Python object. A worker forked later finds nothing of it in its own memory."""

    def __init__(self, size=1 << 16):
        self.mm = self.view = None
        self.len = 0
        self._map(size)

    def _map(self, size):
        mm = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        mm.madvise(mmap.MADV_DONTFORK)
        view = memoryview(mm)
        if self.mm is not None:
            view[:self.len] = self.view[:self.len]
            self.view.release()
            self.mm.close()
        self.mm, self.view = mm, view

    def close(self):
        if self.mm is not None:
            self.view.release()
            self.mm.close()
            self.mm = self.view = None

    def _read(self, fd, cap):
        """Appends one read; False at the end of the input, or once cap bytes are held."""
        if self.len >= cap:
            return False
        if self.len == len(self.mm):
            self._map(min(2 * len(self.mm), cap))
        while True:
            try:
                n = os.readv(fd, [self.view[self.len:]])
            except InterruptedError:
                continue
            self.len += n
            return n > 0

    def line(self, fd, cap):
        """Reads until a whole line is held, the input ended or cap bytes are held; the length
        of the line (its newline included) or of what there is."""
        seen = 0
        while True:
            end = self.mm.find(b"\n", seen, self.len)
            if end >= 0:
                return end + 1
            seen = self.len
            if not self._read(fd, cap):
                return self.len

    def all(self, fd, cap):
        """Reads to the end of the input or cap bytes, whichever comes first."""
        while self._read(fd, cap):
            pass
        return self.len

    def rest(self, start):
        """A new Held with what came after start: nothing, as a rule (the host writes a line
        once the one before it is answered)."""
        n = max(0, self.len - start)
        rest = Held(max(1 << 16, 2 * n))
        rest.view[:n] = self.view[start:start + n]
        rest.len = n
        return rest


class Heap:
    """Held's reading over an ordinary buffer, for a warm process: one trust domain with its
    handler, which sees every call anyway, it has nothing to keep from its own forks."""

    def __init__(self, data=b""):
        self.view = bytearray(data)

    @property
    def len(self):
        return len(self.view)

    def close(self):
        pass

    def rest(self, start):
        return Heap(self.view[start:])

    def line(self, fd, cap):
        seen = 0
        while True:
            end = self.view.find(b"\n", seen)
            if end >= 0:
                return end + 1
            seen = len(self.view)
            if seen >= cap:
                return seen
            chunk = os.read(fd, min(1 << 16, cap - seen))
            if not chunk:
                return seen
            self.view += chunk


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


def _subreaper():
    """Makes the processes a call leaves behind this process's children once their parents are
    gone (PR_SET_CHILD_SUBREAPER), so that it can wait for every one of them to end."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except (ImportError, OSError, AttributeError):
        return False


def _open_fds(limit):
    """The open descriptors below limit (the sandbox does not let a process list /proc)."""
    fds = set()
    for fd in range(min(limit, 1 << 16)):
        try:
            os.fstat(fd)
        except OSError:
            continue
        fds.add(fd)
    return fds


def _fd_name(fd):
    try:
        return f"descriptor {fd} ({os.readlink(f'/proc/self/fd/{fd}')})"
    except OSError:
        return f"descriptor {fd}"


class Runtime:
    def __init__(self, pin, pout):
        self.pin = pin
        self.pout = pout
        self.cls = None
        self.obj = None
        self.config = {}
        self.warm = False
        self.seq = 0
        self.held = Held()  # what the host wrote that is not answered yet
        self.fd_limit = os.sysconf("SC_OPEN_MAX")
        self.fds = _open_fds(self.fd_limit)  # the bootstrap's own: 0-2 and the protocol
        self.report = -1  # in a keeper: the pipe its answer goes to

    def answer(self, answer):
        # The number of the request answered (0: the load): a line the handler wrote on the
        # protocol itself is not the answer to the call in progress, and the host refuses it.
        answer["seq"] = self.seq
        _write_all(self.pout, _line(answer))

    def take(self, n):
        """Forgets the first n bytes held: a line answered, its memory unmapped."""
        rest = self.held.rest(n)
        self.held.close()
        self.held = rest

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
        if not self.warm:
            # kill(-1) after each call ends every process but this one and the namespace's
            # first (the runner's own code, which only reaps): only ever inside the PID
            # namespace the runner made for the plugin, where this process is the second.
            if os.getpid() != 2 or os.getppid() != 1:
                return _fail("WD-S018", "a fresh handler's process is not the second of its own "
                             "PID namespace: refused")
            _subreaper()
        sys.meta_path.insert(0, TreeFinder(root, files))
        module_name, _, class_name = msg["handler_class"].rpartition(".")
        try:
            module = __import__(module_name, fromlist=["_"])
        except BaseException as e:  # the module's own code ran and failed
            traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)
            return _fail("WD-S018", f"importing {module_name} raised {type(e).__name__}: "
                         f"{_text(e)}")
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
        if not self.warm:
            left = sorted(_open_fds(max(self.fd_limit, os.sysconf("SC_OPEN_MAX"))) - self.fds)
            if left:
                # Every call's process would share it: its offset, its stream, what one call
                # wrote there for the next to read.
                more = f" (and {len(left) - 1} more)" if len(left) > 1 else ""
                return _fail("WD-S018", f"importing {module_name} left {_fd_name(left[0])} "
                             f"open{more}: every fresh call would share it; open it in "
                             "initialize() or execute() (or use lifecycle: warm)")
        self.cls = cls
        if self.warm:
            return self.start_warm()
        out = self.fresh(self.describe_once, 0)
        try:
            answer = json.loads(bytes(out.view[:out.len]))
        finally:
            out.close()
        answer.pop("seq", None)
        return answer

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

    def describe_once(self, _input):
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
        except RecursionError:
            return _fail("WD-S012", "the input is not JSON this handler can take: nested too "
                         "deeply")
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
        except RecursionError:
            return _fail("WD-S011", "execute() returned a value nested too deeply to encode")
        except (TypeError, ValueError) as e:
            return _fail("WD-S011", f"execute() returned a value that is not JSON: {e}")

    def warm_call(self, line):
        """A warm call's answer, whatever the handler did: the process answers, never dies of
        it."""
        try:
            return self.execute(self.obj, line)
        except BaseException as e:
            try:
                return _raised("execute()", e)
            except BaseException:
                return _fail("WD-S011", "execute() failed in a way that cannot be told")

    def fresh_call(self, line):
        obj, failed = self.build()
        if failed:
            return failed | {"code": "WD-S011"}
        answer = self.execute(obj, line)
        self.stop(obj)
        return answer

    def fresh(self, work, n):
        """work(the n bytes held) in a worker, a grandchild whose memory never held a call's
        data; the answer line, held (seq included). Once it is, no other process of the call is
        left."""
        theirs, mine = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        r, w = os.pipe()
        keeper = os.fork()
        if keeper == 0:
            try:
                theirs.close()
                os.close(r)
                os.close(self.pin)
                os.close(self.pout)
                self.report = w
                _write_all(w, self.keep(work, mine.detach()))
            finally:
                os._exit(0)
        mine.close()
        os.close(w)
        try:
            # Straight from the held memory to the worker, which reads it after it was forked.
            _write_all(theirs.fileno(), self.held.view[:n])
        except OSError:
            pass  # the worker is gone: its keeper says how
        theirs.close()
        out = Held()
        out.all(r, ANSWER_MAX + 1)
        os.close(r)
        statuses = self.end_all()
        if 0 < out.len <= ANSWER_MAX and out.mm.find(b"\n") == out.len - 1:
            return out
        out.close()
        how = _status_text(statuses[keeper]) if keeper in statuses else "ended"
        line = _line(_fail("WD-S011", f"the call's keeper process {how} before answering "
                           "(the handler's process ended it)") | {"seq": self.seq})
        out = Held()
        out.view[:len(line)] = line
        out.len = len(line)
        return out

    def keep(self, work, sock):
        """In the keeper: the worker forked, its answer checked and bounded; the line for the
        zygote."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            self.worker(work, sock, r, w)
        os.close(w)
        os.close(sock)
        data, status = self.collect(r, pid)
        os.close(r)
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        if status is None:
            status = os.waitpid(pid, 0)[1]
        answer = self.judged(data, status) | {"seq": self.seq}
        line = _line(answer)
        if len(line) > ANSWER_MAX:
            line = _line(_fail("WD-S011", "the handler's answer is larger than 64 MiB")
                         | {"seq": self.seq})
        return line

    def worker(self, work, sock, r, w):
        """The worker: the input from the socket, work(input), the answer to the keeper. It never
        holds the protocol's descriptors, nor the keeper's way to the zygote."""
        try:
            os.close(r)
            os.close(self.report)
            try:
                os.setpgid(0, 0)
            except OSError:
                pass
            data = _read_all(sock)
            os.close(sock)
            try:
                answer = work(data.decode("utf-8", "replace"))
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

    @staticmethod
    def judged(data, status):
        """The worker's answer as the keeper passes it on. Its first line is the call's answer
        (whatever it wrote after it is not); every failure is the handler's own (WD-S011)."""
        if b"\n" in data:
            try:
                answer = _checked(json.loads(data[:data.index(b"\n")]))
            except (ValueError, RecursionError):
                answer = None
            return answer or _fail("WD-S011", "the handler's process sent a malformed answer")
        if len(data) >= CHILD_ANSWER_MAX:
            return _fail("WD-S011", "the handler's answer is larger than 64 MiB")
        return _fail("WD-S011", f"the handler's process {_status_text(status)} before answering")

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

    @staticmethod
    def end_all():
        """Kills every other process of the namespace (kill(-1) spares only the caller and the
        namespace's first process) and waits until none is left, so that nothing of a call
        reaches the next; the wait statuses of those that were this process's children."""
        statuses = {}
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            statuses[pid] = status
        # As the subreaper, every process left was a child: none is. Without it (prctl
        # refused), an orphan is the first process's to reap: wait until none is left, or end
        # the instance rather than answer beside one.
        for _ in range(5000):
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                return statuses
            select.select([], [], [], 0.001)
        os._exit(1)

    def serve(self):
        n = self.held.line(self.pin, 1 << 31)
        if n == 0:
            return
        first = bytes(self.held.view[:n])
        self.take(n)
        try:
            msg = json.loads(first)
        except (ValueError, RecursionError) as e:
            self.answer(_fail("WD-S006", f"the load message is not JSON: {e}"))
            return
        del first
        answer = self.load(msg)
        self.answer(answer)
        if not answer.get("ok"):
            return
        if self.warm:
            rest = Heap(self.held.view[:self.held.len])
            self.held.close()
            self.held = rest
        while True:
            n = self.held.line(self.pin, INPUT_MAX)
            if n == 0:
                break
            self.seq += 1
            if n >= INPUT_MAX and self.held.view[n - 1] != ord("\n"):
                # Longer than the host ever sends: the rest of the line is not another one.
                while n and self.held.view[n - 1] != ord("\n"):
                    self.take(n)
                    n = self.held.line(self.pin, INPUT_MAX)
                self.take(n)
                self.answer(_fail("WD-S012", "the input is larger than 64 MiB"))
            elif self.warm:
                line = bytes(self.held.view[:n])
                self.take(n)
                self.answer(self.warm_call(line.decode("utf-8", "replace")))
            else:
                out = self.fresh(self.fresh_call, n)
                self.take(n)
                _write_all(self.pout, out.view[:out.len])
                out.close()
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
