"""The interactive `drupe chat` session, driven through a real pseudo-terminal."""

import json
import os
import pty
import select
import subprocess
import sys
import time

from drupe.registry import Registry
from drupe.store import open_store
from tests.cli_helpers import run_drupe


class Terminal:
    """`drupe chat` on a pty, so it sees a terminal and starts its interactive session."""

    def __init__(self, *args: str) -> None:
        self.master, slave = pty.openpty()
        env = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm", "COLUMNS": "100", "LINES": "40"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "drupe", "chat", *args], stdin=slave, stdout=slave, stderr=slave, env=env
        )
        os.close(slave)
        self.screen = ""

    def read_until(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} never appeared; the terminal showed:\n{self.screen[-2000:]}"
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    self.screen += os.read(self.master, 65536).decode(errors="replace")
                except OSError:
                    break
        return self.screen

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> int:
        try:
            return self.process.wait(timeout=20)
        finally:
            os.close(self.master)


def test_a_session_answers_regenerates_and_exits(fake_upstream):
    up = fake_upstream("openai", text="The tide comes in.")
    registry = Registry(open_store())
    registry.add_provider("Sea", "openai", base_url=up.base_url)
    registry.add_model("Sea", "fake-model")

    term = Terminal("-p", "Sea", "-m", "fake-model")
    term.read_until(">")
    term.type("Tell me about the sea\r")
    term.read_until("The tide comes in.")
    term.type("/regenerate\r")
    time.sleep(0.5)
    term.type("/history\r")
    term.read_until("Tell me about the sea", timeout=20)
    term.type("/exit\r")
    assert term.close() == 0

    [conversation] = json.loads(run_drupe("conversations", "list", "--json").stdout)
    exported = run_drupe("conversations", "export", conversation["id"], "--format", "json").stdout
    answers = [m for m in json.loads(exported)["messages"] if m["role"] == "assistant"]
    assert len(answers) == 2 and all(a["content"] == "The tide comes in." for a in answers)
    assert len(up.requests) == 2


def test_continue_goes_on_with_an_answer_cut_at_the_token_limit(fake_upstream):
    from tests.fakes.answer import split_chunks
    from tests.fakes.upstream import Fault

    up = fake_upstream("anthropic", text="Waves roll", chunks=2, fault=Fault("length", times=1, after_chunks=1))
    registry = Registry(open_store())
    registry.add_provider("Sea", "anthropic", base_url=up.base_url)
    registry.add_model("Sea", "fake-model")

    term = Terminal("-p", "Sea", "-m", "fake-model")
    term.read_until(">")
    term.type("Tell me about the sea\r")
    term.read_until("stopped: token limit")
    up.text_chunks = split_chunks(" roll in, and out.", None)
    term.type("/continue\r")
    term.read_until("and out.")
    term.type("/exit\r")
    assert term.close() == 0

    [conversation] = json.loads(run_drupe("conversations", "list", "--json").stdout)
    exported = run_drupe("conversations", "export", conversation["id"], "--format", "json").stdout
    [answer] = [m for m in json.loads(exported)["messages"] if m["role"] == "assistant"]
    assert (answer["content"], answer["stop_reason"]) == ("Waves roll in, and out.", "stop")
