"""The chat page in French and in Chinese: its accessible names, the stats line under an answer
(words from the catalog, numbers as the language writes them), and an input method's Enter.

The page is drawn after `loadLanguage(code)` from js/i18n.js: main.js is served through a small
module that loads the language first, then imports the real main.js. The browser also asks for
the language (Accept-Language), the way a user's browser would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx2
import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import WAIT_MS, DrupeServer
from tests.browser.steps import add_provider
from tests.fakes.upstream import Fault

MAIN = "/static/js/main.js"

FRENCH = {
    "message": "Message",
    "send": "Envoyer",
    "picker": re.compile("^Modèle : "),
    "choose": "Choisir les modèles",
    "yours": "Votre message",
    "answer": "Réponse de fake-model",
    # "12,3 jetons/s": French writes a decimal comma (and a narrow space between thousands).
    "stats": [
        re.compile(r"Jetons : \d+ en entrée · \d+ en sortie"),
        re.compile(r"Premier jeton [\d\u202f\u00a0 ]+(ms|,\d\d s)"),
        re.compile(r"[\d\u202f\u00a0 ]+,\d jetons/s"),
    ],
    "left_out": "2 messages précédents laissés de côté pour tenir dans la fenêtre de contexte",
    "length": "Arrêtée : limite de jetons",
    "continue": "Continuer",
    "server_error": "erreur du serveur",
    "lang": "fr",
}
CHINESE = {
    "message": "消息",
    "send": "发送",
    "picker": re.compile("^模型："),
    "choose": "选择模型",
    "yours": "你的消息",
    "answer": "来自 fake-model 的回答",
    "stats": [
        re.compile(r"Token 输入 \d+ · 输出 \d+"),
        re.compile(r"首个 token [\d,]+( ms|\.\d\d s)"),
        re.compile(r"[\d,]+\.\d token/秒"),
    ],
    "left_out": "为适应上下文窗口，省略了 2 条较早的消息",
    "length": "已停止：达到 token 上限",
    "continue": "继续",
    "server_error": "服务器错误",
    "lang": "zh-Hans",
}
LANGUAGES = {"fr": FRENCH, "zh": CHINESE}
BROWSER_LOCALES = {"fr": "fr-FR", "zh": "zh-CN"}


@pytest.fixture(params=sorted(LANGUAGES))
def language(request) -> str:
    return request.param


@pytest.fixture
def ui_in(browser, drupe_server: DrupeServer, language: str) -> Iterator[Page]:
    """A page of the server whose language is `language`, loaded before the page is drawn."""
    context = browser.new_context(
        base_url=drupe_server.url, viewport={"width": 1360, "height": 860}, locale=BROWSER_LOCALES[language]
    )
    context.set_default_timeout(WAIT_MS)

    def language_first(route: Route) -> None:
        route.fulfill(
            content_type="text/javascript",
            body=f'import {{ loadLanguage }} from "./i18n.js";\n'
            f'await loadLanguage("{language}");\n'
            'await import("./main.js?after-language");\n',
        )

    context.route(lambda url: urlsplit(url).path == MAIN and not urlsplit(url).query, language_first)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        yield page
    finally:
        context.close()
    assert not problems, problems


def open_chat_in(ui: Page, words: dict) -> None:
    ui.goto("/chat")
    expect(ui.locator("html")).to_have_attribute("lang", words["lang"])
    expect(ui.get_by_role("textbox", name=words["message"], exact=True)).to_be_visible()


def pick(ui: Page, words: dict, option: str) -> None:
    ui.get_by_role("button", name=words["picker"]).click()
    chooser = ui.get_by_role("dialog", name=words["choose"], exact=True)
    chooser.get_by_role("option", name=option).click()
    expect(chooser).to_be_hidden()


def send_in(ui: Page, words: dict, text: str) -> None:
    box = ui.get_by_role("textbox", name=words["message"], exact=True)
    box.fill(text)
    box.press("Enter")
    expect(ui.get_by_role("article", name=words["yours"], exact=True).last).to_contain_text(text)


def test_the_chat_page_speaks_the_language(ui_in: Page, api: httpx2.Client, fake_upstream, language: str) -> None:
    words = LANGUAGES[language]
    up = fake_upstream("openai", text="y" * 384, chunks=8, delay=0.01)  # 100 tokens by drupe's estimate
    provider = add_provider(api, "Fake", up.base_url, ["fake-model"])
    edited = api.patch(f"/providers/{provider['id']}/models/fake-model", json={"context_window": 250})
    assert edited.status_code == 200, edited.text
    open_chat_in(ui_in, words)
    expect(ui_in.get_by_role("button", name=words["send"], exact=True)).to_be_visible()
    expect(ui_in.get_by_role("button", name="Send", exact=True)).to_have_count(0)
    pick(ui_in, words, "fake-model (Fake)")
    expect(ui_in.get_by_role("button", name=words["picker"])).to_contain_text("fake-model")

    send_in(ui_in, words, "a" * 384)
    wait_for_answer(ui_in, words)
    answer = ui_in.get_by_role("article", name=words["answer"], exact=True).last
    meta = answer.locator(".message-meta")
    for pattern in words["stats"]:
        expect(meta).to_contain_text(pattern)
    expect(meta).not_to_contain_text("Tokens")

    send_in(ui_in, words, "b" * 384)
    wait_for_answer(ui_in, words)
    expect(
        ui_in.get_by_role("article", name=words["answer"], exact=True).last.locator(".message-meta")
    ).to_contain_text(words["left_out"])


def wait_for_answer(ui: Page, words: dict) -> None:
    """As `steps.wait_until_answered`, with Send named in the page's language."""
    turn = ui.locator(".turn").last
    expect(turn.locator(".message-assistant, .message-error").first).to_be_visible()
    expect(turn.locator(".streaming")).to_have_count(0)
    expect(ui.get_by_role("button", name=words["send"], exact=True)).to_be_visible()


def test_enter_while_an_input_method_composes_does_not_send(
    ui_in: Page, api: httpx2.Client, fake_upstream, language: str
) -> None:
    words = LANGUAGES[language]
    up = fake_upstream("openai", text="Hello")
    add_provider(api, "Fake", up.base_url, ["fake-model"])
    sent: list[str] = []
    ui_in.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)
    open_chat_in(ui_in, words)
    pick(ui_in, words, "fake-model (Fake)")
    box = ui_in.get_by_role("textbox", name=words["message"], exact=True)
    box.fill("nihao")
    # The Enter that picks a candidate in a Chinese (or any) input method: `isComposing` is set
    # (Chromium, Firefox), or only keyCode 229 on the Enter that ends the composition (Safari).
    for composing in ("isComposing: true, keyCode: 13", "isComposing: false, keyCode: 229"):
        not_cancelled = box.evaluate(
            f"""box => box.dispatchEvent(new KeyboardEvent("keydown",
                {{ key: "Enter", code: "Enter", {composing}, bubbles: true, cancelable: true }}))"""
        )
        assert not_cancelled, f"the composing Enter ({composing}) was taken by the page"
    ui_in.wait_for_timeout(300)
    expect(box).to_have_value("nihao")
    expect(ui_in.get_by_role("article", name=words["yours"], exact=True)).to_have_count(0)
    assert not sent, sent

    box.press("Enter")  # once composition ended, Enter sends
    expect(ui_in.get_by_role("article", name=words["yours"], exact=True)).to_contain_text("nihao")
    wait_for_answer(ui_in, words)


def test_stop_reasons_and_error_kinds_are_in_the_language(
    ui_in: Page, api: httpx2.Client, fake_upstream, language: str
) -> None:
    words = LANGUAGES[language]
    up = fake_upstream("openai", text="The first part", chunks=2, fault=Fault("length", times=1, after_chunks=1))
    add_provider(api, "Fake", up.base_url, ["fake-model"])
    open_chat_in(ui_in, words)
    pick(ui_in, words, "fake-model (Fake)")
    send_in(ui_in, words, "Tell me")
    wait_for_answer(ui_in, words)
    answer = ui_in.get_by_role("article", name=words["answer"], exact=True).last
    expect(answer.locator(".message-meta")).to_contain_text(words["length"])
    expect(answer.get_by_role("button", name=words["continue"], exact=True)).to_be_visible()

    up.fault = Fault("server_error")
    send_in(ui_in, words, "Again")
    wait_for_answer(ui_in, words)
    error = ui_in.locator(".turn").last.get_by_role("alert")
    expect(error.locator(".kind")).to_have_text(words["server_error"])
