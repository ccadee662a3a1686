"""One shape for errors: the core names a problem with a code and data, and each face words it.

The chat service's own errors are built here as the core raises them with codes (`provider_disabled`,
`not_found`, `ambiguous`, `invalid`), and sent through the CLI's and the web's tables."""

from __future__ import annotations

import subprocess
import sys
import typing

import pytest
from fastapi.testclient import TestClient

from drupe.cli.errors import SETTING_COMMANDS, describe, provider_hint
from drupe.errors import DrupeError, ErrorCode, ErrorKind
from drupe.hints import HINTS
from drupe.web.app import create_app
from drupe.web.errors import STATUS
from drupe.web.streaming import error_event

DISABLED = DrupeError("Provider 'Work' is disabled.", code="provider_disabled", provider="Work")
NO_CONVERSATION = DrupeError("No conversation 'abc'.", code="not_found", what="conversation", name="abc")
SEVERAL = DrupeError(
    "Conversation id prefix 'a' matches several; give more of the id.",
    code="ambiguous", what="conversation", name="a", matches=["a1", "a2"],
)  # fmt: skip
EMPTY = DrupeError("The message is empty.", code="invalid", field="content")
NO_MESSAGE = DrupeError("No message 7.", code="not_found", what="message", name=7)


def test_the_cli_adds_the_command_to_type_and_the_core_message_has_none():
    assert describe(DISABLED) == "Provider 'Work' is disabled. Enable it with `drupe provider enable Work`."
    assert describe(NO_CONVERSATION) == "No conversation 'abc'. See `drupe conversations list`."
    assert (
        describe(SEVERAL)
        == "Conversation id prefix 'a' matches several; give more of the id. See `drupe conversations list`."
    )
    assert describe(EMPTY) == "The message is empty."
    assert describe(NO_MESSAGE) == "No message 7."
    unknown = DrupeError("No enabled provider has a model 'm'.", code="not_found", what="model", name="m")
    assert describe(unknown).endswith("add it with `drupe model add PROVIDER m`.")  # what is not known is left to type
    for error in (DISABLED, NO_CONVERSATION, SEVERAL, EMPTY):
        assert "`drupe" not in str(error)


def test_the_cli_words_unreadable_secrets_by_what_to_do_about_them():
    store = DrupeError("The key is not the one.", code="secrets_unreadable", providers=["P"])
    assert "`drupe provider reset-secrets`" in describe(store)
    provider = DrupeError("Cannot decrypt.", code="secrets_unreadable", what="provider", provider="P")
    assert describe(provider).endswith("`drupe provider edit P --api-key KEY`.")


def test_one_table_of_provider_hints_with_a_command_for_each_setting_it_names():
    extra = {"unknown_model", "over_limit", "tools_refused", "mcp"}  # kinds drupe tells apart itself
    assert set(typing.get_args(ErrorKind)) | extra == set(HINTS)
    for kind, hint in HINTS.items():
        assert "`drupe" not in hint.text, kind  # the commands live in the CLI
        assert hint.setting is None or hint.setting in SETTING_COMMANDS, kind
    assert provider_hint("timeout", "Slow").endswith("`drupe provider edit Slow --timeout SECONDS`.")
    assert provider_hint("server", "Down") == HINTS["server"].text


def test_every_code_has_a_status():
    assert set(typing.get_args(ErrorCode)) == set(STATUS)


@pytest.mark.parametrize(
    ("error", "status"),
    [(NO_CONVERSATION, 404), (SEVERAL, 400), (DISABLED, 409), (EMPTY, 400),
     (DrupeError("The database is gone.", code="unavailable", what="database"), 503)],
)  # fmt: skip
def test_the_web_gives_each_code_its_status_and_the_data(monkeypatch, error, status):
    client = TestClient(create_app(), base_url="http://127.0.0.1:8765")

    def refuse(_conversation_id: str) -> None:
        raise error

    monkeypatch.setattr(client.app.state.chat, "get_conversation", refuse)
    response = client.get("/api/conversations/abc")
    assert response.status_code == status
    body = response.json()["error"]
    assert body["code"] == body["kind"] == error.code and body["data"] == error.data
    assert body["message"].startswith(str(error)) and "`drupe" not in body["message"]


def test_the_web_words_a_disabled_provider_for_the_page_and_in_a_stream():
    event = error_event(DISABLED)["error"]
    assert (event["code"], event["data"]) == ("provider_disabled", {"provider": "Work"})
    assert "Settings" in event["message"] and "drupe provider" not in event["message"]


def test_python_m_drupe_local_does_not_import_the_cli(tmp_path):
    missing = tmp_path / "none.gguf"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "drupe.local", "serve", "--model", str(missing)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"error: model file not found: {missing}." in result.stderr
    assert "drupe.cli" not in result.stderr and "typer" not in result.stderr
