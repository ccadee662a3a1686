"""Run every benchmark in bench/, print one table, and rewrite docs/benchmarks.md.

    make bench            # or: .venv/bin/python bench/run.py [NAME ...]

Each benchmark runs in its own process, one after another, with a time limit; the whole
run stays under 10 minutes on 2 cores. A benchmark's `prepare()`, if it has one, runs first,
outside the limits: first-run installs (LiteLLM's proxy into bench/.venv-litellm).
Everything talks to 127.0.0.1 only. When a target is not met, the benchmark's `profile()`
(py-spy) shows where the time goes, and that summary goes under "Targets not met" in
docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import fmt

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DOC = ROOT / "docs" / "benchmarks.md"

# (module, section title, time limit in seconds). Each limit caps one benchmark (most take far
# less); TOTAL_BUDGET caps the whole run, so a run that goes slow skips what is left.
BENCHMARKS = [
    ("startup", "1. Start-up", 60),
    ("oneshot", "2. One-shot chat", 80),
    ("streaming", "3. Streaming throughput", 70),
    ("concurrency", "4. Concurrency", 80),
    ("memory", "5. Memory", 240),
    ("browser", "6. Browser", 70),
    ("gateway", "7. Gateway, next to LiteLLM's proxy", 120),
    ("protocol_parse", "Protocol parsing cost per chunk (bench/protocol_parse.py)", 30),
    ("history", "Request building in a long conversation (bench/history.py)", 30),
    ("search", "Search in Chinese, Japanese and Korean (bench/search.py)", 60),
    ("tool_roundtrip", "Tool round trip: what drupe adds to one MCP call (bench/tool_roundtrip.py)", 40),
]
TOTAL_BUDGET = 590.0
PROFILE_LIMIT = 45.0
PREPARE_LIMIT = 1200.0

CHILD = """
import json, sys
sys.path[:0] = [{bench!r}, {root!r}, {src!r}]
module = __import__(sys.argv[1])
action = sys.argv[2]
if action == "main":
    result = module.main()
elif action == "prepare":
    result = module.prepare()
else:
    result = module.profile(json.loads(sys.argv[4]))
with open(sys.argv[3], "w") as out:
    json.dump(result, out)
"""


def run_child(name: str, action: str, limit: float, arg: object = None) -> tuple[object, str]:
    """Run `name.main()` or `name.profile(arg)` in a child process; (result or None, error text)."""
    code = CHILD.format(bench=str(BENCH), root=str(ROOT), src=str(ROOT / "src"))
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        args = [sys.executable, "-c", code, name, action, out.name, json.dumps(arg)]
        proc = subprocess.Popen(args, cwd=ROOT, stdout=sys.stderr, stderr=sys.stderr, start_new_session=True)
        try:
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # the child and what it started (servers, fakes, browsers)
            proc.wait()
            return None, f"stopped after its {limit:.0f} s limit"
        if proc.returncode != 0:
            return None, f"failed (exit {proc.returncode}); see the output above"
        text = Path(out.name).read_text()
        return (json.loads(text) if text else None), ""


# Rows of benchmarks written to another shape ---------------------------------------------


def normalise(name: str, rows: list[dict]) -> list[dict]:
    if name == "protocol_parse":
        out = []
        for r in rows:
            for key, label in (("sse", "httpx2 SSE read only"), ("parse", "SSE + drupe parser")):
                out.append({
                    "name": f"per chunk, {r['protocol']}: {label}", "median": r[f"{key}_us"],
                    "min": r[f"{key}_min_us"], "max": r[f"{key}_max_us"], "unit": "µs",
                    "runs": r.get("runs", 5), "target": "", "met": None, "note": "",
                })  # fmt: skip
        return out
    if name == "history":
        return [
            {
                "name": f"build request after 2,000 messages, context {r['context_count'] or 'all'} "
                f"({r['rows_read']} rows read, {r['messages_sent']} sent)",
                "median": r["median_ms"], "min": r["min_ms"], "max": r["max_ms"], "unit": "ms",
                "runs": r.get("runs", 5), "target": "", "met": None, "note": "",
            }
            for r in rows
        ]  # fmt: skip
    return rows


# Machine and versions -------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "?"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "platform": platform.platform(),
        "cpu": f"{cpu}, {os.cpu_count()} CPUs",
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
    }


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for package in ("drupe", "httpx2", "fastapi", "uvicorn", "sqlalchemy", "typer", "pydantic", "playwright"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    llm = BENCH / ".venv-llm" / "bin" / "llm"
    out["llm (bench/.venv-llm)"] = (
        subprocess.run([str(llm), "--version"], capture_output=True, text=True, timeout=60).stdout.split()[-1]
        if llm.exists() else "not installed"
    )  # fmt: skip
    litellm = BENCH / ".venv-litellm" / "bin" / "python"
    code = "from importlib.metadata import version; print(version('litellm'))"
    out["litellm (bench/.venv-litellm)"] = (
        subprocess.run([str(litellm), "-c", code], capture_output=True, text=True, timeout=60).stdout.strip()
        if litellm.exists() else "not installed"
    ) or "not installed"  # fmt: skip
    chromium = Path("/usr/bin/chromium")
    out["chromium"] = (
        subprocess.run([str(chromium), "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
        if chromium.exists() else "not installed"
    )  # fmt: skip
    out["curl"] = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split()[1]
    return out


# Output --------------------------------------------------------------------------------


def met_text(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: ""}[met]


def markdown(sections: list[tuple[str, str, list[dict], str]], info: dict, profiles: list[tuple[str, str, str]]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`); do not edit by hand. Every figure is the median of",
        "the runs shown (n), with min–max, all taken in this one run on this machine; each comparison",
        "was measured side by side, its sides taking turns run after run. Only loopback traffic:",
        "the provider is the tests' fake upstream (`tests/fakes/upstream.py`) on 127.0.0.1.",
        "",
        "Reproduce: `make bench` (about 5–8 minutes on 2 cores; the first run also installs `llm`",
        "into `bench/.venv-llm`, LiteLLM's proxy into `bench/.venv-litellm` and py-spy into `.venv`).",
        "One benchmark: `.venv/bin/python bench/NAME.py`.",
        "Processes run with Python's bytecode cache on, as installed programs do (kept in the",
        "git-ignored `.cache/bench-pycache`, filled by warm-up runs, even if PYTHONDONTWRITEBYTECODE is set).",
        "",
        f"- Date: {info['date']}",
        f"- Machine: {info['machine']['platform']}; {info['machine']['cpu']}; {info['machine']['memory']} RAM",
        f"- Load average (1 min) at start / end: {info['load_start']} / {info['load_end']}"
        " (other work on the machine inflates wall times; CPU times are given where they help)",
        f"- Total time: {info['elapsed']:.0f} s",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        "",
    ]
    summary = [r for _, _, rows, _ in sections for r in rows if r.get("target")]
    lines += ["## Targets", "", "| target | figure (median) | min–max | goal | |", "|---|---:|---:|---|---|"]
    for r in summary:
        lines.append(
            f"| {r['name']} | {fmt(r['median'], r['unit'])} {r['unit']} | {fmt(r['min'], r['unit'])}–"
            f"{fmt(r['max'], r['unit'])} | {r['target']} | {met_text(r['met'])} |"
        )
    lines.append("")
    for name, title, rows, error in sections:
        lines += [f"## {title}", ""]
        doc = _module_doc(name)
        if doc:
            lines += [_doc_paragraphs(doc), ""]
        if error:
            lines += [f"Not measured: {error}.", ""]
        if rows:
            lines += ["| figure | median | min–max | unit | n | target | |", "|---|---:|---:|---|---:|---|---|"]
            for r in rows:
                lines.append(
                    f"| {r['name']} | {fmt(r['median'], r['unit'])} | {fmt(r['min'], r['unit'])}–"
                    f"{fmt(r['max'], r['unit'])} | {r['unit']} | {r['runs']} | {r.get('target', '')} | "
                    f"{met_text(r.get('met'))} |"
                )
            notes = [f"- {r['name']}: {r['note']}" for r in rows if r.get("note")]
            if notes:
                lines += ["", *notes]
            lines.append("")
    lines += ["## Targets not met", ""]
    if not any(r["met"] is False for r in summary):
        lines += ["None.", ""]
    else:
        lines += [
            "Each is followed by the profile of the same workload, taken right after the measurements:",
            "py-spy samples at 250 Hz (`bench/profiles.py`), summarised by package (where the time",
            "leaves drupe's own code), by innermost function (self) and by drupe function (inclusive);",
            "server profiles sample every thread and leave out idle ones. Memory is profiled with",
            "tracemalloc instead (which allocations appear between snapshots).",
            "",
        ]
    for name, title, rows, _ in sections:
        failed = [r for r in rows if r.get("met") is False]
        if not failed:
            continue
        lines += [f"### {title}", ""]
        for r in failed:
            lines.append(f"- **{r['name']}**: {fmt(r['median'], r['unit'])} {r['unit']}, goal {r['target']}")
        lines.append("")
        for module, profile_title, text in profiles:
            if module == name:
                lines += [f"Profile: {profile_title}", "", "```", text.rstrip(), "```", ""]
    return "\n".join(lines)


def _module(name: str):
    import ast

    path = BENCH / f"{name}.py"
    return ast.parse(path.read_text()) if path.exists() else None


def _module_doc(name: str) -> str:
    import ast

    tree = _module(name)
    return (ast.get_docstring(tree) or "") if tree else ""


def _has_profile(name: str, function: str = "profile") -> bool:
    import ast

    tree = _module(name)
    return bool(tree) and any(isinstance(n, ast.FunctionDef) and n.name == function for n in tree.body)


def _doc_paragraphs(doc: str) -> str:
    """A module docstring without its usage line(s)."""
    kept = [line for line in doc.splitlines() if not line.strip().startswith("python bench/")]
    return "\n".join(kept).strip()


def main(argv: list[str]) -> int:
    sys.path[:0] = [str(BENCH), str(ROOT), str(ROOT / "src")]
    from common import print_table

    chosen = [b for b in BENCHMARKS if not argv or b[0] in argv]
    for name, _title, _limit in chosen:
        if _has_profile(name, "prepare"):  # first-run installs, not timed
            print(f"== preparing {name}", file=sys.stderr, flush=True)
            run_child(name, "prepare", PREPARE_LIMIT)
    started = time.monotonic()
    info = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_start": f"{os.getloadavg()[0]:.2f}",
    }
    sections: list[tuple[str, str, list[dict], str]] = []
    for name, title, limit in chosen:
        if not (BENCH / f"{name}.py").exists():
            sections.append((name, title, [], "bench/" + name + ".py is missing"))
            continue
        remaining = TOTAL_BUDGET - (time.monotonic() - started)
        if remaining < 10:
            sections.append((name, title, [], "the 10-minute budget ran out before it"))
            continue
        print(f"== {name} (limit {min(limit, remaining):.0f} s)", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        rows, error = run_child(name, "main", min(limit, remaining))
        print(f"== {name}: {time.monotonic() - t0:.0f} s {error}", file=sys.stderr, flush=True)
        sections.append((name, title, normalise(name, rows or []), error))
    profiles: list[tuple[str, str, str]] = []
    for name, _title, rows, _ in sections:
        failed = [r["name"] for r in rows if r.get("met") is False]
        remaining = TOTAL_BUDGET - (time.monotonic() - started)
        if not failed or remaining < 15 or not _has_profile(name):
            continue
        print(f"== profiling {name} for: {', '.join(failed)}", file=sys.stderr, flush=True)
        result, error = run_child(name, "profile", min(PROFILE_LIMIT, remaining), failed)
        for item in result or []:
            profiles.append((name, item["title"], item["text"]))
        if error:
            profiles.append((name, f"profiling {error}", ""))
    info["elapsed"] = time.monotonic() - started
    info["load_end"] = f"{os.getloadavg()[0]:.2f}"
    info["versions"] = versions()
    for _, title, rows, error in sections:
        print_table(title + (f" — {error}" if error else ""), rows)
    for _, profile_title, text in profiles:
        print(f"\nProfile: {profile_title}\n{text.rstrip()}")
    print(f"\nTotal {info['elapsed']:.0f} s; load average {info['load_start']} → {info['load_end']}")
    if not argv:
        DOC.write_text(markdown(sections, info, profiles))
        print(f"Wrote {DOC.relative_to(ROOT)}")
    else:
        print("(a partial run: docs/benchmarks.md left as it was)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
