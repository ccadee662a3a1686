"""The chat page against fake upstreams: streaming, Stop, XSS, side by side, message actions, long history."""

from __future__ import annotations

import re
import time
from datetime import datetime

import httpx2
from playwright.sync_api import Page, expect

from tests.browser.steps import add_provider, last_answer, open_chat, pick_models, screenshot, send, wait_until_answered

RICH_ANSWER = """Here is a **short** overview.

| Language | Typing |
|---|:-:|
| Python | dynamic |
| Rust | static |

1. Parse the input
2. Print the result

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```
"""


def test_stop_keeps_the_partial_answer(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    slow = fake_upstream("openai", text="".join(f"Line {n} tick.\n\n" for n in range(300)), delay=0.02)
    add_provider(api, "Slow", slow.base_url, ["fake-model"])
    open_chat(ui)
    pick_models(ui, "fake-model (Slow)")
    box = ui.get_by_role("textbox", name="Message")
    box.fill("Count")
    box.press("Shift+Enter")
    expect(box).to_have_value("Count\n")
    expect(ui.get_by_role("article", name="Your message")).to_have_count(0)
    send(ui, "Count for me")
    answer = last_answer(ui)
    expect(answer.locator(".markdown")).to_contain_text("Line 2 tick.")
    # Finished blocks are appended once: the first paragraph stays the same node while more stream in.
    first_paragraph = answer.locator(".markdown p").first
    first_paragraph.evaluate("node => { node.dataset.seen = 'yes'; }")
    expect(answer.locator(".markdown")).to_contain_text("Line 8 tick.")
    expect(first_paragraph).to_have_attribute("data-seen", "yes")
    ui.get_by_role("button", name="Stop").click()
    wait_until_answered(ui)
    expect(answer.locator(".message-meta")).to_contain_text("Stopped")
    partial = answer.locator(".markdown").inner_text()
    assert 8 < partial.count("tick") < 300

    ui.reload()
    answer = last_answer(ui)
    expect(answer.locator(".message-meta")).to_contain_text("Stopped")
    expect(answer.locator(".markdown")).to_have_text(partial)


XSS_ANSWER = """Look: <img src=x onerror="window.__xss='img'"> and <script>window.__xss='script'</script>

<svg onload="window.__xss='svg'"></svg> [click](javascript:window.__xss='link') <iframe src="javascript:alert(1)"></iframe>

<a href="#" onclick="window.__xss='click'">open</a> <b style="color:red" onmouseover="alert(1)">bold</b>
"""


def test_an_xss_payload_in_an_answer_does_not_run(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("openai", text=XSS_ANSWER, chunks=12, delay=0.02)
    add_provider(api, "Evil", upstream.base_url, ["fake-model"])
    dialogs: list[str] = []
    ui.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_chat(ui)
    ui.evaluate("window.__xss = null")
    pick_models(ui, "fake-model (Evil)")
    send(ui, "<img src=x onerror=\"window.__xss='user'\">")
    wait_until_answered(ui)
    answer = last_answer(ui)
    expect(answer.locator(".markdown")).to_contain_text("Look:")
    for link in answer.locator("a, b").all():
        link.hover()
        link.click(no_wait_after=True)
    ui.wait_for_timeout(300)
    assert ui.evaluate("window.__xss") is None
    assert dialogs == []
    dangerous = (
        "script, iframe, svg:not(.icon), [onerror], [onload], [onclick], [onmouseover], [style], a[href^='javascript']"
    )
    expect(ui.locator(f".message-list :is({dangerous})")).to_have_count(0)
    expect(ui.get_by_role("article", name="Your message")).to_contain_text("<img src=x onerror=")


def test_two_models_answer_side_by_side(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    first = fake_upstream(
        "openai", text=RICH_ANSWER, reasoning="The user wants a table, a list and code.", chunks=40, delay=0.01
    )
    second = fake_upstream("openai", text="A second opinion: **both** are fine languages.", delay=0.02)
    add_provider(api, "Alpha", first.base_url, ["fake-model"])
    add_provider(api, "Beta", second.base_url, ["fake-large"])
    open_chat(ui)
    pick_models(ui, "fake-model (Alpha)", "fake-large (Beta)")
    expect(ui.get_by_role("button", name=re.compile("^Model:"))).to_have_accessible_name(
        "Model: fake-model, fake-large"
    )
    send(ui, "Compare Python and Rust in a table, then show some code.")
    answers = ui.locator(".answers.side-by-side > .message")
    expect(answers).to_have_count(2)
    wait_until_answered(ui)
    alpha, beta = answers.nth(0), answers.nth(1)
    expect(alpha.locator(".message-head")).to_contain_text("fake-model")
    expect(alpha.locator(".markdown table")).to_be_visible()
    expect(alpha.locator(".markdown td").nth(1)).to_have_css("text-align", "center")  # `:-:`, under the CSP
    expect(alpha.locator(".markdown ol li")).to_have_count(2)
    expect(alpha.locator(".markdown .highlight, .markdown pre")).not_to_have_count(0)
    expect(alpha.locator("details.reasoning")).to_contain_text("The user wants a table")
    expect(beta.locator(".markdown")).to_contain_text("A second opinion: both are fine languages.")
    for answer in (alpha, beta):
        expect(answer.locator(".message-meta")).to_contain_text("Tokens")
        expect(answer.locator(".message-meta")).to_contain_text("First token")
        expect(answer.locator(".message-meta")).to_contain_text("tokens/s")
    # Both boxes sit next to each other.
    box_a, box_b = alpha.bounding_box(), beta.bounding_box()
    assert box_a["x"] + box_a["width"] <= box_b["x"] + 1 and abs(box_a["y"] - box_b["y"]) < 2
    ui.get_by_role("button", name="Conversation settings").click()
    ui.get_by_label("System prompt").fill("You are a concise assistant.")
    ui.get_by_label("Temperature").fill("0.3")
    ui.get_by_label("Temperature").press("Tab")
    ui.wait_for_timeout(300)
    screenshot(ui, "chat.png")


def test_regenerate_browse_alternatives_edit_and_copy(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("openai", text="Paris is the capital of France.")
    add_provider(api, "Geo", upstream.base_url, ["fake-model"])
    ui.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_chat(ui)
    pick_models(ui, "fake-model (Geo)")
    send(ui, "Capital of France?")
    wait_until_answered(ui)

    answer = last_answer(ui)
    expect(answer.locator(".message-actions")).to_have_text("")
    answer.hover()
    answer.get_by_role("button", name="Copy").click()
    assert ui.evaluate("navigator.clipboard.readText()") == "Paris is the capital of France."

    answer.get_by_role("button", name="Regenerate").click()
    wait_until_answered(ui)
    answer = last_answer(ui)
    expect(answer.locator(".alt-nav")).to_have_text("2/2")
    answer.get_by_role("button", name="Previous alternative").click()
    expect(last_answer(ui).locator(".alt-nav")).to_have_text("1/2")

    question = ui.get_by_role("article", name="Your message")
    question.hover()
    question.get_by_role("button", name="Edit").click()
    ui.get_by_role("textbox", name="Edit message").fill("Capital of Italy?")
    ui.get_by_role("button", name="Save and send").click()
    wait_until_answered(ui)
    question = ui.get_by_role("article", name="Your message")
    expect(question).to_contain_text("Capital of Italy?")
    expect(question.locator(".alt-nav")).to_have_text("2/2")

    # Rename and delete the conversation from the list.
    conversations = ui.get_by_role("list", name="Conversations")
    conversations.get_by_role("button", name=re.compile("^Rename")).click()
    rename = ui.get_by_role("dialog", name="Rename conversation")
    rename.get_by_label("Title").fill("Capitals")
    rename.get_by_role("button", name="Save").click()
    expect(conversations.get_by_role("link", name="Capitals")).to_be_visible()
    expect(ui.get_by_role("heading", name="Capitals")).to_be_visible()
    conversations.get_by_role("button", name="Delete Capitals").click()
    ui.get_by_role("dialog", name="Delete conversation").get_by_role("button", name="Delete").click()
    expect(conversations.get_by_role("link")).to_have_count(0)


def _seed_long_conversation(home, turns: int) -> str:
    """A conversation of 2 × `turns` messages written straight into the store."""
    from drupe.chat.tables import conversations, messages
    from drupe.store import open_store

    store = open_store(home=home)
    now = datetime.now()
    conversation_id = "c" * 32
    with store.engine.begin() as conn:
        conn.execute(
            conversations.insert().values(id=conversation_id, title="Long history", created_at=now, updated_at=now)
        )
        parent = None
        for number in range(turns):
            for role, text in (("user", f"Question {number}"), ("assistant", f"Answer **{number}**")):
                parent = conn.execute(
                    messages.insert().values(
                        conversation_id=conversation_id,
                        parent_id=parent,
                        role=role,
                        content=text,
                        reasoning="",
                        status="complete",
                        created_at=now,
                        provider="Fake",
                        model="fake-model",
                    )
                ).inserted_primary_key[0]
        conn.execute(conversations.update().values(current_leaf_id=parent))
    store.engine.dispose()
    return conversation_id


def test_a_two_thousand_message_conversation_opens_in_under_a_second(ui: Page, drupe_server) -> None:
    conversation_id = _seed_long_conversation(drupe_server.home, 1000)
    ui.goto("/settings/providers")
    started = time.monotonic()
    ui.evaluate(f"history.pushState(null, '', '/chat/{conversation_id}'); dispatchEvent(new PopStateEvent('popstate'))")
    expect(last_answer(ui)).to_contain_text("Answer 999")
    assert time.monotonic() - started < 1.0
    assert ui.locator(".message").count() <= 60

    # Older messages load on scroll-up, keeping the reader's place.
    ui.locator(".message-scroller").evaluate("node => { node.scrollTop = 0; node.dispatchEvent(new Event('scroll')); }")
    expect(ui.locator(".message")).to_have_count(100)
    expect(ui.locator(".message-list")).to_contain_text("Question 950")


# A 1×1 transparent PNG.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fe"
    "a7d6a4a00000000049454e44ae426082"
)


def test_an_image_is_sent_to_a_vision_model(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("openai", text="A tiny transparent square.")
    add_provider(api, "Vision", upstream.base_url, ["fake-model", "gpt-4o"])
    open_chat(ui)
    pick_models(ui, "fake-model (Vision)")
    dot = {"name": "dot.png", "mimeType": "image/png", "buffer": TINY_PNG}
    ui.get_by_label("Files to attach").set_input_files(dot)
    expect(ui.get_by_role("alert")).to_contain_text("dot.png: the selected model cannot see images")
    expect(ui.get_by_role("img", name="Image 1 to send")).to_have_count(0)
    pick_models(ui, "gpt-4o (Vision)")
    ui.get_by_label("Files to attach").set_input_files(dot)
    expect(ui.get_by_role("img", name="Image 1 to send")).to_be_visible()
    send(ui, "What is this?")
    wait_until_answered(ui)
    content = upstream.requests[-1].json["messages"][-1]["content"]
    assert any(part.get("type") == "image_url" for part in content if isinstance(part, dict))
    expect(ui.get_by_role("article", name="Your message").get_by_role("img", name="Attached image")).to_be_visible()


def test_a_search_answer_that_arrives_after_a_newer_query_is_dropped(
    ui: Page, api: httpx2.Client, fake_upstream
) -> None:
    upstream = fake_upstream("openai", text="Noted.")
    provider = add_provider(api, "Fake", upstream.base_url, ["fake-model"])
    for title, text in (("First chat", "apples are red"), ("Second chat", "bananas are yellow")):
        conversation = api.post("/conversations", json={"title": title}).json()
        target = {"provider": provider["id"], "model": "fake-model"}
        api.post(f"/conversations/{conversation['id']}/messages", json={"content": text, "targets": [target]})
    held: list = []  # the first search request, answered only after the second one

    def hold_the_first_search(route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    ui.route(re.compile(r"/api/search\?"), hold_the_first_search)
    open_chat(ui)
    links = ui.get_by_role("list", name="Conversations").get_by_role("link")
    expect(links).to_have_count(2)
    search = ui.get_by_role("searchbox", name="Search conversations")
    search.fill("apples")
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        ui.wait_for_timeout(50)
    assert held, "the page never searched for 'apples'"
    search.fill("bananas")
    expect(links).to_have_text(["Second chat"])
    with ui.expect_response(re.compile(r"q=apples")):
        held[0].continue_()
    ui.wait_for_timeout(500)  # time for the page to take the late answer, were it to
    expect(links).to_have_text(["Second chat"])


def test_a_refused_rename_shows_the_servers_words_under_the_composer(ui: Page, api: httpx2.Client) -> None:
    conversation = api.post("/conversations", json={"title": "Soon gone"}).json()
    open_chat(ui)
    conversations = ui.get_by_role("list", name="Conversations")
    conversations.get_by_role("button", name="Rename Soon gone").click()
    assert api.delete(f"/conversations/{conversation['id']}").is_success  # deleted in another tab
    refusal = api.patch(f"/conversations/{conversation['id']}", json={"title": "x"}).json()["error"]["message"]
    rename = ui.get_by_role("dialog", name="Rename conversation")
    rename.get_by_label("Title").fill("Kept")
    rename.get_by_role("button", name="Save").click()
    expect(ui.locator(".composer").get_by_role("alert")).to_contain_text(refusal)


def test_an_unknown_conversation_says_so_and_new_conversation_starts_over(ui: Page) -> None:
    ui.goto("/chat/" + "0" * 32)
    expect(ui.get_by_role("heading", name="Conversation not found")).to_be_visible()
    expect(ui.locator(".message-list .form-error")).to_contain_text("No conversation")
    expect(ui.get_by_role("link", name="Export as Markdown")).to_be_hidden()
    ui.get_by_role("button", name="New conversation").click()
    expect(ui.get_by_role("heading", name="New conversation")).to_be_visible()
    expect(ui.get_by_role("heading", name="Start a conversation")).to_be_visible()
