"""`python -m drupe.local serve …`: the local model server as the supervisor starts it.

`local` knows no CLI: this reads the few options the supervisor passes (see `LocalServer._launch`)
with argparse and serves in the foreground. `drupe local serve` is the user's command for the same.
"""

import argparse
import sys
from pathlib import Path

from drupe.errors import DrupeError


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m drupe.local")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="Serve a GGUF model in the foreground.")
    serve.add_argument("--model", type=Path, required=True)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--ctx", type=int, default=4096)
    serve.add_argument("--threads", type=int, default=None)
    serve.add_argument("--parallel", type=int, default=2)
    serve.add_argument("--verbose", action="store_true")
    serve.add_argument("--until-stdin-closes", action="store_true")
    serve.add_argument("--chat-template-file", type=Path, default=None)
    return parser.parse_args(argv)


def _read_template(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DrupeError(
            f"cannot read the chat template {path}: {exc}", code="invalid", what="chat_template", path=str(path)
        ) from None


def main(argv: list[str]) -> None:
    from drupe.local.server import model_id_for, serve

    options = _arguments(argv)
    template = _read_template(options.chat_template_file) if options.chat_template_file else None

    def announce(address: str) -> None:
        print(f"Serving {model_id_for(options.model)} at {address}/", flush=True)

    serve(
        options.model, host=options.host, port=options.port, ctx=options.ctx, threads=options.threads,
        parallel=options.parallel, verbose=options.verbose, until_stdin_closes=options.until_stdin_closes,
        chat_template=template, on_ready=announce,
    )  # fmt: skip


try:
    main(sys.argv[1:])
except DrupeError as exc:
    sys.stderr.write(f"error: {exc}\n")
    sys.exit(1)
