#!/usr/bin/env python3
"""Receive a pty master over a --console-socket and copy its output to a file.

usage: recvtty.py SOCKET OUTFILE [INPUT]

Listens on the unix socket SOCKET, accepts one connection from the runtime,
receives the pty master fd (SCM_RIGHTS), writes INPUT (if given, with \\n
escapes) into it, then copies everything the container writes to OUTFILE
until the pty is closed (EIO) by the container's exit.
"""
import os
import socket
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, outfile = sys.argv[1], sys.argv[2]
    data = sys.argv[3].encode().decode("unicode_escape") if len(sys.argv) > 3 else ""
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(120)
    conn, _ = srv.accept()
    msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 4)
    conn.close()
    srv.close()
    if not fds:
        sys.exit("recvtty: no fd received")
    master = fds[0]
    with open(outfile + ".name", "w") as f:
        f.write(msg.decode(errors="replace"))
    if data:
        os.write(master, data.encode())
    with open(outfile, "ab", buffering=0) as out:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every slave fd is closed
                break
            if not chunk:
                break
            out.write(chunk)
    os.close(master)


if __name__ == "__main__":
    main()
