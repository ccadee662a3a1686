"""`drupe local …`: serve a GGUF model with llama.cpp, list the models drupe keeps."""

from __future__ import annotations

from pathlib import Path

import typer

from drupe.i18n import _

app = typer.Typer(
    help=_("The built-in local model server (llama.cpp)."),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command(help=_("Run llama.cpp's HTTP server in the foreground (OpenAI, Responses and Anthropic APIs)."))
def serve(
    model: Path | None = typer.Option(
        None, "--model", "-m", help=_("A GGUF file; the default is SmolLM2-135M-Instruct, fetched once (~93 MB).")
    ),
    host: str = typer.Option("127.0.0.1", "--host", help=_("The address to listen on.")),
    port: int = typer.Option(
        8000, "--port", "-p", min=0, max=65535, help=_("The port to listen on; 0 picks a free one.")
    ),
    ctx: int = typer.Option(4096, "--ctx", min=256, help=_("Context size in tokens, shared by the parallel slots.")),
    threads: int | None = typer.Option(None, "--threads", min=1, help=_("CPU threads; default: llama.cpp decides.")),
    parallel: int = typer.Option(2, "--parallel", min=1, help=_("How many requests run at once.")),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=_("Log every request.")),
    until_stdin_closes: bool = typer.Option(False, "--until-stdin-closes", hidden=True),
) -> None:
    from drupe.local.model_files import DEFAULT_MODEL, ensure_model, models_dir
    from drupe.local.server import model_id_for
    from drupe.local.server import serve as serve_model

    if model is None:
        if not (models_dir() / DEFAULT_MODEL.filename).is_file():
            typer.echo(_("Fetching the default model ({size}, once)…", size=DEFAULT_MODEL.requirement), err=True)
        model = ensure_model()

    def announce(address: str) -> None:
        typer.echo(
            _(
                "Serving {model} at {address}/  (OpenAI-compatible; Ctrl-C stops)",
                model=model_id_for(model),
                address=address,
            )
        )

    serve_model(
        model, host=host, port=port, ctx=ctx, threads=threads, parallel=parallel, verbose=verbose,
        until_stdin_closes=until_stdin_closes, on_ready=announce,
    )  # fmt: skip


@app.command(help=_("List the GGUF files in drupe's models folder."))
def models(as_json: bool = typer.Option(False, "--json", help=_("Print JSON."))) -> None:
    from drupe.local.model_files import list_models, models_dir

    found = list_models()
    if as_json:
        from drupe.cli.common import print_json

        print_json([{"name": item.name, "size": item.size, "path": str(item.path)} for item in found])
        return
    if not found:
        typer.echo(_("No models in {folder}. `drupe local serve` fetches the default one.", folder=models_dir()))
        return
    for item in found:
        typer.echo(f"{item.name}  {item.size / 1_000_000:.1f} MB")
