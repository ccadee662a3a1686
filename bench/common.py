"""What every benchmark shares: statistics, result rows, tables, and loopback processes.

A row is a dict: name, median, min, max, unit, runs, target (text, "" if none), met
(True/False, or None when there is no target), and optional note. Each benchmark's
`main()` returns its rows; `bench/run.py` gathers them into docs/benchmarks.md.

Everything here talks to 127.0.0.1 only, and every process started is ended by its own
pid when its `with` block ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable
DRUPE = str(VENV_BIN / "drupe")
MODEL = "fake-model"
PROVIDER = "fake"
API_KEY = "sk-bench-0123456789abcdef"

for path in (str(ROOT), str(ROOT / "src")):
    if path not in sys.path:
        sys.path.insert(0, path)

# Measure what users run: Python with its bytecode cache. (With PYTHONDONTWRITEBYTECODE set, as
# in some shells and CI, every start would compile drupe's sources again.) The cache lives
# outside the source tree, in the git-ignored .cache/, and the warm-up runs fill it.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ["PYTHONPYCACHEPREFIX"] = str(ROOT / ".cache" / "bench-pycache")


# Statistics and rows ------------------------------------------------------------------


def row(
    name: str,
    values: Sequence[float],
    unit: str,
    *,
    target: str = "",
    limit: float | None = None,
    higher_is_better: bool = False,
    met: bool | None = None,
    note: str = "",
) -> dict:
    """A result row: the median of `values` with min and max; met if the median beats `limit`."""
    values = list(values)
    median = statistics.median(values) if values else float("nan")
    if met is None and limit is not None and values:
        met = median >= limit if higher_is_better else median < limit
    return {
        "name": name,
        "median": median,
        "min": min(values) if values else float("nan"),
        "max": max(values) if values else float("nan"),
        "unit": unit,
        "runs": len(values),
        "target": target,
        "met": met,
        "note": note,
    }


def fmt(value: float | None, unit: str = "") -> str:
    """A figure as the tables show it: few digits, thousands separated; — when missing."""
    if value is None or value != value:  # NaN
        return "—"
    if float(value).is_integer() and abs(value) < 100:
        return f"{value:.0f}"
    if unit == "%" or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def met_text(met: bool | None) -> str:
    return {True: "met", False: "NOT MET", None: ""}[met]


def table_lines(rows: Sequence[dict]) -> list[str]:
    """Plain-text table of rows, for terminals."""
    header = ("figure", "median", "min–max", "unit", "n", "target", "")
    body = [
        (
            r["name"], fmt(r["median"], r["unit"]), f"{fmt(r['min'], r['unit'])}–{fmt(r['max'], r['unit'])}",
            r["unit"], str(r["runs"]), r.get("target", ""), met_text(r.get("met")),
        )
        for r in rows
    ]  # fmt: skip
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    aligns = ["<", ">", ">", "<", ">", "<", "<"]
    out = []
    for line in [header, *body]:
        out.append("  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(line, aligns, widths)).rstrip())
        if line is header:
            out.append("  ".join("-" * w for w in widths))
    return out


def print_table(title: str, rows: Sequence[dict]) -> None:
    print(f"\n{title}")
    print("\n".join(table_lines(rows)))
    notes = [r for r in rows if r.get("note")]
    for r in notes:
        print(f"  note ({r['name']}): {r['note']}")


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0–100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# Processes on loopback -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    """End a process we started, by its pid: SIGINT, then SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def fake_upstream(**options: object) -> Iterator[str]:
    """The tests' fake OpenAI upstream (tests/fakes/upstream.py) in its own process; yields its base URL.

    Options are its command-line flags: text, chunks, delay, first_token_delay, kind.
    """
    args = [PYTHON, "-m", "tests.fakes.upstream", "--port", "0"]
    options.setdefault("kind", "openai")
    for key, value in options.items():
        if value is not None:
            args += [f"--{key.replace('_', '-')}", str(value)]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=_env_with_path())
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"fake upstream did not start (said {url!r})")
        yield url
    finally:
        stop_process(proc)


def _env_with_path(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra or {})
    return env


@contextlib.contextmanager
def drupe_home() -> Iterator[dict]:
    """A fresh, empty drupe data folder; yields the environment that points drupe at it."""
    with tempfile.TemporaryDirectory(prefix="drupe-bench-") as home:
        env = dict(os.environ)
        env.pop("DRUPE_DATABASE_URL", None)
        env.pop("DRUPE_SECRET_KEY", None)
        env["DRUPE_HOME"] = home
        yield env


def drupe(env: dict, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    proc = subprocess.run([DRUPE, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"drupe {' '.join(args)} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def add_fake_provider(env: dict, base_url: str, name: str = PROVIDER, model: str = MODEL) -> None:
    """Register the fake upstream as an OpenAI provider with one model, through the CLI."""
    drupe(env, "provider", "add", name, "--type", "openai", "--base-url", f"{base_url}/v1", "--api-key", API_KEY)
    drupe(env, "model", "add", name, model)


def http_json(url: str, method: str = "GET", body: object = None, timeout: float = 30) -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


@contextlib.contextmanager
def drupe_server(
    env: dict, port: int | None = None, ready_timeout: float = 60
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`drupe serve --port N --no-local` on loopback; yields (base URL, process) once /api/meta answers."""
    port = port or free_port()
    args = [DRUPE, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-local"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"drupe server exited: {proc.stderr.read() if proc.stderr else ''}")
            try:
                http_json(f"{base}/api/meta", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("drupe server did not answer in time") from None
                time.sleep(0.05)
        yield base, proc
    finally:
        stop_process(proc)


def rss_mb(pid: int) -> float:
    """Resident set size of a process, in MB (MiB), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def timed_run(args: Sequence[str], env: dict | None = None, timeout: float = 60) -> tuple[float, float]:
    """(wall time, CPU time user+sys) of one command, in ms; fails if the command fails.

    CPU time is much less sensitive than wall time to other work on the machine."""
    import threading

    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        elapsed = (time.perf_counter() - started) * 1000
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {errors.read().decode()[-500:]}")
    return elapsed, (usage.ru_utime + usage.ru_stime) * 1000


# drupe's web API, as a page uses it ---------------------------------------------------


async def web_turn(client, base: str, conversation_id: str, content: str, model: str = MODEL) -> dict:
    """Send one message through `POST /api/conversations/{id}/messages` and read its SSE stream.

    `client` is an httpx2.AsyncClient. Returns: ttft_ms (request sent → first `delta`),
    total_ms, text (the deltas joined), deltas, status (of the `done` message), answer_id,
    errors (list of `error` events)."""
    import httpx2

    started = time.perf_counter()
    out: dict = {"ttft_ms": None, "text": "", "deltas": 0, "status": None, "answer_id": None, "errors": []}
    pieces: list[str] = []
    body = {"content": content, "targets": [{"provider": PROVIDER, "model": model}]}
    async with client.stream("POST", f"{base}/api/conversations/{conversation_id}/messages", json=body) as response:
        if response.status_code != 200:
            raise RuntimeError(f"turn failed: HTTP {response.status_code} {(await response.aread())[:300]!r}")
        async for sse in httpx2.EventSource(response):
            event = json.loads(sse.data)
            kind = event.get("type")
            if kind == "delta":
                if out["ttft_ms"] is None:
                    out["ttft_ms"] = (time.perf_counter() - started) * 1000
                pieces.append(event["text"])
                out["deltas"] += 1
            elif kind == "start":
                out["answer_id"] = event["answer_id"]
            elif kind == "done":
                out["status"] = event["message"]["status"]
            elif kind == "error":
                out["errors"].append(event.get("error"))
            elif kind == "end":
                break
    out["total_ms"] = (time.perf_counter() - started) * 1000
    out["text"] = "".join(pieces)
    return out


async def new_conversation(client, base: str, title: str = "bench") -> str:
    response = await client.post(f"{base}/api/conversations", json={"title": title})
    response.raise_for_status()
    return response.json()["id"]


def answer_text(words: int, paragraph: int = 60) -> str:
    """A deterministic answer of `words` words, in paragraphs of `paragraph` words, as models write."""
    vocabulary = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "streaming", "tokens", "arrive", "at", "steady", "pace", "and", "drupe", "stores", "every", "chunk", "of", "it"]  # fmt: skip
    out = []
    for index in range(words):
        word = vocabulary[(index * 7 + index // 13) % len(vocabulary)]
        sep = "\n\n" if index and index % paragraph == 0 else " "
        out.append(word if index == 0 else sep + word)
    return "".join(out)


ASSISTANT_MD = (
    "Here is **answer {i}**, with a list and some code:\n\n"
    "- first point about `item_{i}`\n- second point, *emphasised*\n\n"
    "```python\ndef f_{i}(x):\n    return x * {i}\n```\n\n"
    "A closing paragraph with a [link](https://example.com/{i})."
)


def seed_conversation(env: dict, count: int, title: str = "2,000 messages") -> str:
    """A conversation of `count` alternating user/assistant messages (Markdown answers),
    written straight into the store in one transaction; returns its id."""
    from datetime import datetime
    from pathlib import Path

    import sqlalchemy as sa

    from drupe.chat import ChatService
    from drupe.chat.tables import conversations, messages
    from drupe.store import open_store

    store = open_store(f"sqlite:///{Path(env['DRUPE_HOME']) / 'drupe.db'}", home=Path(env["DRUPE_HOME"]))
    try:
        conversation = ChatService(store).create_conversation(title)
        now = datetime.now()
        parent = None
        with store.engine.begin() as conn:
            for i in range(count):
                user = i % 2 == 0
                parent = conn.execute(
                    messages.insert().values(
                        conversation_id=conversation.id, parent_id=parent, role="user" if user else "assistant",
                        content=f"Question {i}: how does item_{i} work?" if user else ASSISTANT_MD.format(i=i),
                        reasoning="", status="complete", created_at=now,
                        provider=None if user else PROVIDER, model=None if user else MODEL,
                    )
                ).inserted_primary_key[0]  # fmt: skip
            conn.execute(
                sa.update(conversations).where(conversations.c.id == conversation.id).values(current_leaf_id=parent)
            )
        return conversation.id
    finally:
        store.engine.dispose()
