"""Run the real `drupe` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys


def run_drupe(
    *args: str, input: str | None = None, env: dict | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "drupe", *args],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
