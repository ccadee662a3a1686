"""Settings → General through the API: the stored language and theme, the page's `<html>` that
carries them, and the language each request's `_()` speaks."""

from __future__ import annotations

import asyncio
import re

import pytest
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from drupe.i18n import LANGUAGES, current_language
from drupe.store import open_store
from drupe.web.app import create_app
from drupe.web.preferences import LanguageMiddleware, Preferences

ORIGIN = "http://127.0.0.1:8765"
PATH = "/api/settings/general"


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(), base_url=ORIGIN)


def html_tag(client: TestClient, path: str = "/", **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    found = re.search(r"<html\b[^>]*>", response.text)
    assert found, response.text[:200]
    return found.group(0)


def test_language_and_theme_start_unset_and_list_the_languages(client):
    assert client.get(PATH).json() == {"language": None, "theme": "system", "languages": LANGUAGES}


def test_the_page_speaks_the_browsers_language_until_one_is_chosen(client):
    assert html_tag(client) == '<html lang="en" data-theme="system">'
    assert 'lang="fr"' in html_tag(client, "/settings/general", **{"accept-language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert 'lang="zh-Hans"' in html_tag(client, **{"accept-language": "zh-CN"})
    assert 'lang="pt"' in html_tag(client, **{"accept-language": "de, pt-BR;q=0.8"})
    assert 'lang="en"' in html_tag(client, **{"accept-language": "de, zh-TW"})
    assert client.get("/").headers["vary"] == "Accept-Language"


def test_a_stored_choice_wins_over_the_browser_and_survives_a_restart(client):
    saved = client.put(PATH, json={"language": "id", "theme": "dark"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["language"] == "id" and saved.json()["theme"] == "dark"
    assert html_tag(client, **{"accept-language": "fr"}) == '<html lang="id" data-theme="dark" class="dark">'
    again = TestClient(create_app(), base_url=ORIGIN)  # a new server on the same database
    assert again.get(PATH).json()["language"] == "id"
    assert 'lang="id" data-theme="dark"' in html_tag(again, **{"accept-language": "es"})
    back = client.put(PATH, json={"language": None, "theme": "light"}).json()
    assert back["language"] is None and back["theme"] == "light"
    assert html_tag(client, **{"accept-language": "es"}) == '<html lang="es" data-theme="light">'


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"language": "de"}, 400, "language"),
        ({"theme": "blue"}, 422, "theme"),
        ({"language": "x" * 40}, 422, "language"),
    ],
)
def test_bad_choices_are_refused_and_change_nothing(client, body, status, field):
    refused = client.put(PATH, json=body)
    assert refused.status_code == status
    assert field in refused.text
    assert client.get(PATH).json()["language"] is None
    assert client.put(PATH, json={}, headers={"origin": "http://evil.example"}).status_code == 403


def test_each_request_speaks_its_users_language():
    heard: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        heard.append(current_language())

    from drupe.registry import Registry

    preferences = Preferences(Registry(open_store()))
    middleware = LanguageMiddleware(app, preferences=preferences)

    async def call(accept: str) -> None:
        headers = [(b"accept-language", accept.encode())] if accept else []
        await middleware({"type": "http", "headers": headers}, None, None)  # type: ignore[arg-type]

    async def calls() -> None:
        await call("fr-FR")
        await call("zh-Hans-CN, en")
        await call("")
        preferences.save("es", "system")
        await call("fr-FR")

    asyncio.run(calls())
    assert heard == ["fr", "zh", "en", "es"]


def test_a_hostile_accept_language_never_reaches_the_page(client):
    tag = html_tag(client, **{"accept-language": '"><script>alert(1)</script>, fr;q=0.1'})
    assert tag == '<html lang="fr" data-theme="system">'
    assert "<script>alert" not in client.get("/", headers={"accept-language": '"><script>alert(1)</script>'}).text


def test_the_servers_own_words_follow_the_request_language(client):
    """What the page shows as the server wrote it: the address hint of /api/meta, and the advice
    added to an error (the core's message and the page's advice, both translated)."""
    english = {t["id"]: t for t in client.get("/api/meta").json()["types"]}["openai"]
    french = {t["id"]: t for t in client.get("/api/meta", headers={"accept-language": "fr"}).json()["types"]}["openai"]
    assert english["address_help"].startswith("A trailing / is dropped")
    assert french["address_help"].startswith("Un / final est retiré")
    assert french["address_placeholder"] == "Vide : l'adresse officielle"

    missing = client.get("/api/providers/nope", headers={"accept-language": "zh-CN"})
    assert missing.status_code == 404
    message = missing.json()["error"]["message"]
    assert "它可能已被删除" in message, message
