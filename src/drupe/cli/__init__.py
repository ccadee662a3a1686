"""The `drupe` command. Sub-commands live in their own modules; heavy imports stay inside commands."""

from __future__ import annotations

import sys

import typer

from drupe.cli import chat, conversations, local, model, provider, serve, transfer

app = typer.Typer(
    help="drupe: chat with any AI provider (OpenAI, OpenAI Responses, Anthropic, Gemini, Azure OpenAI, "
    "or any compatible server such as vLLM or llama.cpp).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(provider.app, name="provider")
app.add_typer(model.app, name="model")
app.add_typer(conversations.app, name="conversations")
app.add_typer(local.app, name="local")
transfer.register(app)
chat.register(app)
serve.register(app)


def main() -> None:
    import gc

    from drupe.errors import DrupeError

    try:
        app()
    except DrupeError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(1)
    finally:
        # The process is about to exit: keep the interpreter's final garbage collections from
        # walking every object imported (~40 ms after SQLAlchemy). atexit handlers still run.
        gc.freeze()
