#!/usr/bin/env python3
"""ptyshell.py - drive `ferry shell` through a pseudo-terminal for
t_shell.sh, as a user at a terminal would: the prompt, cd, Tab completion
of remote and local paths, Ctrl-C at the prompt and in the middle of a
transfer, Ctrl-D, the terminal mode at each prompt, and the history file.

Why python3's pty module and not expect: it is in the standard library
(no Tcl, no package to install beyond python3), it sends exact bytes (Tab,
Ctrl-C, Ctrl-D) and reads exact bytes with a deadline, so every wait is
bounded and every check sees what the terminal got.

Usage: ptyshell.py FERRY ARGS... (the client with its global options; the
shell command is appended).  Environment: SHELL_ROOT (the server's root),
SHELL_WORK (a local directory to start in, with the files the test made),
SHELL_BIG (a remote file big enough to be slow through the test's rate
limited proxy), SHELL_BIGLOCAL (a local file as big).  Prints "ok DESC" or
"FAIL DESC" per check; t_shell.sh counts them.  Exit 0 unless the driver
itself broke.
"""
import os
import pty
import re
import select
import signal
import stat
import sys
import termios
import time

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\r")


class Term:
    def __init__(self, argv, cwd):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(cwd)
            os.execv(argv[0], argv)
        self.buf = b""
        self.status = None
        self.stuck = ""
        self.cooked = []  # screens matched while the terminal was cooked

    def send(self, data):
        os.write(self.fd, data)

    def raw(self):
        try:
            return not termios.tcgetattr(self.fd)[3] & termios.ICANON
        except termios.error:
            return False

    def editing(self, timeout=5.0):
        """Wait until the line editor has the terminal out of canonical
        mode.  el_gets prints the prompt and switches the terminal to raw
        mode only when it reads the first key; ferry switches first
        (EL_PREP_TERM), which the "prompt shows in raw mode" check
        asserts.  Waiting here as well keeps each other check about what
        it names: a key that met the cooked line discipline is echoed
        twice, and a Ctrl-D on the empty line is lost."""
        end = time.time() + timeout
        while time.time() < end:
            if self.raw():
                return True
            time.sleep(0.002)
        return False

    def read_until(self, pattern, timeout=15.0):
        """Read until the screen text (escapes and CRs dropped) matches
        pattern, then until the editor reads keys in raw mode; the text
        read, or None on timeout/EOF."""
        rx = re.compile(pattern)
        end = time.time() + timeout
        while True:
            text = ANSI.sub(b"", self.buf).decode("utf-8", "replace")
            m = rx.search(text)
            if m:
                self.buf = b""
                if not self.raw():
                    self.cooked.append(text[-60:])
                self.editing()
                return text
            left = end - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], min(left, 0.1))
            if r:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    text = ANSI.sub(b"", self.buf).decode("utf-8", "replace")
                    return text if rx.search(text) else None
                self.buf += chunk

    def wait(self, timeout=15.0):
        end = time.time() + timeout
        while time.time() < end:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
                return self.status
            try:  # keep draining so the child never blocks on output
                r, _, _ = select.select([self.fd], [], [], 0.1)
                if r:
                    self.buf = (self.buf + os.read(self.fd, 65536))[-2000:]
            except OSError:
                time.sleep(0.1)
        self.stuck = proc_state(self.pid)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return None


def proc_state(pid):
    """What a process that did not end is doing, for a failure's detail:
    each thread's state, kernel wait channel and system call."""
    out = []
    try:
        for tid in sorted(os.listdir("/proc/%d/task" % pid)):
            d = "/proc/%d/task/%s/" % (pid, tid)
            parts = [tid]
            for f in ("stat", "wchan", "syscall"):
                try:
                    v = open(d + f).read().strip()
                except OSError as e:
                    v = "?" + e.__class__.__name__
                if f == "stat":
                    v = v.rsplit(")", 1)[-1].split()[0]
                parts.append(v[:40])
            out.append(" ".join(parts))
    except OSError as e:
        out.append(str(e))
    return "; ".join(out)


failed = 0


def check(cond, desc, detail=""):
    global failed
    if cond:
        print("ok   " + desc)
    else:
        failed += 1
        print("FAIL " + desc + (": " + detail if detail else ""))
    sys.stdout.flush()


def visible(root):
    """Files below root, held uploads (.ferry-part.*) left out."""
    out = []
    for d, _, files in os.walk(root):
        for f in files:
            if not f.startswith(".ferry-part."):
                out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def main():
    argv = sys.argv[1:] + ["shell"]
    root = os.environ["SHELL_ROOT"]
    work = os.environ["SHELL_WORK"]
    big = os.environ["SHELL_BIG"]
    biglocal = os.environ["SHELL_BIGLOCAL"]
    t = Term(argv, work)
    P = r"ferry [^\n]*:/%s> $"

    text = t.read_until(P % "")
    check(text is not None and re.search(r"ferry 127\.0\.0\.1:\d+:/> $", text),
          "the prompt shows the server and the root", repr(text))

    # Tab on the first word completes a command
    t.send(b"wh\t")
    check(t.read_until(r"whoami $", 15) is not None, "Tab completes a command name")
    t.send(b"\r")
    check(t.read_until(r"identity: alice[\s\S]*" + P % "") is not None,
          "the completed command runs")

    # cd with a remote path completed by Tab (a directory gets its '/')
    t.send(b"cd sh\t")
    check(t.read_until(r"cd shelldir/$", 15) is not None,
          "Tab completes a remote directory, with '/'")
    t.send(b"\r")
    check(t.read_until(P % "shelldir") is not None,
          "cd: the prompt shows the remote directory")

    # a remote file relative to the remote directory: stat doc<Tab>
    t.send(b"stat rem\t")
    check(t.read_until(r"stat remote-file\.txt $", 15) is not None,
          "Tab completes a remote file name relative to the remote directory")
    t.send(b"\r")
    text = t.read_until(P % "shelldir")
    check(text is not None and "path:  shelldir/remote-file.txt" in text,
          "stat of the completed name", repr(text))

    # two candidates: Tab adds the common part, a second Tab lists them
    t.send(b"get two\t")
    check(t.read_until(r"get two-$", 15) is not None,
          "Tab adds the common prefix of two remote names")
    t.send(b"\t")
    text = t.read_until(r"two-a\.txt +two-b\.txt[\s\S]*get two-$", 15)
    check(text is not None, "a second Tab lists the candidates", repr(text))
    # get: the second operand is local
    t.send(b"a.txt locald\t")
    text = t.read_until(r"a\.txt localdir/$", 15)
    check(text is not None,
          "get: the second operand completes a local directory",
          repr(t.buf[-300:]))
    t.send(b"\r")
    t.read_until(P % "shelldir")
    check(os.path.exists(os.path.join(work, "localdir", "two-a.txt")),
          "get into the completed local directory")

    # put: the first operand is local
    t.send(b"put local-o\t")
    check(t.read_until(r"put local-only\.txt $", 15) is not None,
          "put: the first operand completes a local file")
    t.send(b"\r")
    t.read_until(P % "shelldir")
    check(os.path.exists(os.path.join(root, "shelldir", "local-only.txt")),
          "put lands in the remote directory")

    # a failing command prints one line and the shell goes on
    t.send(b"stat no-such-file\r")
    text = t.read_until(P % "shelldir")
    check(text is not None and "not_found" in text, "a failure is reported",
          repr(text))
    t.send(b"pwd\r")
    check(t.read_until(r"/shelldir\r?\n" + P % "shelldir") is not None,
          "the shell goes on after a failure (pwd)")

    # Ctrl-C at the prompt throws the line away
    t.send(b"rm remote-file.txt\x03")
    t.read_until(P % "shelldir", 15)
    t.send(b"\r")
    t.read_until(P % "shelldir", 15)
    check(os.path.exists(os.path.join(root, "shelldir", "remote-file.txt")),
          "Ctrl-C at the prompt discards the line")
    t.send(b"stat two-b\t")
    check(t.read_until(r"two-b\.txt $", 15) is not None,
          "Tab completes a remote name after a Ctrl-C at the prompt")
    t.send(b"\r")
    t.read_until(P % "shelldir")

    # Ctrl-C in the middle of a get (the proxy makes it slow)
    t.send(b"cd /\r")
    t.read_until(P % "")
    t.send(("get %s %s/got-big.bin\r" % (big, work)).encode())
    time.sleep(1.5)
    t.send(b"\x03")
    text = t.read_until(r"interrupted[\s\S]*" + P % "", 20)
    check(text is not None, "Ctrl-C stops a get and the prompt comes back",
          repr(text))
    left = [f for f in os.listdir(work) if "big" in f]
    check(left == [], "the interrupted get left no file, final or temporary",
          repr(left))

    # Ctrl-C in the middle of a put
    t.send(("put %s up/big.bin\r" % biglocal).encode())
    time.sleep(1.5)
    t.send(b"\x03")
    text = t.read_until(r"interrupted[\s\S]*" + P % "", 20)
    check(text is not None, "Ctrl-C stops a put and the prompt comes back",
          repr(text))
    time.sleep(0.5)
    check("up/big.bin" not in visible(root),
          "the interrupted put is not on the server under its name",
          repr(visible(root)))

    # the session goes on, on a new connection
    t.send(b"ls shelldir\r")
    text = t.read_until(r"remote-file\.txt[\s\S]*" + P % "")
    check(text is not None, "the shell works after the interruptions", repr(text))

    # a line starting with a blank is not kept in the history
    t.send(b" pwd\r")
    t.read_until(P % "")
    # Ctrl-D ends the shell with the last status
    t.send(b"\x04")
    st = t.wait()
    check(st == 0, "Ctrl-D ends the shell (exit 0)",
          "%r [%s] %r" % (st, t.stuck, t.buf[-300:]))

    # every wait above ended at the prompt or at a completion, where the
    # editor reads keys: the terminal must be raw already
    check(t.cooked == [], "the prompt shows with the terminal in raw mode",
          repr(t.cooked[:3]))

    hist = os.path.join(os.environ["XDG_STATE_HOME"], "ferry", "history")
    try:
        mode = stat.S_IMODE(os.stat(hist).st_mode)
        body = open(hist, "rb").read().decode("utf-8", "replace")
    except OSError as e:
        mode, body = None, str(e)
    check(mode == 0o600, "the history file is mode 0600", repr(mode))
    check("cd\\040shelldir" in body or "cd shelldir" in body,
          "the history holds the commands", body[:300])
    lines = body.strip().split("\n")
    check(lines[-1] in ("ls\\040shelldir", "ls shelldir"),
          "a line starting with a blank is not in the history", lines[-1])

    # a second shell gets the history back: Up arrow recalls the last line
    t = Term(argv, work)
    t.read_until(P % "")
    t.send(b"\x1b[A")
    text = t.read_until(r"ls shelldir$", 15)
    check(text is not None, "the history is loaded by the next shell (Up)",
          repr(text))
    t.send(b"\x01\x0b")  # Ctrl-A Ctrl-K: the recalled line is gone
    t.send(b"exit 7\r")
    st = t.wait()
    check(st == 7, "exit N ends the shell with status N",
          "%r [%s] %r" % (st, t.stuck, t.buf[-300:]))
    return 0


if __name__ == "__main__":
    try:
        rc = main()
    except Exception as e:  # the driver broke: say so, let the test fail
        print("FAIL driver: %r" % (e,))
        rc = 1
    sys.exit(rc)
