#!/usr/bin/env python3
"""activate.py - what systemd does for a .socket unit, for t_activate.sh.

    activate.py [--ports FILE] [--foreign-pid] [--not-a-socket FILE]
                ADDR... -- COMMAND [ARG...]

Binds and listens on each ADDR (HOST:0 for an ephemeral port, [::1]:0 for
IPv6), moves the sockets to fds 3, 4, ..., writes their ports one a line to
FILE, sets LISTEN_FDS and LISTEN_PID (this pid, which exec keeps) and execs
COMMAND.  --foreign-pid names another process in LISTEN_PID (the sockets
are then not the command's); --not-a-socket passes FILE opened for reading
as fd 3 instead of the first socket.
"""
import fcntl
import os
import socket
import sys


def main():
    args = sys.argv[1:]
    ports_file = None
    foreign = False
    not_sock = None
    while args and args[0].startswith("--") and args[0] != "--":
        opt = args.pop(0)
        if opt == "--ports":
            ports_file = args.pop(0)
        elif opt == "--foreign-pid":
            foreign = True
        elif opt == "--not-a-socket":
            not_sock = args.pop(0)
        else:
            sys.exit("activate.py: unknown option " + opt)
    if "--" not in args:
        sys.exit("activate.py: no -- COMMAND")
    cut = args.index("--")
    addrs, cmd = args[:cut], args[cut + 1:]
    if not cmd:
        sys.exit("activate.py: no COMMAND")
    high, ports = [], []
    for a in addrs:
        host, port = a.rsplit(":", 1)
        fam = socket.AF_INET6 if host.startswith("[") else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host.strip("[]"), int(port)))
        s.listen(128)
        ports.append(s.getsockname()[1])
        # out of the way of 3, 4, ... first, then down into place
        high.append(fcntl.fcntl(s.fileno(), fcntl.F_DUPFD, 100))
        s.close()
    if not_sock is not None:
        high[0:1] = [fcntl.fcntl(os.open(not_sock, os.O_RDONLY),
                                 fcntl.F_DUPFD, 100)]
    for i, fd in enumerate(high):
        os.dup2(fd, 3 + i, inheritable=True)
        os.close(fd)
    if ports_file:
        with open(ports_file, "w") as f:
            f.write("".join("%d\n" % p for p in ports))
    env = dict(os.environ)
    env["LISTEN_FDS"] = str(len(high))
    env["LISTEN_PID"] = str(os.getppid() if foreign else os.getpid())
    os.execvpe(cmd[0], cmd, env)


main()
