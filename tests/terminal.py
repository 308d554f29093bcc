"""Run a command whose stderr is a terminal (a pseudo-terminal, :mod:`pty`), as a person at a shell would.

The CLI shows progress (a spinner) only where stderr is a terminal; this is how the tests see it.
"""

from __future__ import annotations

import os
import pty
import subprocess
import threading


def run_with_terminal_stderr(command: list[str], *, timeout: float = 300) -> tuple[int, str, str]:
    """Run ``command`` with stdout a pipe and stderr a pseudo-terminal; return its exit code, stdout and
    what it wrote to the terminal (escape sequences and carriage returns included), both decoded as UTF-8.

    ``TERM`` is ``xterm-256color`` and ``COLUMNS`` 100, so that rich draws as on a terminal.

    Raises:
        subprocess.TimeoutExpired: If it runs longer than ``timeout`` seconds (it is killed first).
    """
    controller, terminal = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal, env=env)
    os.close(terminal)
    seen = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the process closed its end (EIO on Linux)
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    finally:
        reader.join(timeout=10)
        os.close(controller)
    return process.returncode, out.decode(), seen.decode(errors="replace")
