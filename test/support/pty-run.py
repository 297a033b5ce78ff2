"""Runs a command on a real pseudo-terminal, as a person at a shell would.

usage: pty-run.py READY_REGEX KEYS -- COMMAND...

Output is copied to stdout. Once it matches READY_REGEX, KEYS (a Python escape
string, e.g. '\\x03' for Ctrl-C) are typed into the terminal; the line discipline
turns them into signals for the foreground process group, exactly as in an
interactive terminal. The last line printed is "pty-run: exit CODE" (or
"pty-run: signal N").
"""

import os
import pty
import re
import select
import sys
import time

ready = re.compile(sys.argv[1].encode())
keys = sys.argv[2].encode().decode("unicode_escape").encode()
command = sys.argv[sys.argv.index("--") + 1 :]

pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

seen = b""
typed = False
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    readable, _, _ = select.select([fd], [], [], 0.2)
    if not readable:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:  # EIO: every process holding the terminal has gone
        break
    if not chunk:
        break
    sys.stdout.buffer.write(chunk)
    sys.stdout.flush()
    seen += chunk
    if not typed and ready.search(seen):
        typed = True
        os.write(fd, keys)

_, status = os.waitpid(pid, 0)
if os.WIFEXITED(status):
    print(f"\npty-run: exit {os.WEXITSTATUS(status)}", flush=True)
else:
    print(f"\npty-run: signal {os.WTERMSIG(status)}", flush=True)
