"""Every provider/model/export/import command through a real `drupe` subprocess."""

import json

import pytest

from drupe.errors import DrupeError
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
    assert (p["enabled"], p["timeout"], p["api_version"], p["proxy"]) == (
        False,
        30.0,
        "2024-10-21",
        "http://127.0.0.1:3128",
    )
    listing = ok("provider", "list").stdout + ok("provider", "show", "Team").stdout
    assert "0000001111" not in listing and "22223333" not in listing


def test_edit_enable_disable_move_remove():
    ok("provider", "add", "A", "--type", "openai", "--api-key", "key-one-aaaa,key-two-bbbb")
    ok("provider", "add", "B", "--type", "anthropic")
    ok("provider", "add", "C", "--type", "gemini")
    ok("provider", "edit", "A", "--name", "Alpha", "--remove-key", "1", "--add-key", "key-three-cccc",
       "--header", "X-A=1", "--timeout", "12", "--no-stream-usage")  # fmt: skip
    alpha = next(p for p in providers() if p["name"] == "Alpha")
    assert alpha["api_keys"] == ["key…bbbb", "key…cccc"]
    assert alpha["headers"] == {"X-A": "1"} and alpha["timeout"] == 12.0
    assert alpha["options"]["stream_usage"] is False
    ok("provider", "edit", "Alpha", "--remove-key", "key…bbbb", "--remove-header", "X-A")
    alpha = next(p for p in providers() if p["name"] == "Alpha")
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
    ok("model", "default", "P", "llava")
    ok("model", "edit", "P", "llava", "--id", "llava:13b", "--name", "Llava 13B", "-c", "text")
    models = json.loads(ok("model", "list", "--json").stdout)
    assert models[1]["model_id"] == "llava:13b" and models[1]["capabilities"] == ["text"]
    from drupe.chat.targets import default_model

    assert default_model(Registry(open_store()))[1].model_id == "llava:13b"  # still the default, by its new ID
    assert "Llava 13B" in ok("model", "list").stdout
    ok("model", "remove", "P", "llava:13b")
    assert len(json.loads(ok("model", "list", "--json").stdout)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("provider", "add", "X", "--type", "openia"),
            "Valid types: openai, openai-response, anthropic, gemini, azure-openai",
        ),
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


def test_secret_headers_and_url_credentials_are_masked_and_left_out_of_plain_exports(tmp_path):
    ok(
        "provider", "add", "Gw", "--type", "openai", "--base-url", "https://alice:url-pass-123456@gw.example.com/",
        "--header", "Authorization=Bearer gw-token-0123456789abcdef", "--header", "X-Team=research",
        "--proxy", "http://bob:proxy-pass-654321@127.0.0.1:3128",
    )  # fmt: skip
    shown = ok("provider", "show", "Gw").stdout + ok("provider", "show", "Gw", "--json").stdout
    shown += ok("provider", "list").stdout + ok("provider", "list", "--json").stdout
    for secret in ("url-pass-123456", "0123456789abcdef", "proxy-pass-654321"):
        assert secret not in shown, secret
    assert "https://alice:***@gw.example.com/" in shown and "Authorization: Bea…cdef" in shown
    assert "X-Team: research" in shown

    # A masked URL pasted back keeps the credentials.
    ok("provider", "edit", "Gw", "--base-url", "https://alice:***@gw2.example.com/")
    registry = Registry(open_store())
    assert registry.get_provider("Gw").base_url == "https://alice:url-pass-123456@gw2.example.com/"

    plain, keyed = tmp_path / "plain.json", tmp_path / "keyed.json"
    ok("export", str(plain))
    ok("export", str(keyed), "--include-keys")
    exported = json.loads(plain.read_text())["providers"][0]
    assert exported["base_url"] == "https://gw2.example.com/" and exported["proxy"] == "http://127.0.0.1:3128"
    assert exported["headers"] == {"X-Team": "research"}
    assert "url-pass-123456" in keyed.read_text() and "gw-token-0123456789abcdef" in keyed.read_text()


def test_a_missing_secret_key_stops_every_command_with_what_to_restore(drupe_home):
    ok("provider", "add", "A", "--type", "openai", "--api-key", "sk-a-0123456789")
    key = (drupe_home / "secret.key").read_bytes()
    (drupe_home / "secret.key").unlink()
    for args in (("provider", "list"), ("provider", "show", "A"), ("provider", "add", "B", "--type", "openai",
                 "--api-key", "sk-b-0123456789"), ("serve", "--port", "0", "--no-local")):  # fmt: skip
        result = run_drupe(*args, timeout=30)
        assert result.returncode == 1, args
        assert str(drupe_home / "secret.key") in result.stderr and "reset-secrets" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (drupe_home / "secret.key").exists()
    (drupe_home / "secret.key").write_bytes(key)
    assert providers()[0]["api_keys"] == ["sk-…6789"]


def test_reset_secrets_on_purpose_after_the_key_is_lost(drupe_home):
    ok("provider", "add", "A", "--type", "openai", "--api-key", "sk-a-0123456789", "--header", "X-Api-Key=abcdefgh")
    ok("model", "add", "A", "gpt-4o")
    (drupe_home / "secret.key").unlink()
    refused = run_drupe("provider", "reset-secrets")
    assert refused.returncode == 1 and "A" in refused.stderr and "--yes" in refused.stderr
    assert "Forgot the secrets of A" in ok("provider", "reset-secrets", "--yes").stdout
    [a] = providers()
    assert (a["api_keys"], a["headers"], a["model_count"], a["secrets_unreadable"]) == ([], {}, 1, False)
    ok("provider", "edit", "A", "--api-key", "sk-new-0123456789")
    assert providers()[0]["api_keys"] == ["sk-…6789"]
    assert "nothing to reset" in ok("provider", "reset-secrets").stdout


def test_an_undecryptable_provider_can_be_listed_edited_and_removed_from_the_cli(tmp_path):
    from cryptography.fernet import Fernet

    from drupe.store.tables import providers as providers_table

    ok("provider", "add", "Good", "--type", "openai", "--api-key", "sk-good-0123456789")
    ok("provider", "add", "Lost", "--type", "openai", "--api-key", "sk-lost-0123456789")
    token = Fernet(Fernet.generate_key()).encrypt(b'["sk-elsewhere"]').decode()
    with open_store().engine.begin() as conn:
        conn.execute(providers_table.update().where(providers_table.c.name == "Lost").values(api_keys=token))
    assert [p["secrets_unreadable"] for p in providers()] == [False, True]
    assert "cannot be decrypted" in ok("provider", "show", "Lost").stdout
    exported = ok("export", str(tmp_path / "out.json"), "--include-keys")
    assert "The secrets of Lost cannot be decrypted and were not written." in exported.stderr
    ok("provider", "edit", "Lost", "--api-key", "sk-new-0123456789")
    assert providers()[1]["api_keys"] == ["sk-…6789"]
    with open_store().engine.begin() as conn:
        conn.execute(providers_table.update().where(providers_table.c.name == "Lost").values(api_keys=token))
    ok("provider", "remove", "Lost", "--yes")
    assert [p["name"] for p in providers()] == ["Good"]


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ({"model_id": "m", "name": 5}, "name must be a text, not 5"),
        ({"model_id": "m", "context_window": "big"}, "context_window must be a whole number above 0, not 'big'"),
        ({"model_id": "m", "price_in": True}, "price_in must be a number, 0 or more, not True"),
        ({"model_id": "m", "capabilities": "chat"}, "capabilities must be a list of capability names"),
        ({"model_id": 7}, "model_id must be a text"),
    ],
)
def test_a_wrong_typed_model_field_imports_nothing(tmp_path, model, message):
    ok("provider", "add", "Existing", "--type", "openai")
    path = tmp_path / "in.json"
    data = {"format": "drupe-export", "version": 1, "providers": [
        {"name": "First", "type": "openai", "models": [{"model_id": "fine"}]},
        {"name": "Second", "type": "openai", "models": [{"model_id": "ok"}, model]},
    ]}  # fmt: skip
    path.write_text(json.dumps(data))
    result = run_drupe("import", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "entry 2" in result.stderr and message in result.stderr and "Nothing was imported" in result.stderr
    assert [p["name"] for p in providers()] == ["Existing"]


def test_import_is_one_transaction(tmp_path):
    """Even a failure only the database sees (here: a name taken meanwhile) leaves nothing half-written."""
    from drupe.transfer import import_file

    path = tmp_path / "in.json"
    path.write_text(json.dumps({"format": "drupe-export", "version": 1, "providers": [
        {"name": "First", "type": "openai", "models": [{"model_id": "fine"}]},
        {"name": "Second", "type": "openai"},
    ]}))  # fmt: skip
    registry = Registry(open_store())
    real_add = registry.add_provider

    def add_then_fail(name, type, **fields):
        if name == "Second":
            raise DrupeError("the disk is full.")
        return real_add(name, type, **fields)

    registry.add_provider = add_then_fail  # type: ignore[method-assign]
    with pytest.raises(DrupeError, match="Nothing was imported"):
        import_file(registry, path)
    assert Registry(open_store()).list_providers() == []


def test_limits_are_set_shown_and_removed_from_the_command_line(tmp_path):
    env = {"DRUPE_HOME": str(tmp_path)}
    added = run_drupe("provider", "add", "capped", "--type", "openai", "--limit", "answer_chars=1000", env=env)
    assert added.returncode == 0, added.stderr
    run_drupe("provider", "edit", "capped", "--limit", "event_bytes=4096", env=env)
    assert (
        "Limit:       answer_chars = 1000\nLimit:       event_bytes = 4096"
        in run_drupe("provider", "show", "capped", env=env).stdout
    )
    wrong = run_drupe("provider", "edit", "capped", "--limit", "answer_size=5", env=env)
    assert wrong.returncode != 0 and "Unknown limit 'answer_size'" in wrong.stderr + wrong.stdout
    run_drupe("provider", "edit", "capped", "--remove-limit", "answer_chars", env=env)
    shown = run_drupe("provider", "show", "capped", env=env).stdout
    assert "answer_chars" not in shown and "event_bytes = 4096" in shown
