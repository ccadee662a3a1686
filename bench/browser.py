"""Browser: Chromium (Debian's /usr/bin/chromium, driven by playwright) on drupe's web page.

Two measurements, each in a fresh page per run, against `drupe serve` and the no-delay
fake OpenAI upstream:

- render a streamed answer: the user sends a message (model picked, Enter pressed as a
  person does); the answer is 20 KB of Markdown (paragraphs, lists, code) in 5,000 chunks.
  Measured until the answer is complete on screen.
- open a long conversation: a 2,000-message conversation (written into the store before
  the server starts) is opened by clicking it in the sidebar; measured until its last
  message is on screen.

Main-thread time is Chromium's own `TaskDuration` (DevTools Performance metrics): the
time the page's main thread spent running tasks (script, style, layout, paint) between
the start and the end of the measurement. Wall time (the user's wait) is given beside it.

    python bench/browser.py
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from common import (
    MODEL,
    PROVIDER,
    add_fake_provider,
    drupe_home,
    drupe_server,
    fake_upstream,
    print_table,
    row,
    seed_conversation,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]  # fmt: skip
RUNS = 5
CHUNKS = 5_000
HISTORY = 2_000
WAIT_MS = 60_000
END = "\n\nThat is the whole answer.\n"


def answer_20kb() -> str:
    """About 20 KB of Markdown, as a long answer looks."""
    blocks = []
    i = 0
    while sum(map(len, blocks)) < 20_000:
        blocks.append(
            f"## Part {i}\n\nThis part explains **item {i}** and why it matters: the stream keeps flowing "
            f"while the page renders each finished block once.\n\n"
            f"- point {i}.1 with `code_{i}`\n- point {i}.2, *emphasised*\n\n"
            f"```python\ndef part_{i}(x):\n    return x + {i}\n```\n\n"
        )
        i += 1
    return "".join(blocks)[: 20_000 - len(END)].rstrip() + END


def main_thread_ms(cdp) -> float:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["TaskDuration"] * 1000


def new_page(browser, base: str):
    context = browser.new_context(base_url=base, viewport={"width": 1360, "height": 860})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
    return context, page, cdp


def stream_once(browser, base: str, expected_tail: str) -> tuple[float, float]:
    from playwright.sync_api import expect

    context, page, cdp = new_page(browser, base)
    try:
        page.goto("/chat")
        box = page.get_by_role("textbox", name="Message")
        expect(box).to_be_visible()
        picker = page.get_by_role("button", name=re.compile("^Model:"))
        if f"{MODEL}" not in (picker.text_content() or ""):
            picker.click()
            chooser = page.get_by_role("dialog", name="Choose models")
            chooser.get_by_role("option", name=f"{MODEL} ({PROVIDER})").click()
            expect(chooser).to_be_hidden()
        box.fill("Write a long answer")
        page.wait_for_timeout(200)  # let the page settle before the clock starts
        before = main_thread_ms(cdp)
        started = time.perf_counter()
        box.press("Enter")
        answer = page.get_by_role("article", name=re.compile("^Answer from")).last
        expect(answer).to_be_visible()
        expect(page.locator(".message.streaming")).to_have_count(0)
        expect(answer.locator(".markdown")).to_contain_text(expected_tail)
        wall = (time.perf_counter() - started) * 1000
        return main_thread_ms(cdp) - before, wall
    finally:
        context.close()


def open_once(browser, base: str, title: str, last_text: str) -> tuple[float, float, int]:
    from playwright.sync_api import expect

    context, page, cdp = new_page(browser, base)
    try:
        page.goto("/chat")
        link = page.get_by_role("link", name=title)
        expect(link).to_be_visible()
        page.wait_for_timeout(200)
        before = main_thread_ms(cdp)
        started = time.perf_counter()
        link.click()
        expect(page.get_by_text(last_text, exact=False).last).to_be_visible()
        wall = (time.perf_counter() - started) * 1000
        page.wait_for_timeout(50)  # the frame that shows it is painted
        shown = page.locator("article").count()
        return main_thread_ms(cdp) - before, wall, shown
    finally:
        context.close()


def main() -> list[dict]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        return [row("browser: Chromium missing", [], "ms", met=False, note=f"{CHROMIUM} not found")]
    text = answer_20kb()
    tail = END.strip()
    stream_main, stream_wall, open_main, open_wall, shown = [], [], [], [], 0
    title = "Two thousand messages"
    with fake_upstream(text=text, chunks=CHUNKS) as url, drupe_home() as env:
        add_fake_provider(env, url)
        seed_conversation(env, HISTORY, title=title)
        last_text = f"answer {HISTORY - 1}"
        with drupe_server(env) as (base, _proc), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                stream_once(browser, base, tail)  # warm-up: caches, first render
                open_once(browser, base, title, last_text)
                for _ in range(RUNS):
                    main_ms, wall = stream_once(browser, base, tail)
                    stream_main.append(main_ms)
                    stream_wall.append(wall)
                    main_ms, wall, shown = open_once(browser, base, title, last_text)
                    open_main.append(main_ms)
                    open_wall.append(wall)
            finally:
                browser.close()
    return [
        row(f"browser: main-thread time, 20 KB answer in {CHUNKS:,} chunks", stream_main, "ms",
            target="< 1 s", limit=1000),
        row("browser: wall time, send → 20 KB answer complete", stream_wall, "ms"),
        row(f"browser: main-thread time, open a {HISTORY:,}-message conversation", open_main, "ms",
            target="< 1 s", limit=1000),
        row(f"browser: wall time, click → {HISTORY:,}-message conversation shown", open_wall, "ms",
            note=f"the page rendered {shown} messages (the newest; older ones are fetched on demand)"),
    ]  # fmt: skip


if __name__ == "__main__":
    print_table("Browser (Chromium, main thread)", main())
