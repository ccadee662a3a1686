"""One-shot chat: `drupe chat -p P -m M --no-stream "hi"` next to curl and Simon Willison's `llm`.

All three ask the same zero-delay fake OpenAI upstream (tests/fakes/upstream.py, in
its own process) for the same non-streamed answer:

- curl: the direct HTTP request, the floor;
- drupe: a fresh `drupe chat` process (it also stores the conversation);
- llm: a fresh `llm -m M --no-stream "hi"` from its own venv (bench/.venv-llm, made
  here with pip on first use), configured for the same upstream through
  `extra-openai-models.yaml` in a temporary LLM_USER_PATH (it also logs to SQLite).

They take turns, run after run; "adds" is each run's time minus the same run's curl
time, so load on the machine hits both sides of each difference alike.

    python bench/oneshot.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import (
    BENCH,
    DRUPE,
    MODEL,
    PROVIDER,
    add_fake_provider,
    drupe,
    drupe_home,
    fake_upstream,
    print_table,
    row,
    timed_run,
)

RUNS = 10
WARMUP = 2
LLM_VERSION = "0.36"
LLM_VENV = BENCH / ".venv-llm"


def llm_bin() -> Path | None:
    """The `llm` CLI in its own venv, installed with pip the first time; None if that fails."""
    exe = LLM_VENV / "bin" / "llm"
    if exe.exists():
        return exe
    print(f"installing llm=={LLM_VERSION} into {LLM_VENV} (first run only) …", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(LLM_VENV)], check=True, timeout=120)
        subprocess.run(
            [str(LLM_VENV / "bin" / "pip"), "install", "--quiet", f"llm=={LLM_VERSION}"], check=True, timeout=300
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"could not install llm: {exc}", file=sys.stderr)
        return None
    return exe if exe.exists() else None


def llm_version(exe: Path) -> str:
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60).stdout
    return out.strip().rsplit(" ", 1)[-1]


def main() -> list[dict]:
    exe = llm_bin()
    with fake_upstream(text="Hello world") as url, drupe_home() as env, tempfile.TemporaryDirectory() as llm_home:
        add_fake_provider(env, url)
        body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})
        commands = {
            "curl": ["curl", "-sS", "-o", "/dev/null", "--fail", "-H", "content-type: application/json",
                     "-H", "authorization: Bearer sk-bench", "-d", body, f"{url}/v1/chat/completions"],
            "drupe": [DRUPE, "chat", "-p", PROVIDER, "-m", MODEL, "--no-stream", "hi"],
        }  # fmt: skip
        llm_env = dict(env)
        if exe is not None:
            Path(llm_home, "extra-openai-models.yaml").write_text(
                f'- model_id: {MODEL}\n  model_name: {MODEL}\n  api_base: "{url}/v1"\n'
            )
            llm_env.update(LLM_USER_PATH=llm_home, OPENAI_API_KEY="sk-bench")
            commands["llm"] = [str(exe), "-m", MODEL, "--no-stream", "hi"]
        answer = drupe(env, "chat", "-p", PROVIDER, "-m", MODEL, "--no-stream", "hi").stdout.strip()
        if answer != "Hello world":
            raise RuntimeError(f"drupe chat answered {answer!r}")
        wall: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for run in range(WARMUP + RUNS):
            for name, args in commands.items():
                elapsed, cpu_ms = timed_run(args, llm_env if name == "llm" else env)
                if run >= WARMUP:
                    wall[name].append(elapsed)
                    cpu[name].append(cpu_ms)

    def cpu_note(name: str) -> str:
        return f"CPU time (user+sys) median {statistics.median(cpu[name]):.0f} ms"

    drupe_adds = [d - c for d, c in zip(wall["drupe"], wall["curl"])]
    rows = [
        row("one-shot: curl, direct request", wall["curl"], "ms", note=cpu_note("curl")),
        row("one-shot: drupe chat --no-stream", wall["drupe"], "ms", note=cpu_note("drupe")),
    ]
    if "llm" in wall:
        llm_adds = [lm - c for lm, c in zip(wall["llm"], wall["curl"])]
        rows.append(row(f"one-shot: llm {llm_version(exe)} --no-stream", wall["llm"], "ms", note=cpu_note("llm")))
    rows.append(row("one-shot: drupe adds over curl", drupe_adds, "ms", target="< 250 ms", limit=250))
    if "llm" in wall:
        rows.append(row("one-shot: llm adds over curl", llm_adds, "ms"))
        ratio = [d / lm for d, lm in zip(drupe_adds, llm_adds) if lm > 0]
        rows.append(row("one-shot: drupe's added time / llm's", ratio, "×", target="< 0.33", limit=1 / 3))
    else:
        rows.append(row("one-shot: llm (not installed)", [], "ms", met=False, note="pip install of llm failed"))
    return rows


if __name__ == "__main__":
    print_table("One-shot chat against a zero-delay fake OpenAI upstream", main())


def profile(failed: list[str]) -> list[dict]:
    """py-spy profile of `drupe chat --no-stream` against the same fake upstream."""
    from common import PYTHON
    from profiles import profile_command

    with fake_upstream(text="Hello world") as url, drupe_home() as env:
        add_fake_provider(env, url)
        drupe(env, "chat", "-p", PROVIDER, "-m", MODEL, "--no-stream", "hi")
        args = [PYTHON, DRUPE, "chat", "-p", PROVIDER, "-m", MODEL, "--no-stream", "hi"]
        return [{"title": "drupe chat --no-stream (one-shot)", "text": profile_command(args, env, title="drupe chat")}]
