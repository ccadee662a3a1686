"""The `drupe` command. Sub-commands live in their own modules; heavy imports stay inside commands."""

from __future__ import annotations

import inspect
import sys
from importlib import import_module
from types import ModuleType

import typer

from drupe.i18n import _

# The module behind each top-level command, in the order `drupe --help` lists them.
COMMAND_MODULES = {
    "provider": "provider",
    "model": "model",
    "conversations": "conversations",
    "local": "local",
    "mcp": "mcp",
    "route": "route",
    "gateway": "gateway",
    "export": "transfer",
    "import": "transfer",
    "chat": "chat",
    "serve": "serve",
}
_GROUPS = ("provider", "model", "conversations", "local", "mcp", "route", "gateway")


def build_app(command: str | None = None) -> typer.Typer:
    """The `drupe` app. Given the command about to run, only its module is imported and turned
    into click parameters (doing it for every command costs ~25 ms of each run's start-up);
    for anything else (`--help`, a typo) every command is listed by name and help alone."""
    app = typer.Typer(
        help=_(
            "drupe: chat with any AI provider (OpenAI, OpenAI Responses, Anthropic, Gemini, Azure OpenAI, "
            "or any compatible server such as vLLM or llama.cpp)."
        ),
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        rich_markup_mode=None,
    )

    @app.callback()
    def _group() -> None:
        """Keeps `drupe` a group of commands even when only one of them is loaded."""

    if command in COMMAND_MODULES:
        name = COMMAND_MODULES[command]
        module = import_module(f"drupe.cli.{name}")
        if name in _GROUPS:
            app.add_typer(module.app, name=name)
        else:
            module.register(app)
        return app
    for name in dict.fromkeys(COMMAND_MODULES.values()):
        _list(app, name, import_module(f"drupe.cli.{name}"))
    return app


def _list(app: typer.Typer, name: str, module: ModuleType) -> None:
    """Add a module's commands as stand-ins that carry only their name and help: enough for
    the list `drupe --help` prints, without building every option of every command."""
    if name in _GROUPS:
        app.add_typer(typer.Typer(help=module.app.info.help), name=name)
        return
    real = typer.Typer()
    module.register(real)
    for info in real.registered_commands:
        if info.callback is None:  # `app.command()` always sets one; only a hand-built CommandInfo lacks it
            continue
        command = info.name or typer.main.get_command_name(info.callback.__name__)
        app.command(command, help=info.help or inspect.getdoc(info.callback))(_listed_only)


def _listed_only() -> None:
    """Never run: `main` builds the real command before running one."""


def main() -> None:
    import gc

    from drupe.errors import DrupeError

    try:
        build_app(sys.argv[1] if len(sys.argv) > 1 else None)()
    except DrupeError as exc:
        from drupe.cli.errors import describe

        sys.stderr.write(_("error: {message}", message=describe(exc)) + "\n")
        sys.exit(1)
    finally:
        # The process is about to exit: keep the interpreter's final garbage collections from
        # walking every object imported (~40 ms after SQLAlchemy). atexit handlers still run.
        gc.freeze()
