"""The health check (every chat model × every key) through `drupe provider check --all-models`,
against fake upstreams that accept only some keys, over real sockets."""

import json

import pytest

from drupe.registry import Registry
from drupe.store import open_store
from tests.cli_helpers import run_drupe

GOOD = ("good-key-one-1111", "good-key-two-2222")
BAD = "bad-key-three-3333"


def add(up, keys=(*GOOD[:1], BAD, GOOD[1]), models=("fake-model", "fake-model-2")):
    registry = Registry(open_store())
    registry.add_provider("P", up.kind, base_url=up.base_url, api_keys=list(keys))
    for model in models:
        registry.add_model("P", model)
    return registry


def chats(up):
    return [r for r in up.requests if r.method != "GET"]


@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini"])
def test_matrix_by_model_list_sends_no_chat_and_marks_the_bad_key(fake_upstream, kind):
    up = fake_upstream(kind, api_key=GOOD, models=("other", "more", "fake-model"), page_size=2)
    add(up)
    result = run_drupe("provider", "check", "P", "--all-models", "--json")
    assert result.returncode == 1, result.stderr
    health = json.loads(result.stdout)
    assert health["method"] == "models"
    assert health["keys"] == ["goo…1111", "bad…3333", "goo…2222"]
    assert health["models"] == ["fake-model", "fake-model-2"]
    cells = {(c["model"], c["key_index"]): c for c in health["cells"]}
    for model in health["models"]:
        assert cells[model, 0]["ok"] and cells[model, 2]["ok"]
        assert not cells[model, 1]["ok"] and cells[model, 1]["error"]["kind"] == "auth"
    assert cells["fake-model", 0]["listed"] is True and cells["fake-model-2", 0]["listed"] is False
    assert health["refused_keys"] == [1]
    # One keyless probe, the refusal of the bad key, every page of the list per good key; no chat.
    pages = 1 if kind == "openai" else 2  # OpenAI's list has no pages; the others' have 2 here
    assert not chats(up) and len(up.requests) == 1 + 1 + 2 * pages
    assert "good-key" not in result.stdout + result.stderr


def test_matrix_text_and_a_line_per_failing_key(fake_upstream):
    up = fake_upstream("openai", api_key=GOOD)
    add(up)
    result = run_drupe("provider", "check", "P", "--all-models")
    assert result.returncode == 1
    header, first, second = result.stdout.splitlines()[:3]
    assert header.split() == ["model", "goo…1111", "bad…3333", "goo…2222"]
    assert first.startswith("fake-model ") and first.count("✓") == 2 and "✗ auth" in first
    assert second.startswith("fake-model-2") and second.count("✓") == 2 and "✗ auth" in second
    assert "model list (no answer paid for)" in result.stdout
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed")]
    assert len(failed) == 1 and "bad…3333" in failed[0] and "auth" in failed[0] and "refused the key" in failed[0]


def test_model_checks_send_a_chat_per_model_and_key(fake_upstream):
    up = fake_upstream("openai", api_key=GOOD)
    add(up)
    result = run_drupe("provider", "check", "P", "--all-models", "--model-checks", "--json")
    health = json.loads(result.stdout)
    assert health["method"] == "chat" and health["refused_keys"] == [1]
    assert not [r for r in up.requests if r.method == "GET"]
    sent = sorted((r.json["model"], r.headers["authorization"].removeprefix("Bearer ")) for r in chats(up))
    assert sent == sorted((m, k) for m in ("fake-model", "fake-model-2") for k in (GOOD[0], BAD, GOOD[1]))
    assert all(c["ok"] == (c["key_index"] != 1) and c["listed"] is None for c in health["cells"])


def test_a_list_that_needs_no_key_proves_nothing_so_chat_is_used(fake_upstream):
    up = fake_upstream("openai")
    add(up, keys=("any-key-12345678",), models=("fake-model",))
    health = json.loads(run_drupe("provider", "check", "P", "--all-models", "--json").stdout)
    assert health["method"] == "chat" and health["cells"][0]["ok"]
    assert len(chats(up)) == 1


def test_remove_failing_keys_removes_only_the_refused_one(fake_upstream):
    up = fake_upstream("openai", api_key=GOOD)
    add(up)
    asked = run_drupe("provider", "check", "P", "--all-models", "--remove-failing-keys")
    assert asked.returncode == 1 and "pass --yes" in asked.stderr
    assert Registry(open_store()).get_provider("P").api_keys == [GOOD[0], BAD, GOOD[1]]
    result = run_drupe("provider", "check", "P", "--all-models", "--remove-failing-keys", "--yes")
    assert result.returncode == 0, result.stderr
    assert "Removed 1 key(s): bad…3333" in result.stdout
    assert Registry(open_store()).get_provider("P").api_keys == list(GOOD)
    assert run_drupe("provider", "check", "P", "--all-models").returncode == 0


def test_down_provider_gives_connection_in_every_cell():
    registry = Registry(open_store())
    registry.add_provider("Down", "openai", base_url="http://127.0.0.1:9/", api_keys=["k-0000000000"])
    registry.add_model("Down", "m")
    result = run_drupe("provider", "check", "Down", "--all-models", "--timeout", "5")
    assert result.returncode == 1 and "✗ connection" in result.stdout
    assert "Nothing is listening" in result.stderr


def test_matrix_options_need_all_models(fake_upstream):
    add(fake_upstream("openai", api_key=GOOD))
    alone = run_drupe("provider", "check", "P", "--json")
    assert alone.returncode == 1 and "go with --all-models" in alone.stderr
    both = run_drupe("provider", "check", "P", "--all-models", "--model", "fake-model")
    assert both.returncode == 1 and "leave out --model" in both.stderr
