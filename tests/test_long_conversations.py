"""Conversations of thousands of messages: deleted and exported through the service, the API
and the CLI, on SQLite and PostgreSQL. Each message is the parent of the next, the deepest
tree a conversation can be (on SQLite each level of ON DELETE CASCADE was one level of trigger
recursion, and the Markdown export one Python frame per message)."""

from __future__ import annotations

import itertools
import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from drupe.chat import ChatService
from drupe.chat.tables import conversations, messages
from drupe.store import open_store
from tests.cli_helpers import run_drupe

pytestmark = pytest.mark.usefixtures("database_url")

LENGTH = 2000


def long_conversation(chat: ChatService, length: int = LENGTH) -> str:
    """A conversation of `length` alternating user/assistant messages, one chain from root to
    leaf, written in two bulk statements (inserting, then linking each to its parent)."""
    conversation = chat.create_conversation("Long")
    now = datetime(2026, 1, 1)
    rows = [
        {"conversation_id": conversation.id, "role": "assistant" if i % 2 else "user", "content": f"message {i}",
         "reasoning": "", "status": "complete", "created_at": now}
        for i in range(length)
    ]  # fmt: skip
    link = messages.update().where(messages.c.id == sa.bindparam("child")).values(parent_id=sa.bindparam("parent"))
    with chat.store.engine.begin() as conn:
        ids = (
            conn.execute(messages.insert().returning(messages.c.id, sort_by_parameter_order=True), rows).scalars().all()
        )
        conn.execute(link, [{"child": child, "parent": parent} for parent, child in itertools.pairwise(ids)])
        conn.execute(
            conversations.update().where(conversations.c.id == conversation.id).values(current_leaf_id=ids[-1])
        )
    return conversation.id


def assert_whole(markdown: str) -> None:
    assert markdown.startswith("# Long\n")
    assert markdown.count("\n## User") == LENGTH // 2 and markdown.count("\n## Assistant") == LENGTH // 2
    positions = [markdown.index(f"\nmessage {i}\n") for i in (0, 1, LENGTH // 2, LENGTH - 1)]
    assert positions == sorted(positions)  # root first, leaf last
    assert "not on the current branch" not in markdown


def message_count(chat: ChatService) -> int:
    with chat.store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar()


def test_service_exports_and_deletes_a_long_conversation():
    chat = ChatService(open_store())
    kept = chat.create_conversation("Kept")
    conversation = long_conversation(chat)
    assert [m.content for m in chat.history(conversation, limit=2)] == [
        f"message {LENGTH - 2}",
        f"message {LENGTH - 1}",
    ]

    assert_whole(chat.export_markdown(conversation))
    exported = chat.export_json(conversation)
    assert len(exported["messages"]) == LENGTH and len(exported["current_branch"]) == LENGTH

    assert chat.delete_conversation(conversation).id == conversation
    assert message_count(chat) == 0 and [c.id for c in chat.list_conversations()] == [kept.id]
    assert chat.search("message") == []


def test_api_exports_and_deletes_a_long_conversation(web_server):
    server = web_server()
    conversation = long_conversation(server.app.state.chat)
    path = f"/api/conversations/{conversation}"

    newest = server.client.get(f"{path}/messages", params={"limit": 2}).json()
    assert [m["content"] for m in newest["messages"]] == [f"message {LENGTH - 2}", f"message {LENGTH - 1}"]
    markdown = server.client.get(f"{path}/export")
    assert markdown.status_code == 200, markdown.text
    assert_whole(markdown.text)

    deleted = server.client.delete(path)
    assert deleted.status_code == 200, deleted.text
    assert server.client.get(path).status_code == 404
    assert message_count(server.app.state.chat) == 0


def test_cli_exports_and_deletes_a_long_conversation(tmp_path):
    chat = ChatService(open_store())
    conversation = long_conversation(chat)
    chat.store.engine.dispose()

    target = tmp_path / "long.md"
    exported = run_drupe("conversations", "export", conversation[:8], "-o", str(target), input="")
    assert exported.returncode == 0, exported.stderr
    assert_whole(target.read_text())
    as_json = run_drupe("conversations", "export", conversation[:8], "--format", "json", input="")
    assert as_json.returncode == 0, as_json.stderr
    assert len(json.loads(as_json.stdout)["messages"]) == LENGTH

    deleted = run_drupe("conversations", "delete", conversation[:8], "--yes", input="")
    assert deleted.returncode == 0, deleted.stderr
    assert f"Deleted conversation {conversation[:8]}" in deleted.stdout
    assert message_count(chat) == 0


def test_a_page_of_messages_costs_a_few_statements_whatever_its_alternatives(web_server):
    """Where each message sits among its alternatives is read for the whole page at once, not
    with a query or two per message."""
    server = web_server()
    chat = server.app.state.chat
    conversation = long_conversation(chat, 120)
    branch = chat.history(conversation)
    answer, question = branch[-3], branch[-4]  # an answer and the question before it, both on the page
    extra = {"conversation_id": conversation, "reasoning": "", "status": "complete", "created_at": datetime(2026, 1, 2)}
    with chat.store.engine.begin() as conn:
        conn.execute(messages.insert(), [
            {**extra, "parent_id": question.id, "role": "assistant", "content": "another answer"},
            {**extra, "parent_id": question.id, "role": "assistant", "content": "a third answer"},
            {**extra, "parent_id": question.parent_id, "role": "user", "content": "the question, edited"},
        ])  # fmt: skip
    statements: list[str] = []
    count = lambda _conn, _cursor, statement, *_rest: statements.append(statement)  # noqa: E731
    sa.event.listen(chat.store.engine, "before_cursor_execute", count)
    try:
        page = server.client.get(f"/api/conversations/{conversation}/messages", params={"limit": 50}).json()
    finally:
        sa.event.remove(chat.store.engine, "before_cursor_execute", count)

    assert len(page["messages"]) == 50 and page["has_more"]
    siblings = {m["id"]: m["siblings"] for m in page["messages"]}
    assert siblings[answer.id] == {"index": 0, "count": 3}
    assert siblings[question.id] == {"index": 0, "count": 2}
    assert siblings[branch[-1].id] == {"index": 0, "count": 1}
    assert len(statements) <= 5, statements


def test_selecting_a_branch_near_the_root_of_a_long_conversation_is_a_few_statements(web_server):
    """The newest leaf under a message is found in one query, not one per level."""
    server = web_server()
    chat = server.app.state.chat
    conversation = long_conversation(chat, 120)
    first_question = chat.history(conversation)[0]
    extra = {"conversation_id": conversation, "reasoning": "", "status": "complete", "created_at": datetime(2026, 1, 2)}
    with chat.store.engine.begin() as conn:
        edited = conn.execute(
            messages.insert().values(**extra, parent_id=None, role="user", content="edited first question")
        ).inserted_primary_key[0]
    original = chat.select(edited)
    assert original.current_leaf_id == edited
    statements: list[str] = []
    count = lambda _conn, _cursor, statement, *_rest: statements.append(statement)  # noqa: E731
    sa.event.listen(chat.store.engine, "before_cursor_execute", count)
    try:
        selected = server.client.post(f"/api/messages/{first_question.id}/select").json()
    finally:
        sa.event.remove(chat.store.engine, "before_cursor_execute", count)

    assert selected["messages"][-1]["content"] == "message 119"
    assert selected["conversation"]["current_leaf_id"] == selected["messages"][-1]["id"]
    assert len(statements) <= 10, statements
