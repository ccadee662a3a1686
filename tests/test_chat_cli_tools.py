"""`drupe chat` with tools, run as a user runs it: a fake provider calls `time__get_current_time`,
the real `mcp-server-time` (registered with `drupe mcp add`) answers over stdio. Approval with
`--yes`, without a terminal, and on a pseudo-terminal answering y, n and a; `-c` keeps the tools."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import subprocess
import sys
import termios
import time

from drupe.chat import ChatService
from drupe.chat.records import MessageRecord
from drupe.cli.render import error_lines
from drupe.registry import Registry
from drupe.store import open_store
from tests.cli_helpers import run_drupe
from tests.fakes.answer import FakeCall
from tests.fakes.upstream import Fault

TOKYO = FakeCall("time__get_current_time", '{"timezone": "Asia/Tokyo"}')
PARIS = FakeCall("time__get_current_time", '{"timezone": "Europe/Paris"}', id="call_paris")
TOKYO_QUESTION = 'Run time.get_current_time {"timezone": "Asia/Tokyo"}? [y/N/a]'
PARIS_QUESTION = 'Run time.get_current_time {"timezone": "Europe/Paris"}? [y/N/a]'


def ok(*args: str):
    result = run_drupe(*args, input="")
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def set_up(fake_upstream, calls=(TOKYO,), **options):
    """A fake provider that calls the tools once, then answers; and the time server, added by the CLI."""
    options.setdefault("text", "It is evening in Tokyo.")
    options.setdefault("tool_text", "Let me look.")
    up = fake_upstream("openai", tool_calls=calls, **options)
    registry = Registry(open_store())
    registry.add_provider("fake", "openai", base_url=up.base_url)
    registry.add_model("fake", "fake-model")
    ok("mcp", "add", "time", "--", sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC")
    return up


def service() -> ChatService:
    return ChatService(open_store())


def the_conversation():
    [conversation] = service().list_conversations()
    return conversation


def last_answer():
    return [m for m in service().history(the_conversation().id) if m.role == "assistant"][-1]


def calls_of(answer):
    return [(call.title, call.status) for step in answer.tool_steps for call in step.calls]


def tool_results_sent(request) -> list[str]:
    return [m["content"] for m in request.json["messages"] if m["role"] == "tool"]


def test_yes_runs_the_call_shows_its_card_and_the_answer(fake_upstream):
    up = set_up(fake_upstream)

    result = ok("chat", "--tools", "time", "--yes", "What time is it in Tokyo?")

    assert result.stdout == "Let me look.\nIt is evening in Tokyo.\n"  # stdout: the answer's text alone
    assert '→ time.get_current_time {"timezone":"Asia/Tokyo"}\n' in result.stderr
    [ended] = [line for line in result.stderr.splitlines() if line.startswith("←")]
    assert ended.startswith("← ok ") and " ms: " in ended and "Asia/Tokyo" in ended
    assert calls_of(last_answer()) == [("time.get_current_time", "ok")]
    assert "Asia/Tokyo" in tool_results_sent(up.requests[-1])[0]  # the tool's result went back to the model
    assert the_conversation().settings.tools == ("time",)

    shown = ok("conversations", "show", the_conversation().id).stdout  # the stored answer shows its calls too
    assert shown.index("Let me look.") < shown.index("→ time.get_current_time") < shown.index("← ok ")
    assert shown.index("← ok ") < shown.index("It is evening in Tokyo.")


def test_json_output_holds_the_tool_steps(fake_upstream):
    set_up(fake_upstream)

    result = ok("chat", "--tools", "time", "--yes", "--json", "Time?")

    [answer] = json.loads(result.stdout)["answers"]
    [step] = answer["tool_steps"]
    [call] = step["calls"]
    assert step["text"] == "Let me look." and answer["content"] == "It is evening in Tokyo."
    assert (call["server"], call["tool"], call["status"]) == ("time", "get_current_time", "ok")
    assert "Asia/Tokyo" in call["result"] and call["arguments"] == '{"timezone": "Asia/Tokyo"}'


def test_without_a_terminal_nothing_runs_and_stderr_says_how_to_allow_it(fake_upstream):
    up = set_up(fake_upstream, calls=(TOKYO, PARIS))

    result = ok("chat", "--tools", "time", "Time in Tokyo and Paris?")  # the answer still completes: exit 0

    assert result.stdout == "Let me look.\nIt is evening in Tokyo.\n"
    assert result.stderr.count("← denied") == 2
    assert result.stderr.count("note: ") == 1  # said once, for both calls
    note = next(line for line in result.stderr.splitlines() if line.startswith("note: "))
    assert "2 tool calls did not run" in note and "--yes" in note and "drupe mcp edit time --approval always" in note
    assert calls_of(last_answer()) == [("time.get_current_time", "denied")] * 2
    assert all("did not run" in content for content in tool_results_sent(up.requests[-1]))

    ok("mcp", "edit", "time", "--approval", "always")  # what the note says to type
    up.tool_rounds = 2  # the history holds one round now: the model calls again
    allowed = ok("chat", "-c", "Once more?")

    assert calls_of(last_answer()) == [("time.get_current_time", "ok")] * 2 and "note: " not in allowed.stderr


def test_continue_keeps_the_tools_and_the_cap_and_none_turns_them_off(fake_upstream):
    up = set_up(fake_upstream, tool_rounds=None)  # a model that calls the tool whenever it is offered
    first = run_drupe("chat", "--tools", "time", "--max-tool-steps", "2", "--yes", "Time?", input="")
    assert first.returncode == 1  # stopped at the cap: not a whole answer
    assert "stopped: fake/fake-model: the model made 2 rounds of tool calls (the cap)" in first.stderr
    assert "raise it with --max-tool-steps" in first.stderr
    settings = the_conversation().settings
    assert (settings.tools, settings.max_tool_steps) == (("time",), 2)

    again = run_drupe("chat", "-c", "--yes", "And now?", input="")

    assert "tools" in up.requests[-1].json  # still offered on -c
    assert again.returncode == 1 and "the model made 2 rounds of tool calls" in again.stderr
    assert calls_of(last_answer()) == [("time.get_current_time", "ok")] * 2 + [("time.get_current_time", "error")]

    plain = ok("chat", "-c", "--tools", "none", "Just talk.")

    assert "tools" not in up.requests[-1].json
    assert plain.stdout == "It is evening in Tokyo.\n" and "→" not in plain.stderr
    assert last_answer().tool_steps == () and the_conversation().settings.tools == ()


def test_a_provider_refusing_tools_gets_the_hint_to_turn_them_off(fake_upstream):
    set_up(fake_upstream, fault=Fault("no_tools"))

    result = run_drupe("chat", "--tools", "time", "Time?", input="")

    assert result.returncode == 1
    conversation = the_conversation().id[:8]
    assert "hint: The provider refused a request that offered tools" in result.stderr
    assert f"`drupe chat --conversation {conversation} --tools none`" in result.stderr
    assert last_answer().error_kind == "tools_refused"


def test_an_mcp_failure_of_an_answer_is_worded_with_what_to_type():
    answer = MessageRecord(
        id=1, conversation_id="0123456789abcdef", parent_id=None, role="assistant", content="", status="error",
        created_at=None, provider="fake", model="m", error="MCP server 'time' stopped.", error_kind="mcp",
    )  # fmt: skip

    error, hint = error_lines(answer)

    assert error == "error: fake/m: MCP server 'time' stopped."
    assert hint.startswith("hint: An MCP server this conversation uses could not be started or reached.")
    assert "`drupe mcp list`" in hint and "`drupe chat --conversation 01234567 --tools none`" in hint


def test_unknown_tools_fail_before_anything_is_sent(fake_upstream):
    up = set_up(fake_upstream)

    unknown_server = run_drupe("chat", "--tools", "nosuch", "Time?", input="")
    unknown_tool = run_drupe("chat", "--tools", "time.launch_rockets", "Time?", input="")
    mixed = run_drupe("chat", "--tools", "time,none", "Time?", input="")

    assert unknown_server.returncode == 1
    assert unknown_server.stderr.startswith("error: No MCP server named 'nosuch'. MCP servers: time.")
    assert "drupe mcp list" in unknown_server.stderr
    assert unknown_tool.returncode == 1 and "has no tool 'launch_rockets'" in unknown_tool.stderr
    assert "get_current_time" in unknown_tool.stderr  # the tools it does have
    assert mixed.returncode == 1 and "--tools none turns tools off: give it alone" in mixed.stderr
    assert up.requests == [] and service().list_conversations() == []


def test_a_conversation_whose_server_is_gone_says_how_to_chat_without_it(fake_upstream):
    up = set_up(fake_upstream)
    ok("chat", "--tools", "time", "--yes", "Time?")
    ok("mcp", "remove", "time", "--yes")
    sent = len(up.requests)

    result = run_drupe("chat", "-c", "Again?", input="")

    assert result.returncode == 1
    assert "This conversation's tools (time) cannot be used" in result.stderr and "--tools none" in result.stderr
    assert len(up.requests) == sent and len(service().history(the_conversation().id)) == 2


def _own_terminal() -> None:
    """In the child: a session of its own whose controlling terminal is the pty, so Ctrl-C typed
    on it is a SIGINT, as in a shell."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """`drupe ARGS` on a pseudo-terminal: stdin, stdout and stderr are a terminal, as for a user."""

    def __init__(self, *args: str) -> None:
        self.master, slave = pty.openpty()
        env = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm", "COLUMNS": "120", "LINES": "40"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "drupe", *args],
            stdin=slave, stdout=slave, stderr=slave, env=env, preexec_fn=_own_terminal,
        )  # fmt: skip
        os.close(slave)
        self.screen = ""

    def read_until(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} never appeared; the terminal showed:\n{self.screen[-3000:]}"
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    self.screen += os.read(self.master, 65536).decode(errors="replace")
                except OSError:  # the process ended and closed the terminal
                    break
        return self.screen

    def read_until_count(self, text: str, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.screen.count(text) < count:
            assert time.monotonic() < deadline, f"{text!r} not seen {count} times:\n{self.screen[-3000:]}"
            self.read_until(text, timeout=max(deadline - time.monotonic(), 0.1))
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.screen += os.read(self.master, 65536).decode(errors="replace")
                except OSError:
                    return

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> int:
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self.read_rest()
            os.close(self.master)
        return code

    def read_rest(self) -> None:
        while select.select([self.master], [], [], 0)[0]:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.screen += data.decode(errors="replace")


def test_on_a_terminal_y_runs_a_call_and_n_denies_the_next(fake_upstream):
    up = set_up(fake_upstream, calls=(TOKYO, PARIS))
    term = Terminal("chat", "--tools", "time", "Time in Tokyo and Paris?")

    term.read_until(TOKYO_QUESTION)
    term.type("y\r")
    term.read_until(PARIS_QUESTION)
    term.type("n\r")
    term.read_until("It is evening in Tokyo.")

    assert term.close() == 0, term.screen
    assert "← denied" in term.screen and "← ok " in term.screen
    assert calls_of(last_answer()) == [("time.get_current_time", "ok"), ("time.get_current_time", "denied")]
    tokyo, paris = tool_results_sent(up.requests[-1])
    assert "Asia/Tokyo" in tokyo and "did not approve" in paris


def test_always_is_kept_on_the_conversation_and_not_asked_again(fake_upstream):
    up = set_up(fake_upstream)
    term = Terminal("chat", "--tools", "time", "Time?")
    term.read_until(TOKYO_QUESTION)
    term.type("a\r")
    term.read_until("It is evening in Tokyo.")
    assert term.close() == 0, term.screen
    assert the_conversation().settings.allowed_tools == ("time.get_current_time",)
    up.tool_rounds = 2  # the history now holds one round: the model calls the tool once more

    again = Terminal("chat", "-c", "And now?")
    again.read_until("It is evening in Tokyo.")

    assert again.close() == 0, again.screen
    assert "[y/N/a]" not in again.screen and "← ok " in again.screen  # it ran without a question
    assert calls_of(last_answer()) == [("time.get_current_time", "ok")]


def test_ctrl_c_while_asking_stops_the_answer_and_keeps_the_call(fake_upstream):
    set_up(fake_upstream)
    term = Terminal("chat", "--tools", "time", "Time?")
    term.read_until(TOKYO_QUESTION)

    term.type("\x03")

    assert term.close() == 130, term.screen
    answer = last_answer()
    assert (answer.status, answer.stop_reason) == ("stopped", "cancelled")
    assert answer.tool_steps[0].text == "Let me look."
    assert calls_of(answer) == [("time.get_current_time", "cancelled")]


def test_an_interactive_session_asks_and_chooses_tools_with_a_slash_command(fake_upstream):
    up = set_up(fake_upstream)
    term = Terminal("chat", "--tools", "time")
    term.read_until("/help for commands")

    term.type("What time is it in Tokyo?\r")
    term.read_until(TOKYO_QUESTION)
    term.type("y\r")
    term.read_until("It is evening in Tokyo.")
    term.type("/tools\r")
    term.read_until("Tools: time")
    term.type("/tools none\r")
    term.read_until("Tools: none")
    term.type("Just talk.\r")
    term.read_until_count("fake/fake-model · ", 2)  # the second answer's stats line: it is done
    term.type("/exit\r")

    assert term.close() == 0, term.screen
    assert calls_of(service().history(the_conversation().id)[1]) == [("time.get_current_time", "ok")]
    assert the_conversation().settings.tools == ()
    assert "tools" not in up.requests[-1].json
