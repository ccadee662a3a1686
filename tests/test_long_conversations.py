"""Conversations of thousands of messages: deleted and exported through the service, the API
and the CLI, on SQLite and PostgreSQL. Each message is the parent of the next, the deepest
tree a conversation can be (on SQLite each level of ON DELETE CASCADE was one level of trigger
recursion, and the Markdown export one Python frame per message)."""

from __future__ import annotations

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
        ids = conn.execute(messages.insert().returning(messages.c.id, sort_by_parameter_order=True), rows).scalars().all()
        conn.execute(link, [{"child": child, "parent": parent} for parent, child in zip(ids, ids[1:])])
        conn.execute(conversations.update().where(conversations.c.id == conversation.id).values(current_leaf_id=ids[-1]))
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
    assert [m.content for m in chat.history(conversation, limit=2)] == [f"message {LENGTH - 2}", f"message {LENGTH - 1}"]

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
