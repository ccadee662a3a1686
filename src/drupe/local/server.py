"""Run llama.cpp's own HTTP server (from the xllamacpp wheel) inside this process until a signal.

llama.cpp serves OpenAI chat completions, the Responses API and Anthropic Messages,
so drupe talks to it like to any other provider.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.local.model_files import check_gguf

_EXIT_GRACE_SECONDS = 5.0
_LOG_WARNINGS = 2  # llama.cpp verbosity: 1 errors, 2 warnings, 3 info (one line per request)
_LOG_INFO = 3


def model_id_for(model_path: Path) -> str:
    """The name the server reports in /v1/models: the file name without `.gguf`, not the full path."""
    return model_path.name.removesuffix(".gguf")


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on `host:port` (a bind test, as llama.cpp would bind)."""
    with socket.socket(_address_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now."""
    with socket.socket(_address_family(host), socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _address_family(host: str) -> socket.AddressFamily:
    try:
        return socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror:
        raise DrupeError(
            _("cannot listen on {host}: no such address. Use an IP address such as 127.0.0.1.", host=repr(host)),
            code="invalid",
            field="host",
        ) from None


def serve(
    model_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    ctx: int = 4096,
    threads: int | None = None,
    parallel: int = 2,
    verbose: bool = False,
    until_stdin_closes: bool = False,
    chat_template: str | None = None,
    on_ready: Callable[[str], None] = print,
) -> None:
    """Serve `model_path` until SIGINT or SIGTERM; `on_ready` gets the address once it answers.

    With `until_stdin_closes`, also stop when stdin reaches its end: a supervisor holding the other end
    of the pipe can then die any way it likes, even SIGKILL, without leaving this server behind.

    Tools: llama.cpp reads a request's `tools` only through the model's Jinja chat template (`--jinja`,
    xllamacpp's default, set here all the same), and takes its call format from how that template
    renders a call. A template that renders no tools, as SmolLM2's does not, makes llama.cpp drop them
    without a word: the model answers in text, whatever `tool_choice` says. `chat_template` (Jinja
    source) replaces the model's own, for a model whose template lacks tools or is wrong. It is off by
    default: a template that makes a small model call reliably can cost its text answers (see
    `tests/templates/chatml_function_calls.jinja`).
    """
    check_gguf(model_path)
    if port and not port_is_free(host, port):
        raise DrupeError(
            _("port {port} on {host} is already in use.", port=port, host=host),
            code="conflict", what="port", port=port, free=port + 1,
        )  # fmt: skip
    try:
        import xllamacpp
    except ImportError:
        raise DrupeError(
            _("the local server needs the 'local' extra: pip install 'drupe[local]'"),
            code="unavailable", what="xllamacpp",
        ) from None  # fmt: skip

    params = xllamacpp.CommonParams()
    params.model.path = str(model_path)
    params.model_alias = {model_id_for(model_path)}
    params.hostnames = [host]
    params.port = port
    params.n_ctx = ctx  # shared by the parallel slots
    params.n_parallel = parallel
    if threads:
        params.cpuparams.n_threads = threads
    params.verbosity = _LOG_INFO if verbose else _LOG_WARNINGS
    params.use_jinja = True
    if chat_template:
        params.chat_template = chat_template

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    if until_stdin_closes:
        threading.Thread(target=_set_at_end_of_stdin, args=(stop,), daemon=True).start()
    try:
        server = xllamacpp.Server(params)
    except RuntimeError:
        raise DrupeError(
            _(
                "llama.cpp could not load {model} or listen on {host}:{port}; its log above says why.",
                model=model_path,
                host=host,
                port=port,
            ),
            code="unavailable",
            what="local_server",
        ) from None
    on_ready(server.listening_address)
    stop.wait()
    # llama.cpp's shutdown can stall; never let that keep Ctrl-C from ending the process.
    watchdog = threading.Timer(_EXIT_GRACE_SECONDS, os._exit, args=(0,))
    watchdog.daemon = True
    watchdog.start()
    del server


def _set_at_end_of_stdin(event: threading.Event) -> None:
    # The raw descriptor, not sys.stdin: a daemon thread inside a buffered read aborts interpreter shutdown.
    while os.read(sys.stdin.fileno(), 4096):
        pass
    event.set()
