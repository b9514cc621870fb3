#!/usr/bin/env python3
"""inpty.py TIMEOUT CMD [ARGS...]: run CMD with a new pty as its controlling
terminal and stdio; copy what it writes to stdout; exit with its status.

Unlike `script`, nothing is ever written to the terminal's input (script
sends an EOF character when its own stdin ends, which a client such as
`ctr run -t` forwards to the container or reads as end of input,
depending on when its raw mode starts).  After TIMEOUT seconds the command
is killed, a note goes to stderr and the exit status is 124, like
timeout(1)."""
import os
import pty
import select
import signal
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: inpty.py TIMEOUT CMD [ARGS...]")
    timeout = float(sys.argv[1])
    argv = sys.argv[2:]
    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        except OSError as e:
            os.write(2, f"inpty: {argv[0]}: {e.strerror}\n".encode())
        os._exit(127)
    deadline = time.monotonic() + timeout
    out = sys.stdout.buffer

    def give_up():
        sys.stderr.write(f"inpty: `{' '.join(argv)}` still running after {timeout:g} s: killed\n")
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sys.exit(124)

    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            give_up()
        ready, _, _ = select.select([master], [], [], min(left, 1.0))
        if not ready:
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every holder of the terminal has closed it
            data = b""
        if not data:
            break
        out.write(data)
        out.flush()
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            give_up()
        time.sleep(0.05)
    code = os.waitstatus_to_exitcode(status)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
