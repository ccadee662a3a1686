"""A real llama.cpp server for the whole test session, serving the default model (SmolLM2-135M).

The GGUF file is fetched once into `<repo>/.cache/models` and kept across runs.
The server runs in a child process through drupe's own supervisor, so its threads never share pytest's.
Without the `local` extra (`pip install -e '.[local]'`, which `make test` installs) the tests that
need the server skip, saying so, instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drupe.local.model_files import ensure_model
from drupe.local.supervisor import LocalServer

MODEL_CACHE = Path(__file__).resolve().parent.parent / ".cache" / "models"


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The default model's GGUF file, fetched on first use only."""
    return ensure_model(directory=MODEL_CACHE)


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """Started on a free 127.0.0.1 port; has `.base_url` (no /v1), `.port`, `.model_id`, `.model_path`."""
    pytest.importorskip("xllamacpp", reason="llama.cpp tests need the `local` extra: pip install -e '.[local]'")
    server = LocalServer(
        smollm2_gguf,
        ctx=4096,
        threads=2,
        parallel=2,
        log_path=tmp_path_factory.mktemp("llama") / "server.log",
        start_timeout=120.0,
    )
    server.start()
    yield server
    server.stop()
