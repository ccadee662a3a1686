"""Keep `drupe local serve` running as a child process, for `drupe serve` and for tests.

A child process, not threads in ours: llama.cpp crashing or hanging must not take drupe with it,
and stopping it frees all its memory. A crashed child is restarted a few times, then reported.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from drupe.errors import DrupeError
from drupe.local.model_files import check_gguf
from drupe.local.server import free_port, port_is_free

Status = Literal["stopped", "starting", "running", "crashed"]

_POLL_SECONDS = 0.1
_LOG_TAIL_LINES = 8


class LocalServer:
    """One llama.cpp server child: `start()` waits until it answers, `stop()` ends it.

    Blocking methods, so it works from threads, tests and asyncio (`async with` runs them in a thread).
    `on_ready` is called after every (re)start, from the thread that did it: the port may have changed.
    `chat_template_file` replaces the model's chat template (see `drupe.local.server.serve`).
    """

    def __init__(
        self,
        model_path: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ctx: int = 4096,
        threads: int | None = None,
        parallel: int = 2,
        chat_template_file: Path | None = None,
        log_path: Path | None = None,
        start_timeout: float = 60.0,
        max_restarts: int = 3,
        on_ready: Callable[[LocalServer], None] | None = None,
    ) -> None:
        self.model_path = Path(model_path)
        self.host = host
        self.requested_port = port
        self.ctx = ctx
        self.threads = threads
        self.parallel = parallel
        self.chat_template_file = chat_template_file
        self.log_path = log_path
        self.start_timeout = start_timeout
        self.max_restarts = max_restarts
        self.on_ready = on_ready
        self.status: Status = "stopped"
        self.last_error = ""
        self.restarts = 0
        self.port = 0
        self.model_id = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The address without `/v1`, as a provider's base URL."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Spawn the server and wait until it answers; raise DrupeError with its log when it does not."""
        if self.status in ("starting", "running"):
            return
        check_gguf(self.model_path)
        if self.log_path is None:
            from drupe.config import home

            self.log_path = home() / "local-server.log"
        self._stopping.clear()
        self.restarts = 0
        self.last_error = ""
        try:
            self._launch()
        except DrupeError as exc:
            self.status, self.last_error = "crashed", str(exc)
            raise
        self._watcher = threading.Thread(target=self._watch, name="drupe-local-server", daemon=True)
        self._watcher.start()
        if self.on_ready:
            self.on_ready(self)

    def stop(self, timeout: float = 10.0) -> None:
        """End the child (SIGTERM, then SIGKILL after `timeout`) and stop restarting it."""
        self._stopping.set()
        self._terminate(timeout)
        if self._watcher:
            self._watcher.join(timeout)
            self._watcher = None
        self._terminate(timeout)  # a restart may have spawned a child meanwhile
        self.status = "stopped"

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> LocalServer:
        import asyncio

        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        import asyncio

        await asyncio.to_thread(self.stop)

    def _launch(self) -> None:
        self.status = "starting"
        self.port = self._choose_port()
        command = [
            sys.executable, "-m", "drupe.local", "serve",
            "--model", str(self.model_path), "--host", self.host, "--port", str(self.port),
            "--ctx", str(self.ctx), "--parallel", str(self.parallel), "--until-stdin-closes",
        ]  # fmt: skip
        if self.threads:
            command += ["--threads", str(self.threads)]
        if self.chat_template_file:
            command += ["--chat-template-file", str(self.chat_template_file)]
        assert self.log_path is not None
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n".encode())
            log.flush()
            # Its own session: a Ctrl-C meant for drupe must not reach it first and look like a crash.
            # Its stdin is a pipe from us: when we die, it sees the end and stops too.
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_until_ready()
        self.status = "running"

    def _choose_port(self) -> int:
        if self.requested_port:
            if not port_is_free(self.host, self.requested_port):
                raise DrupeError(
                    f"port {self.requested_port} on {self.host} is already in use; "
                    "stop what uses it or choose another port.",
                    code="conflict", what="local_port", port=self.requested_port,
                )  # fmt: skip
            return self.requested_port
        if self.port and port_is_free(self.host, self.port):
            return self.port  # after a crash, keep the address the provider already points at
        return free_port(self.host)

    def _wait_until_ready(self) -> None:
        import httpx2

        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout
        with httpx2.Client(base_url=self.base_url, timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    raise DrupeError(
                        f"the local server exited with code {self._process.returncode} while starting: "
                        f"{self._log_tail()}",
                        code="unavailable", what="local_server",
                    )  # fmt: skip
                if self._stopping.is_set():
                    self._terminate(5.0)
                    raise DrupeError(
                        "the local server was stopped while starting.", code="unavailable", what="local_server"
                    )
                try:
                    if client.get("/health").status_code == 200:
                        models = client.get("/v1/models").json()["data"]
                        self.model_id = models[0]["id"]
                        return
                except httpx2.TransportError:
                    pass
                time.sleep(_POLL_SECONDS)
        self._terminate(5.0)
        raise DrupeError(
            f"the local server did not answer within {self.start_timeout:.0f} s; its log is in {self.log_path}. "
            f"Last lines: {self._log_tail()}",
            code="unavailable", what="local_server",
        )  # fmt: skip

    def _watch(self) -> None:
        """Restart the child when it dies on its own, at most `max_restarts` times, then report it."""
        while True:
            assert self._process is not None
            code = self._process.wait()
            _close_stdin(self._process)
            if self._stopping.is_set():
                return
            self.last_error = f"the local server exited with code {code}: {self._log_tail()}"
            while True:
                if self.restarts >= self.max_restarts:
                    self.status = "crashed"
                    self.last_error += f" (gave up after {self.restarts} restarts; log: {self.log_path})"
                    return
                self.restarts += 1
                self.status = "starting"
                if self._stopping.wait(min(2.0 ** (self.restarts - 1), 10.0)):
                    return
                try:
                    self._launch()
                except DrupeError as exc:
                    self.last_error = str(exc)
                    continue
                break
            if self.on_ready:
                try:
                    self.on_ready(self)
                except Exception as exc:  # the server is fine; only the caller's bookkeeping failed
                    self.last_error = f"restarted, but on_ready failed: {exc}"

    def _terminate(self, timeout: float) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        _close_stdin(process)

    def _log_tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        lines = self.log_path.read_text(errors="replace").splitlines()
        errors = [line for line in lines[-200:] if line.startswith("error:")]
        return " | ".join(errors[-1:] or lines[-_LOG_TAIL_LINES:])


def _close_stdin(process: subprocess.Popen[bytes]) -> None:
    if process.stdin:
        process.stdin.close()
