"""Gateway: streamed OpenAI chat through drupe's `/v1` next to LiteLLM's proxy, first token after 50 ms.

One fake OpenAI upstream (tests/fakes/upstream.py, its own process) waits 50 ms before each
answer's first chunk. The same streamed `POST /v1/chat/completions` goes three ways:

- direct: straight to the upstream (what the upstream, the loopback and this client cost);
- LiteLLM: LiteLLM's proxy, one process (`litellm --config … --num_workers 1`), from its own
  venv (bench/.venv-litellm, made here with pip on first use), its config pointing one model
  at the upstream (`openai/` provider, `api_base`), with a master key;
- drupe: `drupe serve` with the upstream added as a provider, called with a gateway key
  (`drupe gateway key create`) and the model as `PROVIDER/MODEL`.

All are read by one httpx2 SSE client. Time to first token (TTFT) is request sent → first
text delta. One at a time: rounds of one request each way, the order turning each round;
the time added is each request's TTFT minus the same round's direct TTFT. 100 at once: each
run sends 100 requests at once each way in turn; the time added at p50 and p99 is the
percentile's minus the same run's direct one. Every stream must answer 200, end with
`[DONE]` and carry the whole text, or it counts as failed or cut. The goal for drupe: at
most ¼ of LiteLLM's added time in both cases, and no request failed or cut.

    python bench/gateway.py
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from common import (
    API_KEY,
    BENCH,
    MODEL,
    PROVIDER,
    add_fake_provider,
    drupe,
    drupe_home,
    drupe_server,
    fake_upstream,
    fmt,
    free_port,
    percentile,
    print_table,
    row,
    stop_process,
)

ROUNDS = 30
WARMUP = 3
CONCURRENT = 100
RUNS = 3
PROFILED = 150
"""Requests one at a time while `profile()` samples drupe serve: enough samples of a few ms each."""
FIRST_TOKEN_DELAY = 0.05
TEXT = "The gateway relays this answer: " + " ".join(f"word{i}" for i in range(40))
TIMEOUT = 60.0
SETTLE = 1.0
"""Seconds of quiet before each batch, so a server's work left from the last one (logging) is done."""
LITELLM_VERSION = "1.108.7"
LITELLM_VENV = BENCH / ".venv-litellm"
LITELLM_KEY = "sk-litellm-bench-master"
LITELLM_START = 90.0


@dataclass(frozen=True)
class Target:
    """One way to the upstream: the chat completions URL, the key sent as Bearer, the model named."""

    name: str
    url: str
    key: str
    model: str


@dataclass(frozen=True)
class Result:
    ok: bool
    ttft_ms: float
    total_ms: float
    error: str = ""


# LiteLLM's proxy --------------------------------------------------------------------------


def litellm_bin() -> tuple[Path | None, str]:
    """LiteLLM's CLI in its own venv, installed with pip the first time (finished once
    `.installed` is there: an interrupted install resumes); (path or None, why not)."""
    exe = LITELLM_VENV / "bin" / "litellm"
    stamp = LITELLM_VENV / ".installed"
    if exe.exists() and stamp.exists() and stamp.read_text().strip() == LITELLM_VERSION:
        return exe, ""
    print(f"installing litellm[proxy]=={LITELLM_VERSION} into {LITELLM_VENV} (first run only) …", file=sys.stderr)
    try:
        if not (LITELLM_VENV / "bin" / "pip").exists():
            subprocess.run([sys.executable, "-m", "venv", str(LITELLM_VENV)], check=True, timeout=120)
        pip = [str(LITELLM_VENV / "bin" / "pip"), "install", "--quiet", f"litellm[proxy]=={LITELLM_VERSION}"]
        subprocess.run(pip, check=True, timeout=900, stderr=subprocess.PIPE, text=True)
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        print(f"could not install litellm: {exc} {detail[-500:]}", file=sys.stderr)
        return None, f"pip install of litellm[proxy]=={LITELLM_VERSION} failed: {exc}"
    stamp.write_text(LITELLM_VERSION + "\n")
    return (exe, "") if exe.exists() else (None, "pip installed litellm but no `litellm` command")


def prepare() -> str:
    """For bench/run.py, before its time limits: install LiteLLM's proxy if it is not there yet."""
    exe, why = litellm_bin()
    return str(exe) if exe else why


def litellm_config(upstream: str) -> str:
    return (
        "model_list:\n"
        f"  - model_name: {MODEL}\n"
        "    litellm_params:\n"
        f"      model: openai/{MODEL}\n"
        f"      api_base: {upstream}/v1\n"
        f"      api_key: {API_KEY}\n"
        "general_settings:\n"
        f"  master_key: {LITELLM_KEY}\n"
    )


@contextlib.contextmanager
def litellm_proxy(exe: Path, upstream: str) -> Iterator[str]:
    """LiteLLM's proxy on loopback, one worker; yields its base URL once it says it is alive."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="litellm-bench-") as home, tempfile.TemporaryFile() as log:
        config = Path(home, "config.yaml")
        config.write_text(litellm_config(upstream))
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", HOME=home)  # no fetch of its price list from the network
        args = [str(exe), "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
        proc = subprocess.Popen(args, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + LITELLM_START
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"LiteLLM's proxy exited: {log.read().decode(errors='replace')[-800:]}")
                try:
                    with urllib.request.urlopen(f"{base}/health/liveliness", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"LiteLLM's proxy did not answer within {LITELLM_START:.0f} s")
                time.sleep(0.2)
            yield base
        finally:
            stop_process(proc)


def litellm_version(exe: Path) -> str:
    python = exe.parent / "python"
    code = "from importlib.metadata import version; print(version('litellm'))"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=60).stdout.strip()


# drupe's gateway --------------------------------------------------------------------------


def gateway_key(env: dict) -> str:
    return drupe(env, "gateway", "key", "create", "bench").stdout.strip()


def gateway_check(base: str, key: str) -> str:
    """ "" when `GET /v1/models` lists the fake's model; else why the gateway is not available."""
    request = urllib.request.Request(f"{base}/v1/models", headers={"authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            kind = response.headers.get("content-type", "")
            if not kind.startswith("application/json"):
                return f"gateway not available (GET /v1/models answered {response.status} {kind}, no model list)"
            models = [m.get("id") for m in json.loads(response.read()).get("data", ())]
    except (OSError, ValueError, AttributeError) as exc:
        return f"gateway not available (GET /v1/models: {exc})"
    wanted = f"{PROVIDER}/{MODEL}"
    return "" if wanted in models else f"gateway not available (GET /v1/models does not list {wanted})"


# The client ---------------------------------------------------------------------------------


def client():
    import httpx2

    limits = httpx2.Limits(max_connections=CONCURRENT * 2, max_keepalive_connections=CONCURRENT * 2)
    return httpx2.AsyncClient(timeout=TIMEOUT, limits=limits)


async def stream(http, target: Target) -> Result:
    """One streamed chat; ok only with status 200, the whole text and `[DONE]`."""
    import httpx2

    body = {"model": target.model, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    headers = {"authorization": f"Bearer {target.key}"}
    started = time.perf_counter()
    ttft = None
    pieces: list[str] = []
    done = False
    try:
        async with http.stream("POST", target.url, json=body, headers=headers) as response:
            if response.status_code != 200:
                text = (await response.aread())[:200].decode(errors="replace")
                return Result(False, 0, 0, f"HTTP {response.status_code} {text}")
            async for sse in httpx2.EventSource(response):
                if sse.data == "[DONE]":
                    done = True
                    break
                chunk = json.loads(sse.data)
                if "error" in chunk:
                    return Result(False, 0, 0, f"error chunk: {str(chunk['error'])[:200]}")
                for choice in chunk.get("choices") or ():
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        ttft = ttft or (time.perf_counter() - started) * 1000
                        pieces.append(content)
    except Exception as exc:  # a failed request is counted, not fatal
        return Result(False, 0, 0, f"{type(exc).__name__}: {exc}")
    total = (time.perf_counter() - started) * 1000
    if not done:
        return Result(False, 0, 0, "cut: no [DONE]")
    if "".join(pieces) != TEXT or ttft is None:
        return Result(False, 0, 0, f"cut: {len(''.join(pieces))} of {len(TEXT)} characters")
    return Result(True, ttft, total)


async def one_at_a_time(targets: list[Target]) -> dict[str, list[Result]]:
    """ROUNDS rounds of one request each way, the order turning each round (after warm-ups)."""
    out: dict[str, list[Result]] = {t.name: [] for t in targets}
    async with client() as http:
        for index in range(WARMUP + ROUNDS):
            turn = index % len(targets)
            for target in targets[turn:] + targets[:turn]:
                result = await stream(http, target)
                if index >= WARMUP:
                    out[target.name].append(result)
    return out


async def at_once(target: Target) -> tuple[list[Result], float]:
    """CONCURRENT requests sent together; (results, seconds from the first sent to the last done)."""
    async with client() as http:
        await stream(http, target)  # a warm connection, not counted
        started = time.perf_counter()
        results = await asyncio.gather(*(stream(http, target) for _ in range(CONCURRENT)))
        return list(results), time.perf_counter() - started


# Measuring and rows -----------------------------------------------------------------------


def start_targets(stack: contextlib.ExitStack, upstream: str, env: dict) -> tuple[list[Target], dict[str, str]]:
    """The direct target and those that started; for those that did not, why (by name)."""
    targets = [Target("direct", f"{upstream}/v1/chat/completions", API_KEY, MODEL)]
    missing: dict[str, str] = {}
    exe, why = litellm_bin()
    if exe is None:
        missing["LiteLLM"] = why
    else:
        try:
            base = stack.enter_context(litellm_proxy(exe, upstream))
            targets.append(Target("LiteLLM", f"{base}/v1/chat/completions", LITELLM_KEY, MODEL))
        except (RuntimeError, OSError) as exc:
            missing["LiteLLM"] = str(exc)
    add_fake_provider(env, upstream)
    try:
        key = gateway_key(env)
    except RuntimeError as exc:
        missing["drupe"] = f"gateway not available (no gateway key: {exc})"
    else:
        base, _proc = stack.enter_context(drupe_server(env))
        why = gateway_check(base, key)
        if why:
            missing["drupe"] = why
        else:
            targets.append(Target("drupe", f"{base}/v1/chat/completions", key, f"{PROVIDER}/{MODEL}"))
    return targets, missing


def failures(results: list[Result]) -> tuple[int, str]:
    bad = [r for r in results if not r.ok]
    return len(bad), (f"first: {bad[0].error}" if bad else "")


def main() -> list[dict]:
    with (
        fake_upstream(text=TEXT, first_token_delay=FIRST_TOKEN_DELAY) as upstream,
        drupe_home() as env,
        contextlib.ExitStack() as stack,
    ):
        targets, missing = start_targets(stack, upstream, env)
        single = asyncio.run(asyncio.wait_for(one_at_a_time(targets), TIMEOUT * 2))
        batches: dict[str, list[tuple[list[Result], float]]] = {t.name: [] for t in targets}
        for run in range(RUNS):
            turn = run % len(targets)
            for target in targets[turn:] + targets[:turn]:
                time.sleep(SETTLE)
                batches[target.name].append(asyncio.run(asyncio.wait_for(at_once(target), TIMEOUT)))
    names = [t.name for t in targets]
    exe = LITELLM_VENV / "bin" / "litellm"
    labels = {"direct": "direct", "LiteLLM": f"LiteLLM {litellm_version(exe)}" if "LiteLLM" in names else "LiteLLM"}
    labels["drupe"] = "drupe"
    return single_rows(single, names, labels) + concurrent_rows(batches, names, labels) + missing_rows(missing)


def _added(single: dict[str, list[Result]], name: str) -> list[float]:
    pairs = zip(single[name], single["direct"])
    return [r.ttft_ms - d.ttft_ms for r, d in pairs if r.ok and d.ok]


def _goal(values: list[float], litellm: list[float] | None) -> tuple[str, bool | None, str]:
    """Target text, met, note for drupe's added time against ¼ of LiteLLM's (medians)."""
    if not litellm or not values:
        return "≤ ¼ of LiteLLM's", False, "no request through drupe succeeded" if litellm else "LiteLLM not measured"
    import statistics

    theirs, ours = statistics.median(litellm), statistics.median(values)
    limit = theirs / 4
    ratio = f"{ours / theirs:.2f}" if theirs > 0 else "—"
    return f"≤ ¼ of LiteLLM's: ≤ {fmt(limit)} ms", ours <= limit, f"{ratio} × LiteLLM's {fmt(theirs)} ms"


def single_rows(single: dict[str, list[Result]], names: list[str], labels: dict[str, str]) -> list[dict]:
    direct = [r.ttft_ms for r in single["direct"] if r.ok]
    rows = [row("one at a time: TTFT direct to upstream", direct, "ms", note="includes the 50 ms first-token delay")]
    litellm = _added(single, "LiteLLM") if "LiteLLM" in names else None
    if litellm is not None:
        rows.append(row(f"one at a time: TTFT added by {labels['LiteLLM']}", litellm, "ms"))
    if "drupe" in names:
        ours = _added(single, "drupe")
        target, met, note = _goal(ours, litellm)
        rows.append(row("one at a time: TTFT added by drupe", ours, "ms", target=target, met=met, note=note))
    for name in names[1:]:
        bad, why = failures(single[name])
        if bad:
            rows.append(row(f"one at a time: {labels[name]} requests failed or cut", [bad], "requests", note=why))
    return rows


def concurrent_rows(batches: dict, names: list[str], labels: dict[str, str]) -> list[dict]:
    rows: list[dict] = []
    prefix = f"{CONCURRENT} at once"
    # Per run: {figure: value}, or None when none of the run's requests succeeded.
    runs: dict[str, list[dict[str, float] | None]] = {
        name: [_figures(*batch) for batch in batches[name]] for name in names
    }
    for name in names:
        label = labels[name]

        def values(key: str, name: str = name) -> list[float]:
            return [run[key] for run in runs[name] if run]

        rows += [
            row(f"{prefix}, {label}: TTFT p50", values("ttft50"), "ms"),
            row(f"{prefix}, {label}: TTFT p99", values("ttft99"), "ms"),
            row(f"{prefix}, {label}: total time p50", values("total50"), "ms", note="request sent → [DONE]"),
            row(f"{prefix}, {label}: total time p99", values("total99"), "ms"),
            row(
                f"{prefix}, {label}: requests per second", values("rps"), "req/s",
                note=f"{CONCURRENT} ÷ (first sent → last [DONE])",
            ),
        ]  # fmt: skip
    added = {
        name: {
            key: [run[key] - direct[key] for run, direct in zip(runs[name], runs["direct"]) if run and direct]
            for key in ("ttft50", "ttft99")
        }
        for name in names[1:]
    }
    if "LiteLLM" in added:
        for key, tag in (("ttft50", "p50"), ("ttft99", "p99")):
            rows.append(row(f"{prefix}: TTFT added by {labels['LiteLLM']}, {tag}", added["LiteLLM"][key], "ms"))
    if "drupe" in added:
        for key, tag in (("ttft50", "p50"), ("ttft99", "p99")):
            litellm = added["LiteLLM"][key] if "LiteLLM" in added else None
            target, met, note = _goal(added["drupe"][key], litellm)
            name = f"{prefix}: TTFT added by drupe, {tag}"
            rows.append(row(name, added["drupe"][key], "ms", target=target, met=met, note=note))
    for name in names[1:]:
        bad = 0
        why = ""
        for results, _ in batches[name]:
            count, first = failures(results)
            bad += count
            why = why or first
        note = f"out of {CONCURRENT * RUNS} in {RUNS} runs" + (f"; {why}" if why else "")
        target = {"target": "0", "met": bad == 0} if name == "drupe" else {}
        rows.append(row(f"{prefix}: {labels[name]} requests failed or cut", [bad], "requests", note=note, **target))
    return rows


def _figures(results: list[Result], seconds: float) -> dict[str, float] | None:
    """One run's percentiles over the requests that succeeded, and its requests per second."""
    good = [r for r in results if r.ok]
    if not good:
        return None
    ttfts, totals = [r.ttft_ms for r in good], [r.total_ms for r in good]
    return {
        "ttft50": percentile(ttfts, 50), "ttft99": percentile(ttfts, 99),
        "total50": percentile(totals, 50), "total99": percentile(totals, 99),
        "rps": len(results) / seconds,
    }  # fmt: skip


def missing_rows(missing: dict[str, str]) -> list[dict]:
    return [row(f"{name}: not measured", [], "ms", met=False, note=why) for name, why in missing.items()]


if __name__ == "__main__":
    print_table("Streamed OpenAI chat: direct, LiteLLM's proxy and drupe's gateway (50 ms first token)", main())


def profile(failed: list[str]) -> list[dict]:
    """py-spy profile of `drupe serve` while gateway requests run: one at a time and/or 100 at once."""
    import threading

    from profiles import sampling

    out = []
    with fake_upstream(text=TEXT, first_token_delay=FIRST_TOKEN_DELAY) as upstream, drupe_home() as env:
        add_fake_provider(env, upstream)
        key = gateway_key(env)
        with drupe_server(env) as (base, proc):
            target = Target("drupe", f"{base}/v1/chat/completions", key, f"{PROVIDER}/{MODEL}")

            async def sequential(go: threading.Event | None = None) -> None:
                async with client() as http:
                    for index in range(WARMUP + PROFILED):
                        if index == WARMUP and go is not None:
                            go.set()
                        await stream(http, target)

            async def batches(go: threading.Event | None = None) -> None:
                await at_once(target)  # warm-up
                if go is not None:
                    go.set()
                for _ in range(RUNS):
                    await at_once(target)

            plans = []
            if any(name.startswith("one at a time") for name in failed):
                plans.append((sequential, "one request at a time"))
            if any(name.startswith(f"{CONCURRENT} at once") for name in failed):
                plans.append((batches, f"{CONCURRENT} requests at once"))
            for workload, what in plans:
                go = threading.Event()
                title = f"drupe serve relaying gateway requests, {what}"
                with sampling(proc.pid, title=title, wait=go) as result:
                    asyncio.run(asyncio.wait_for(workload(go), TIMEOUT))
                out.append({"title": f"gateway: the drupe serve process, {what}", "text": result[0]})
    return out
