"""The core's errors speak the language of the context they are raised in (a web request sets its
user's: `drupe.i18n.set_language`), while their code and data, which programs read, stay the same."""

from __future__ import annotations

import contextvars

import pytest

from drupe import i18n
from drupe.chat import ChatService
from drupe.errors import DrupeError
from drupe.registry import Registry
from drupe.store import open_store


def raised_in(code: str, action) -> DrupeError:
    """The error `action` raises in a fresh context speaking `code`."""

    def run() -> DrupeError:
        i18n.set_language(code)
        with pytest.raises(DrupeError) as caught:
            action()
        return caught.value

    return contextvars.copy_context().run(run)


def test_a_bad_provider_type_in_each_language_and_the_same_code():
    registry = Registry(open_store())
    add = lambda: registry.add_provider("x", "nope")  # noqa: E731
    words = {code: str(raised_in(code, add)) for code in i18n.LANGUAGES}
    assert words["en"].startswith("Unknown provider type 'nope'. Valid types: openai,")
    assert words["fr"].startswith("Type de fournisseur inconnu 'nope'. Types valides : openai,")
    assert words["zh"].startswith("未知的提供商类型 'nope'。")
    assert len(set(words.values())) == len(words)  # each language its own words
    error = raised_in("fr", add)
    assert (error.code, error.data["field"]) == ("invalid", "type")


def test_a_chat_service_error_follows_the_context_not_the_process():
    service = ChatService(open_store())
    missing = lambda: service.get_conversation("nothere")  # noqa: E731
    assert str(raised_in("es", missing)) == "No hay ninguna conversación 'nothere'."
    assert str(raised_in("pt", missing)) == "Não há conversa 'nothere'."
    with pytest.raises(DrupeError, match=r"^No conversation 'nothere'\.$"):
        missing()  # this test's own context was never switched


def test_the_gateway_speaks_english_to_its_clients_whatever_the_servers_language(monkeypatch):
    """/v1's clients are programs (SDKs, scripts): a core message raised for them stays English
    even when `drupe serve` runs under LANG=fr_FR.UTF-8."""
    import asyncio
    from types import SimpleNamespace

    from drupe import i18n
    from drupe.gateway.api.app import GatewayMount

    monkeypatch.setenv("DRUPE_LANG", "fr")
    heard: list[str] = []

    async def handle(scope, receive, send) -> None:
        heard.append(i18n.current_language())

    async def page(scope, receive, send) -> None:
        heard.append(i18n.current_language())

    mount = GatewayMount(page, gateway=SimpleNamespace(handle=handle))  # type: ignore[arg-type]

    async def both() -> None:
        await asyncio.create_task(mount({"type": "http", "path": "/v1/models"}, None, None))
        await asyncio.create_task(mount({"type": "http", "path": "/chat"}, None, None))

    asyncio.run(both())
    assert heard == ["en", "fr"]


def test_bad_tool_arguments_are_explained_in_the_cli_language_with_the_same_code(monkeypatch):
    from drupe.tools.client import parse_arguments

    monkeypatch.setenv("DRUPE_LANG", "fr")
    for typed, words in (
        ("{oops", "Les arguments de l'outil ne sont pas du JSON valide ("),
        ("[1]", 'Les arguments de l\'outil doivent être un objet JSON, comme {"timezone": "UTC"}.'),
    ):
        with pytest.raises(DrupeError) as caught:
            contextvars.Context().run(parse_arguments, typed)
        assert str(caught.value).startswith(words)
        assert (caught.value.code, caught.value.data["field"]) == ("invalid", "args")
