"""The built-in llama.cpp model beside the web app: started in the background, its provider kept current.

The web app must answer at once, while the model file may still be fetched and the
server may take seconds to load it, so all of that happens in a thread.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from drupe.local.provider import LOCAL_PROVIDER, ensure_local_provider

if TYPE_CHECKING:
    from drupe.local.supervisor import LocalServer
    from drupe.registry import Registry

LocalState = Literal["disabled", "starting", "ready", "stopped", "error"]
_STATUS: dict[str, LocalState] = {"starting": "starting", "running": "ready", "crashed": "error", "stopped": "stopped"}


@dataclass(frozen=True)
class LocalStatus:
    """What `GET /api/local` returns (see docs/api.md for what each state means)."""

    status: LocalState
    step: str | None = None
    base_url: str | None = None
    model: str | None = None
    provider: str | None = None
    last_error: str | None = None


class LocalModel:
    """Runs a `LocalServer` for the app's lifetime; `status()` is what `GET /api/local` returns."""

    def __init__(self, model_path: Path | None = None, **server_options: Any) -> None:
        self.model_path = model_path
        self.server_options = server_options
        self.server: LocalServer | None = None
        self.error = ""
        self.step = ""
        """What the start is doing now (downloading, unpacking, loading), for a user who waits."""
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start_in_background(self, registry: Registry) -> None:
        self._thread = threading.Thread(target=self._run, args=(registry,), name="drupe-local-model", daemon=True)
        self._thread.start()

    def _run(self, registry: Registry) -> None:
        from drupe.errors import DrupeError
        from drupe.local.model_files import ensure_model
        from drupe.local.supervisor import LocalServer

        def ready(server: LocalServer) -> None:
            ensure_local_provider(registry, server.base_url, server.model_id)

        def step(words: str) -> None:
            self.step = words

        try:
            model_path = self.model_path or ensure_model(on_step=step)
            step(f"loading {model_path.name}")
            with self._lock:
                if self._stopped.is_set():
                    return
                self.server = LocalServer(model_path, on_ready=ready, **self.server_options)
            self.server.start()
        except DrupeError as exc:
            self.error = str(exc)

    async def stop(self) -> None:
        """Stop the server, or stop it from starting; waits for the child to end."""
        with self._lock:
            self._stopped.set()
            server = self.server
        if server is not None:
            await asyncio.to_thread(server.stop)

    def status(self) -> LocalStatus:
        server = self.server
        if server is None:
            status: LocalState = "error" if self.error else "stopped" if self._stopped.is_set() else "starting"
            return LocalStatus(status, step=self.step if status == "starting" else None, last_error=self.error or None)
        status = _STATUS[server.status]
        return LocalStatus(
            status,
            step=self.step if status == "starting" else None,
            base_url=server.base_url if status == "ready" else None,
            model=server.model_id or None,
            provider=LOCAL_PROVIDER if status == "ready" else None,
            last_error=self.error or server.last_error or None,
        )
