"""The `Local` provider follows the built-in server: created once, its address kept current."""

from __future__ import annotations

import json

from drupe.cli.common import open_registry
from drupe.local.provider import ensure_local_provider
from drupe.local.supervisor import LocalServer
from tests.cli_helpers import run_drupe


def test_creates_an_enabled_openai_provider_with_the_model():
    registry = open_registry()
    provider = ensure_local_provider(registry, "http://127.0.0.1:4100", "tiny")
    assert (provider.name, provider.type, provider.enabled) == ("Local", "openai", True)
    assert provider.base_url == "http://127.0.0.1:4100"
    assert [m.model_id for m in registry.list_models("Local")] == ["tiny"]


def test_follows_a_new_port_and_keeps_what_the_user_added():
    registry = open_registry()
    ensure_local_provider(registry, "http://127.0.0.1:4100", "tiny")
    registry.add_model("Local", "my-other-model")
    registry.edit_provider("Local", enabled=False)
    provider = ensure_local_provider(registry, "http://127.0.0.1:4200", "tiny")
    assert (provider.enabled, provider.base_url) == (True, "http://127.0.0.1:4200")
    assert [m.model_id for m in registry.list_models("Local")] == ["tiny", "my-other-model"]
    assert len(registry.list_providers()) == 1


def test_a_supervised_server_keeps_the_provider_usable_for_chat(smollm2_gguf, tmp_path):
    """What `drupe serve` does: on every (re)start, point `Local` at the server; then a user chats."""
    registry = open_registry()
    ensure_local_provider(registry, "http://127.0.0.1:9", "stale-model")  # left from an earlier run

    def on_ready(ready: LocalServer) -> None:
        ensure_local_provider(registry, ready.base_url, ready.model_id)

    server = LocalServer(smollm2_gguf, ctx=1024, threads=1, parallel=1, log_path=tmp_path / "log", on_ready=on_ready)
    with server:
        assert registry.find_provider("Local").base_url == server.base_url
        answer = run_drupe("chat", "-p", "Local", "-m", server.model_id, "--max-tokens", "8", "--json", "Say hi.")
    assert answer.returncode == 0, answer.stderr
    (stored,) = json.loads(answer.stdout)["answers"]
    assert stored["status"] == "complete", stored


def test_an_unchanged_server_writes_nothing():
    registry = open_registry()
    first = ensure_local_provider(registry, "http://127.0.0.1:4100", "tiny")
    again = ensure_local_provider(registry, "http://127.0.0.1:4100", "tiny")
    assert again.updated_at == first.updated_at
    assert len(registry.list_models("Local")) == 1
