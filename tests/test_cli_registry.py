"""Every provider/model/export/import command through a real `drupe` subprocess."""

import json

import pytest

from drupe.registry import Registry
from drupe.store import open_store
from drupe.transfer import export_data
from tests.cli_helpers import run_drupe


def ok(*args, **kwargs):
    result = run_drupe(*args, **kwargs)
    assert result.returncode == 0, result.stderr
    return result


def providers():
    return json.loads(ok("provider", "list", "--json").stdout)


def test_seed_walkthrough_vllm():
    ok("provider", "add", "vLLM", "--type", "openai", "--base-url", "http://localhost:8000/")
    ok("model", "add", "vLLM", "gpt2")
    shown = json.loads(ok("provider", "show", "vllm", "--json").stdout)
    assert shown["chat_url"] == "http://localhost:8000/v1/chat/completions"
    assert shown["models_url"] == "http://localhost:8000/v1/models"
    assert shown["api_keys"] == [] and shown["enabled"] is True
    assert [m["model_id"] for m in shown["models"]] == ["gpt2"]
    text = ok("provider", "show", "vLLM").stdout
    assert "Chat URL:    http://localhost:8000/v1/chat/completions" in text


def test_add_with_every_option_and_masked_output():
    ok(
        "provider", "add", "Team", "--type", "azure-openai", "--base-url", "https://team.openai.azure.com",
        "--api-key", "sk-first-0000001111,sk-second-22223333", "--api-version", "2024-10-21",
        "--header", "X-Team=research", "--timeout", "30", "--proxy", "http://127.0.0.1:3128",
        "--notes", "shared", "--disabled",
    )  # fmt: skip
    [p] = providers()
    assert p["api_keys"] == ["sk-…1111", "sk-…3333"]
    assert p["headers"] == {"X-Team": "research"}
    assert (p["enabled"], p["timeout"], p["api_version"], p["proxy"]) == (False, 30.0, "2024-10-21", "http://127.0.0.1:3128")
    listing = ok("provider", "list").stdout + ok("provider", "show", "Team").stdout
    assert "0000001111" not in listing and "22223333" not in listing


def test_edit_enable_disable_move_remove():
    ok("provider", "add", "A", "--type", "openai", "--api-key", "key-one-aaaa,key-two-bbbb")
    ok("provider", "add", "B", "--type", "anthropic")
    ok("provider", "add", "C", "--type", "gemini")
    ok("provider", "edit", "A", "--name", "Alpha", "--remove-key", "1", "--add-key", "key-three-cccc",
       "--header", "X-A=1", "--timeout", "12", "--no-stream-usage")  # fmt: skip
    alpha = [p for p in providers() if p["name"] == "Alpha"][0]
    assert alpha["api_keys"] == ["key…bbbb", "key…cccc"]
    assert alpha["headers"] == {"X-A": "1"} and alpha["timeout"] == 12.0
    assert alpha["options"]["stream_usage"] is False
    ok("provider", "edit", "Alpha", "--remove-key", "key…bbbb", "--remove-header", "X-A")
    alpha = [p for p in providers() if p["name"] == "Alpha"][0]
    assert alpha["api_keys"] == ["key…cccc"] and alpha["headers"] == {}
    ok("provider", "disable", "B")
    assert [p["enabled"] for p in providers()] == [True, False, True]
    ok("provider", "enable", "b")
    ok("provider", "move", "C", "--to", "1")
    assert [p["name"] for p in providers()] == ["C", "Alpha", "B"]
    ok("model", "add", "B", "claude-3-5-sonnet-latest")
    ok("provider", "remove", "B", "--yes")
    assert [p["name"] for p in providers()] == ["C", "Alpha"]
    assert json.loads(ok("model", "list", "--json").stdout) == []


def test_remove_off_terminal_needs_yes():
    ok("provider", "add", "A", "--type", "openai")
    result = run_drupe("provider", "remove", "A")
    assert result.returncode != 0 and "--yes" in result.stderr
    assert len(providers()) == 1


def test_models_add_list_edit_remove():
    ok("provider", "add", "P", "--type", "openai")
    out = ok("model", "add", "P", "Qwen/Qwen3-32B", "--context-window", "32768", "--price-in", "0.5").stdout
    assert "group qwen" in out
    ok("model", "add", "P", "llava", "--name", "Llava", "--group", "vision", "-c", "text", "-c", "vision")
    models = json.loads(ok("model", "list", "P", "--json").stdout)
    assert [m["model_id"] for m in models] == ["Qwen/Qwen3-32B", "llava"]
    assert "reasoning" in models[0]["capabilities"] and models[0]["context_window"] == 32768
    assert models[1]["capabilities"] == ["text", "vision"] and models[1]["group"] == "vision"
    ok("model", "edit", "P", "llava", "--id", "llava:13b", "--name", "Llava 13B", "-c", "text")
    models = json.loads(ok("model", "list", "--json").stdout)
    assert models[1]["model_id"] == "llava:13b" and models[1]["capabilities"] == ["text"]
    assert "Llava 13B" in ok("model", "list").stdout
    ok("model", "remove", "P", "llava:13b")
    assert len(json.loads(ok("model", "list", "--json").stdout)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("provider", "add", "X", "--type", "openia"), "Valid types: openai, openai-response, anthropic, gemini, azure-openai"),
        (("provider", "add", "Existing", "--type", "openai"), "already exists"),
        (("provider", "add", "existing", "--type", "openai"), "already exists"),
        (("provider", "add", "x" * 33, "--type", "openai"), "at most 32"),
        (("provider", "add", "   ", "--type", "openai"), "empty"),
        (("provider", "add", "X", "--type", "openai", "--base-url", "localhost:8000"), "not a http/https URL"),
        (("provider", "add", "X", "--type", "openai", "--base-url", "http://a b/"), "contains spaces"),
        (("provider", "add", "X", "--type", "azure-openai"), "needs an API address"),
        (("provider", "add", "X", "--type", "openai", "--header", "NoEquals"), "has no '='"),
        (("provider", "edit", "Existing", "--base-url", "ftp://x"), "not a http/https URL"),
        (("provider", "edit", "Existing", "--remove-key", "9"), "matches no key"),
        (("model", "add", "Existing", " "), "model ID is empty"),
        (("model", "add", "Missing", "gpt2"), "No provider named 'Missing'"),
        (("model", "add", "Existing", "gpt2"), "already has model"),
        (("model", "remove", "Existing", "nope"), "has no model 'nope'"),
        (("provider", "show", "Nope"), "No provider named"),
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(args, message):
    registry = Registry(open_store())
    registry.add_provider("Existing", "openai", api_keys=["sk-keep-me-123456"])
    registry.add_model("Existing", "gpt2")
    before = export_data(registry, include_keys=True)
    result = run_drupe(*args)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert export_data(registry, include_keys=True) == before


def test_export_import_round_trip(tmp_path):
    ok("provider", "add", "A", "--type", "anthropic", "--api-key", "sk-ant-secret-9999", "--header", "X-Y=z")
    ok("model", "add", "A", "claude-sonnet-4-5", "--price-out", "15")
    plain, keyed = tmp_path / "plain.json", tmp_path / "keyed.json"
    ok("export", str(plain))
    ok("export", str(keyed), "--include-keys")
    assert "sk-ant-secret-9999" not in plain.read_text()
    assert "sk-ant-secret-9999" in keyed.read_text()

    assert "skipped A" in ok("import", str(keyed)).stdout
    ok("import", str(keyed), "--on-conflict", "rename")
    assert [p["name"] for p in providers()] == ["A", "A (2)"]
    ok("import", str(plain), "--on-conflict", "replace")
    names = {p["name"]: p for p in providers()}
    assert names["A"]["api_keys"] == [] and names["A (2)"]["api_keys"] == ["sk-…9999"]
    models = json.loads(ok("model", "list", "A", "--json").stdout)
    assert models[0]["price_out"] == 15.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "drupe-export", "version": 99, "providers": []}', "schema version 99"),
        ('{"hello": 1}', "not a drupe export file"),
        (
            '{"format": "drupe-export", "version": 1, "providers": [{"name": "Good", "type": "openai"},'
            ' {"name": "Bad", "type": "nope"}]}',
            "entry 2",
        ),
        (
            '{"format": "drupe-export", "version": 1, "providers": [{"name": "M", "type": "openai",'
            ' "models": [{"model_id": ""}]}]}',
            "model ID is empty",
        ),
    ],
)
def test_bad_import_files_write_nothing(tmp_path, content, message):
    path = tmp_path / "in.json"
    path.write_text(content)
    result = run_drupe("import", str(path))
    assert result.returncode == 1 and message in result.stderr
    assert providers() == []
