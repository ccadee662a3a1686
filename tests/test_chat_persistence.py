"""What is stored when, and why an answer stopped: failed and locked writes, pauses, cut-off
streams, the size cap, and text no database can take (NUL, lone surrogates)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

import pytest
import sqlalchemy as sa

from drupe.chat import AnswerDelta, AnswerFinished, ChatService, Target, UserSaved
from drupe.chat.tables import messages
from drupe.store import open_store
from drupe.store.db import create_engine
from tests.fakes.upstream import Fault
from tests.test_chat_service import finished, make_service, run

TARGET = [Target("fake1", "fake-model")]


def stored(svc, answer_id):
    """The answer's row as another connection (another process) sees it."""
    other = create_engine(svc.store.engine.url.render_as_string(hide_password=False))
    try:
        with other.connect() as conn:
            return conn.execute(sa.select(messages).where(messages.c.id == answer_id)).one()
    finally:
        other.dispose()


class FailingFinalWrites:
    """The database refusing an answer's final write (as PostgreSQL refused a NUL, or a full
    disk would): a trigger asks Python whether to fail, so a failure outlives the rollback."""

    def __init__(self, engine: sa.Engine, times: int | None) -> None:
        self.times = times
        self.failed = 0
        self.engine = engine
        sa.event.listen(engine, "connect", self._register)
        engine.dispose()
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TRIGGER fail_final BEFORE UPDATE OF status ON messages "
                "WHEN new.status != 'streaming' AND should_fail() "
                "BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END"
            )

    def _register(self, dbapi_connection, _record) -> None:
        dbapi_connection.create_function("should_fail", 0, self._should_fail)

    def _should_fail(self) -> int:
        if self.times is not None and self.failed >= self.times:
            return 0
        self.failed += 1
        return 1


def hold_write_lock(url: str, seconds: float, started: threading.Event) -> threading.Thread:
    """Another connection holding SQLite's write lock for `seconds`."""

    def hold() -> None:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            started.set()
            time.sleep(seconds)
            conn.exec_driver_sql("COMMIT")
        engine.dispose()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert started.wait(5)
    return thread


# -- failed final writes ----------------------------------------------------------------


def test_a_final_write_that_fails_once_is_retried(fake_upstream):
    up = fake_upstream("openai", text="An answer worth keeping")
    svc = make_service(up)
    failing = FailingFinalWrites(svc.store.engine, times=1)
    conv = svc.create_conversation()
    events = run(svc.send(conv.id, "Hi", TARGET))
    [done] = [e for e in events if isinstance(e, AnswerFinished)]

    assert failing.failed == 1 and done.save_error is None
    row = stored(svc, done.answer.id)
    assert (row.status, row.content, row.stop_reason) == ("complete", "An answer worth keeping", "stop")


def test_a_final_write_that_keeps_failing_is_reported_and_stored_later(fake_upstream):
    up = fake_upstream("openai", text="Text that must not be lost")
    svc = make_service(up)
    failing = FailingFinalWrites(svc.store.engine, times=None)
    conv = svc.create_conversation()
    [done] = [e for e in run(svc.send(conv.id, "Hi", TARGET)) if isinstance(e, AnswerFinished)]

    assert done.save_error and "disk I/O error" in done.save_error and "UPDATE" not in done.save_error
    assert (done.answer.status, done.answer.content) == ("complete", "Text that must not be lost")
    assert stored(svc, done.answer.id).status == "streaming"  # not marked finished without its text

    failing.times = failing.failed  # the disk has room again
    run(svc.send(conv.id, "Again", TARGET))
    row = stored(svc, done.answer.id)
    assert (row.status, row.content, row.stop_reason) == ("complete", "Text that must not be lost", "stop")


# -- why an answer stopped --------------------------------------------------------------


def test_every_answer_keeps_its_stop_reason(fake_upstream):
    up = fake_upstream("anthropic", text="Done properly")
    svc = make_service(up)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Hi", TARGET)))
    assert (answer.status, answer.stop_reason) == ("complete", "stop")
    assert svc.get_message(answer.id).to_dict()["stop_reason"] == "stop"
    assert svc.export_json(conv.id)["messages"][1]["stop_reason"] == "stop"

    up.fault = Fault("server_error")
    [failed] = finished(run(svc.send(conv.id, "Again", TARGET)))
    assert (failed.status, failed.stop_reason) == ("error", "error")


@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini"])
def test_a_stream_that_ends_without_a_finish_is_cut_off(fake_upstream, kind):
    up = fake_upstream(kind, text="one two three four five", fault=Fault("cut_off", after_chunks=2))
    svc = make_service(up)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Count", TARGET)))
    assert (answer.status, answer.stop_reason) == ("stopped", "cut_off")
    assert answer.content == "".join(up.text_chunks[:2])
    assert stored(svc, answer.id).stop_reason == "cut_off"
    assert "## Assistant · fake1/fake-model (stopped, stop reason: cut_off)" in svc.export_markdown(conv.id)


def test_a_whole_answer_without_a_finish_reason_is_cut_off(fake_upstream):
    up = fake_upstream("openai", text="Looks whole", fault=Fault("cut_off"))
    svc = make_service(up)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Hi", TARGET, stream=False)))
    assert (answer.status, answer.stop_reason, answer.content) == ("stopped", "cut_off", "Looks whole")


def test_a_cancelled_answer_says_so(fake_upstream):
    up = fake_upstream("openai", text=" ".join(f"w{i}" for i in range(100)), delay=0.05)
    svc = make_service(up)
    conv = svc.create_conversation()

    async def main():
        async for event in svc.send(conv.id, "Go", TARGET):
            if isinstance(event, AnswerDelta):
                break

    asyncio.run(asyncio.wait_for(main(), 30))
    answer = svc.history(conv.id)[-1]
    assert (answer.status, answer.stop_reason) == ("stopped", "cancelled")


def test_answers_stored_before_the_stop_reason_existed_still_read(fake_upstream):
    up = fake_upstream("openai", text="old")
    svc = make_service(up)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Hi", TARGET)))
    with svc.store.engine.begin() as conn:
        conn.execute(messages.update().where(messages.c.id == answer.id).values(stop_reason=None))
    assert svc.get_message(answer.id).stop_reason is None
    assert svc.get_message(answer.id).to_dict()["stop_reason"] is None


# -- the size cap -----------------------------------------------------------------------


def capped_service(up, chars=1000):
    svc = ChatService(open_store())
    svc.registry.add_provider("fake1", up.kind, base_url=up.base_url, options={"limits": {"answer_chars": chars}})
    svc.registry.add_model("fake1", "fake-model")
    return svc


@pytest.mark.parametrize("stream", [True, False])
def test_an_answer_past_the_size_cap_keeps_what_fits(fake_upstream, stream):
    up = fake_upstream("openai", text="x" * 5000, chunks=50, reasoning="think " * 20)
    svc = capped_service(up)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Long", TARGET, stream=stream)))
    assert (answer.status, answer.stop_reason) == ("stopped", "size_limit")
    assert len(answer.content) + len(answer.reasoning) == 1000
    assert answer.reasoning == "think " * 20
    row = stored(svc, answer.id)
    assert len(row.content) + len(row.reasoning) == 1000 and row.stop_reason == "size_limit"


def test_an_endless_stream_stops_at_the_cap(fake_upstream):
    up = fake_upstream("openai", text="more and more ", fault=Fault("endless"))
    svc = capped_service(up, chars=5000)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Forever", TARGET)))
    assert (answer.status, answer.stop_reason, len(answer.content)) == ("stopped", "size_limit", 5000)


# -- saved on a timer -------------------------------------------------------------------


def test_text_received_before_a_pause_is_saved_during_the_pause(fake_upstream):
    up = fake_upstream("openai", text="seventeen chars!! and the rest", chunks=6,
                       fault=Fault("stall", after_chunks=3, seconds=4))  # fmt: skip
    svc = make_service(up)
    conv = svc.create_conversation()
    seen: list[tuple[str, str]] = []

    async def main():
        text = ""
        async for event in svc.send(conv.id, "Go", TARGET):
            if isinstance(event, AnswerDelta):
                text += event.event.text
                if len(text) >= len("".join(up.text_chunks[:3])) and not seen:
                    await asyncio.sleep(1.6)  # the upstream is silent now
                    row = await asyncio.to_thread(stored, svc, event.answer_id)
                    seen.append((row.status, row.content))

    asyncio.run(asyncio.wait_for(main(), 30))
    assert seen == [("streaming", "".join(up.text_chunks[:3]))]


# -- a database locked by another process -----------------------------------------------


def test_a_locked_database_does_not_freeze_streams_or_break_answers(fake_upstream):
    """Another process holds the write lock for 3 s while three answers stream: deltas keep
    coming (the saves wait in worker threads, not on the event loop) and all end complete."""
    text = " ".join(f"w{i}" for i in range(120))
    ups = [fake_upstream("openai", text=text, delay=0.03) for _ in range(3)]
    svc = make_service(*ups)
    conv = svc.create_conversation()
    targets = [Target(f"fake{i}", "fake-model") for i in (1, 2, 3)]
    url = str(svc.store.engine.url)
    times: list[float] = []

    async def main():
        holder = None
        async for event in svc.send(conv.id, "Go", targets):
            if isinstance(event, AnswerDelta):
                times.append(time.monotonic())
                if holder is None:
                    holder = await asyncio.to_thread(hold_write_lock, url, 3.0, threading.Event())
                    times.append(locked_at := time.monotonic())
                    window.append(locked_at)
        return holder

    window: list[float] = []
    asyncio.run(asyncio.wait_for(main(), 60)).join()
    locked_at = window[0]
    gaps = [b - a for a, b in itertools.pairwise(times) if a >= locked_at and a < locked_at + 3.0]
    assert len(gaps) > 20 and max(gaps) < 0.5, f"streams froze for {max(gaps):.2f} s while the database was locked"
    answers = svc.alternatives(svc.history(conv.id)[-1].id)
    assert [(a.status, a.content, a.error) for a in answers] == [("complete", text, None)] * 3


def test_a_lock_longer_than_the_busy_timeout_does_not_break_an_answer(fake_upstream):
    up = fake_upstream("openai", text="Kept through the lock")
    svc = make_service(up)
    sa.event.listen(svc.store.engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout=100"))
    svc.store.engine.dispose()
    conv = svc.create_conversation()
    url = str(svc.store.engine.url)

    async def turn():
        out = []
        async for event in svc.send(conv.id, "Hi", TARGET):
            out.append(event)
            if isinstance(event, UserSaved):  # locked from now until well after the answer arrived
                out.append(await asyncio.to_thread(hold_write_lock, url, 1.5, threading.Event()))
        return out

    events = asyncio.run(asyncio.wait_for(turn(), 30))
    events[1].join()
    [done] = [e for e in events if isinstance(e, AnswerFinished)]
    assert done.save_error is None
    row = stored(svc, done.answer.id)
    assert (row.status, row.content, row.error, row.error_kind) == ("complete", "Kept through the lock", None, None)


def test_a_turn_started_while_the_database_is_locked_waits_for_it(fake_upstream):
    """The user's message is still stored before the provider is called, once the lock is gone."""
    up = fake_upstream("openai", text="After the lock")
    svc = make_service(up)
    sa.event.listen(svc.store.engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout=100"))
    svc.store.engine.dispose()
    conv = svc.create_conversation()
    holder = hold_write_lock(str(svc.store.engine.url), 1.0, threading.Event())
    events = run(svc.send(conv.id, "Sent during the lock", TARGET))
    holder.join()
    assert isinstance(events[0], UserSaved) and len(up.requests) == 1
    assert [(m.content, m.status) for m in svc.history(conv.id)] == [
        ("Sent during the lock", "complete"),
        ("After the lock", "complete"),
    ]


def test_a_service_opens_while_another_process_holds_the_write_lock(fake_upstream):
    svc = make_service(fake_upstream("openai", text="partial"))
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Hi", TARGET)))
    with svc.store.engine.begin() as conn:  # as if a crashed process left it streaming
        conn.execute(messages.update().where(messages.c.id == answer.id).values(status="streaming", owner="gone:1"))
    sa.event.listen(svc.store.engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout=100"))
    svc.store.engine.dispose()
    holder = hold_write_lock(str(svc.store.engine.url), 1.0, threading.Event())
    assert ChatService(svc.store).recover() is False  # settling crashed answers waits for another time
    holder.join()
    assert svc.get_message(answer.id).status == "streaming"
    assert ChatService(svc.store).recover() is True
    assert svc.get_message(answer.id).status == "stopped"


def test_an_internal_failure_is_stored_with_a_kind_and_no_sql(fake_upstream, monkeypatch):
    from drupe.protocols import client

    async def broken(*_args, **_kwargs):
        yield client.TextDelta("partial secret text")
        raise sa.exc.OperationalError(
            "UPDATE messages SET content=?", {"content": "partial secret text"}, Exception("boom")
        )

    up = fake_upstream("openai")
    svc = make_service(up)
    monkeypatch.setattr(client, "stream_chat", broken)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Hi", TARGET)))
    assert (answer.status, answer.error_kind, answer.stop_reason) == ("error", "internal", "error")
    assert answer.content == "partial secret text"
    assert "UPDATE" not in answer.error and "secret" not in answer.error and "boom" not in answer.error


# -- text every database can store ------------------------------------------------------


def test_nul_is_removed_from_messages_and_answers_and_said(fake_upstream):
    up = fake_upstream("openai", text="an\x00swer")
    svc = make_service(up)
    conv = svc.create_conversation()
    events = run(svc.send(conv.id, "hel\x00lo", TARGET))
    user = events[0]
    assert isinstance(user, UserSaved) and user.cleaned == 1 and user.message.content == "hello"
    [answer] = finished(events)
    assert (answer.status, answer.content) == ("complete", "answer")
    assert "".join(e.event.text for e in events if isinstance(e, AnswerDelta)) == "answer"
    assert [m.content for m in svc.history(conv.id)] == ["hello", "answer"]


def test_a_lone_surrogate_from_a_provider_is_replaced(fake_upstream):
    up = fake_upstream("openai", text="bad \ud800 char and more")
    svc = make_service(up)
    conv = svc.create_conversation()
    events = run(svc.send(conv.id, "Hi", TARGET))
    [answer] = finished(events)
    assert (answer.status, answer.content) == ("complete", "bad \ufffd char and more")
    assert stored(svc, answer.id).content == "bad \ufffd char and more"
    assert "\ud800" not in "".join(e.event.text for e in events if isinstance(e, AnswerDelta))
