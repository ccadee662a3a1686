"""Start-up: `drupe --help` and `drupe provider list` next to `python -c pass`.

Each command is a fresh process, as a user runs it (the venv's `drupe` script). The
three commands take turns, run after run, so load on the machine hits them alike.
`provider list` runs against a data folder holding one provider with one model
(so the table is drawn and a key is decrypted), created before timing starts.
Wall time is the figure; CPU time (user+sys) is given beside it because it barely
moves when other work shares the machine.

    python bench/startup.py
"""

from __future__ import annotations

import statistics

from common import DRUPE, PYTHON, add_fake_provider, drupe, drupe_home, print_table, row, timed_run

RUNS = 15
WARMUP = 2

COMMANDS = {
    "python -c pass": ([PYTHON, "-c", "pass"], "", None),
    "drupe --help": ([DRUPE, "--help"], "< 100 ms", 100),
    "drupe provider list": ([DRUPE, "provider", "list"], "< 300 ms", 300),
}


def main() -> list[dict]:
    wall: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpu: dict[str, list[float]] = {name: [] for name in COMMANDS}
    with drupe_home() as env:
        add_fake_provider(env, "http://127.0.0.1:9")
        drupe(env, "provider", "list")  # the schema is migrated and .pyc files exist before timing
        for run in range(WARMUP + RUNS):
            for name, (args, _, _) in COMMANDS.items():
                elapsed, cpu_ms = timed_run(args, env)
                if run >= WARMUP:
                    wall[name].append(elapsed)
                    cpu[name].append(cpu_ms)
    rows = []
    for name, (_, target, limit) in COMMANDS.items():
        label = f"start-up: {name}" + (" (baseline)" if limit is None else "")
        note = f"CPU time (user+sys) median {statistics.median(cpu[name]):.0f} ms, min {min(cpu[name]):.0f} ms"
        rows.append(row(label, wall[name], "ms", target=target, limit=limit, note=note))
    return rows


if __name__ == "__main__":
    print_table("Start-up (wall time of a fresh process)", main())


def profile(failed: list[str]) -> list[dict]:
    """py-spy profiles of the start-up commands that missed their target."""
    from profiles import profile_command

    out = []
    with drupe_home() as env:
        add_fake_provider(env, "http://127.0.0.1:9")
        drupe(env, "provider", "list")
        for name, (args, _, limit) in COMMANDS.items():
            if limit is not None and any(name in f for f in failed):
                text = profile_command([PYTHON, *args] if args[0] == DRUPE else args, env, title=name)
                out.append({"title": name, "text": text})
    return out
