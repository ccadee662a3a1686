"""`drupe --help` lists stand-ins for the commands (name and help only); they must read as the real ones."""

import subprocess
import sys

import pytest
import typer.main

from drupe.cli import COMMAND_MODULES, build_app
from tests.cli_helpers import run_drupe


def short_helps(app: typer.Typer) -> dict[str, str]:
    group = typer.main.get_command(app)
    ctx = group.context_class(group, info_name="drupe")
    return {name: group.get_command(ctx, name).get_short_help_str(200) for name in group.list_commands(ctx)}


def test_the_list_gives_every_command_its_own_help():
    listed = short_helps(build_app())
    assert sorted(listed) == sorted(COMMAND_MODULES)
    for command in COMMAND_MODULES:
        assert listed[command] == short_helps(build_app(command))[command]
        assert listed[command]


def test_drupe_help_prints_the_list():
    out = run_drupe("--help").stdout
    listed = out.split("Commands:\n", 1)[1].split()
    assert all(command in listed for command in COMMAND_MODULES)


@pytest.mark.parametrize("args", [[], ["no-such-command"]])
def test_without_a_known_command_the_list_is_shown_or_the_typo_named(args):
    result = run_drupe(*args)
    assert result.returncode == 2
    assert "Commands:" in result.stdout + result.stderr or "No such command 'no-such-command'" in result.stderr


# Heavy packages `drupe --help` must not import (CONTRIBUTING.md, "Start-up time"): the HTTP client,
# the database layer, the web stack and its validation, llama.cpp, and the MCP SDK.
LAZY = ("httpx2", "sqlalchemy", "pydantic", "fastapi", "starlette", "uvicorn", "xllamacpp", "mcp")


def test_drupe_help_imports_none_of_the_heavy_packages():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "drupe", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    # each line of -X importtime ends with the module's name, indented by its depth
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "typer" in imported  # the probe sees imports at all
    heavy = sorted(name for name in imported if name.split(".")[0] in LAZY)
    assert heavy == [], f"drupe --help imports {heavy}: keep them inside the functions that need them"
