"""Profiles for targets not met: py-spy samples, summarised as text for docs/benchmarks.md.

py-spy (installed into the project venv on first use, from PyPI) samples a command from
its start, or a running process (the server) while a workload runs. The folded stacks
are summarised three ways:

- by package: where each sample leaves drupe's own code (or, at start-up, which
  top-level import it is inside): "sqlalchemy 41%" means 41% of samples were in
  SQLAlchemy's code, called from drupe;
- by function, self: the innermost frame of each sample;
- by function, inclusive: every drupe frame on the stack, once per sample.
"""

from __future__ import annotations

import collections
import contextlib
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from common import VENV_BIN, stop_process

PY_SPY = VENV_BIN / "py-spy"
RATE = 250
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]*?)(?::(?P<line>\d+))?\)$")
NOISE = ("<frozen ", "bin/drupe", "importlib", "runpy.py", "threading.py", "asyncio/runners.py", "asyncio/base_events.py",
         "asyncio/events.py", "selectors.py")  # fmt: skip


IDLE = {("wait", "threading.py"), ("select", "selectors.py"), ("_worker", "thread.py"), ("get", "queue.py"),
        ("join", "threading.py"), ("_wait_for_tstate_lock", "threading.py"), ("sleep", "tasks.py")}  # fmt: skip
"""Innermost frames of a thread waiting for work: dropped, so percentages are of busy samples."""


ENTRY_FILES = ("drupe/cli/__init__.py", "drupe/cli/serve.py")


def py_spy() -> Path | None:
    if not PY_SPY.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "py-spy"], timeout=300, check=False)
    return PY_SPY if PY_SPY.exists() else None


def _frames(stack: str) -> list[tuple[str, str]]:
    out = []
    for part in stack.split(";"):
        part = "".join(ch for ch in part if ch.isprintable())  # py-spy may report unreadable names (a NUL)
        match = FRAME.match(part.strip())
        out.append((match["func"], match["file"]) if match else (part.strip(), ""))
    return out


def _package(file: str) -> str:
    """`sqlalchemy/sql/compiler.py` → sqlalchemy; stdlib paths → their module."""
    file = file.replace("\\", "/")
    if "site-packages/" in file:
        file = file.split("site-packages/", 1)[1]
    if file.startswith("drupe/") or "/drupe/" in file:
        return "drupe"
    if file.startswith("/"):
        file = file.rsplit("/", 1)[-1]
    return file.split("/", 1)[0].removesuffix(".py") or "?"


def _is_drupe(file: str) -> bool:
    return file.startswith("drupe/") or "/src/drupe/" in file or file.startswith("src/drupe/")


def summarise(folded: str, top: int = 12, title: str = "") -> str:
    """Text summary of py-spy's raw (folded) output."""
    samples: list[tuple[list[tuple[str, str]], int]] = []
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples.append((_frames(stack), int(count)))
    idle = sum(count for frames, count in samples if _idle(frames))
    samples = [(frames, count) for frames, count in samples if not _idle(frames)]
    total = sum(count for _, count in samples)
    if not total:
        return "(no samples)"
    by_package: collections.Counter[str] = collections.Counter()
    self_time: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    for frames, count in samples:
        useful = [(func, file) for func, file in frames if file and not any(n in file for n in NOISE)]
        last_drupe = max((i for i, (_, file) in enumerate(useful) if _is_drupe(file)), default=-1)
        if last_drupe + 1 < len(useful):
            package = _package(useful[last_drupe + 1][1])
        else:
            package = "drupe" if useful else "python start-up"
        by_package[package] += count
        leaf = next(((f, fl) for f, fl in reversed(frames) if fl and "<frozen " not in fl), frames[-1])
        self_time[f"{leaf[0]} ({_short(leaf[1])})"] += count
        seen = set()
        for func, file in frames:
            if _is_drupe(file) and not (file.endswith(ENTRY_FILES) and func in ("main", "serve", "_run")):
                key = f"{func} ({_short(file)})"
                if key not in seen:
                    seen.add(key)
                    inclusive[key] += count
    lines = [title] if title else []
    lines.append(f"{total} busy samples at {RATE} Hz (all threads; {idle} idle ones left out)")
    lines.append("by package (where the time leaves drupe's code):")
    lines += [f"  {100 * c / total:5.1f}%  {name}" for name, c in by_package.most_common(top)]
    lines.append("top functions, self:")
    lines += [f"  {100 * c / total:5.1f}%  {name}" for name, c in self_time.most_common(top)]
    lines.append("drupe functions, inclusive:")
    lines += [f"  {100 * c / total:5.1f}%  {name}" for name, c in inclusive.most_common(top)]
    return "\n".join(lines)


def _idle(frames: list[tuple[str, str]]) -> bool:
    func, file = frames[-1]
    return (func.rsplit(".", 1)[-1], file.replace("\\", "/").rsplit("/", 1)[-1]) in IDLE


def _short(file: str) -> str:
    file = file.replace("\\", "/")
    for marker in ("site-packages/", "/src/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file.rsplit("/", 1)[-1] if file.startswith("/") else file


def profile_command(
    args: Sequence[str], env: dict | None = None, title: str = "", timeout: float = 60, repeat: int = 3
) -> str:
    """Sample `repeat` runs of a command, each from its start; one summary of them all."""
    exe = py_spy()
    if exe is None:
        return "(py-spy unavailable)"
    folded = []
    for _ in range(repeat):
        with tempfile.NamedTemporaryFile(suffix=".txt") as out:
            subprocess.run(
                [str(exe), "record", "-r", str(RATE), "-f", "raw", "-o", out.name, "--", *args],
                env=env, capture_output=True, timeout=timeout, check=False,
            )  # fmt: skip
            folded.append(Path(out.name).read_text())
    return summarise("\n".join(folded), title=f"{title} ({repeat} runs)" if title else "")


@contextlib.contextmanager
def sampling(
    pid: int, title: str = "", max_seconds: float = 60, wait: threading.Event | None = None
) -> Iterator[list[str]]:
    """Sample a running process while the `with` body runs (from when `wait` is set, if given);
    the summary is appended to the yielded list."""
    exe = py_spy()
    result: list[str] = []
    if exe is None:
        result.append("(py-spy unavailable)")
        yield result
        return
    holder: dict[str, subprocess.Popen] = {}
    with tempfile.NamedTemporaryFile(suffix=".txt") as out:
        args = [str(exe), "record", "-r", str(RATE), "-f", "raw", "-o", out.name, "--pid", str(pid),
                "--duration", str(int(max_seconds)), "--nonblocking"]  # fmt: skip

        def start() -> None:
            if wait is not None and not wait.wait(max_seconds):
                return
            holder["proc"] = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        starter = threading.Thread(target=start, daemon=True)
        starter.start()
        try:
            if wait is None:
                starter.join()
                threading.Event().wait(0.5)  # py-spy attaches
            yield result
        finally:
            if wait is not None:
                wait.set()  # so the starter thread ends even if the body failed before setting it
            starter.join(timeout=5)
            if "proc" in holder:
                stop_process(holder["proc"], timeout=15)  # SIGINT: py-spy writes what it has
        result.append(summarise(Path(out.name).read_text(), title=title))
