"""Search finds Chinese, Japanese and Korean words inside sentences, on SQLite (trigram index,
LIKE for words under 3 characters) and on PostgreSQL (LIKE), with English words mixed in;
through the service, the web API, the `drupe` command and a database migrated from before the
trigram index."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from drupe.chat import ChatService, Target
from drupe.chat.tables import messages
from drupe.store import open_store
from drupe.store.db import MIGRATIONS, create_engine, migrate
from tests.cli_helpers import run_drupe

pytestmark = pytest.mark.usefixtures("database_url")  # each test on SQLite and on PostgreSQL

TEXTS = {
    "zh_question": "今天天气怎么样？我想去公园散步。",
    "zh_answer": "今天天气很好，适合去公园。The weather is sunny in Beijing.",
    "ja": "東京の天気は晴れです。明日は雨が降るでしょう。",
    "ko": "오늘 날씨가 정말 좋네요. 산책하러 갈까요?",
    "en": "Photosynthesis turns light into sugar",
    "mixed": "我用Python写代码，用pytest测试。",
}


def seed(svc: ChatService) -> dict[str, int]:
    """One conversation holding every text of TEXTS; their message ids by name."""
    conversation = svc.create_conversation("多语言")
    ids = {}
    with svc.store.engine.begin() as conn:
        for name, text in TEXTS.items():
            row = messages.insert().values(
                conversation_id=conversation.id, role="user", status="complete", content=text, reasoning="",
                created_at=datetime(2026, 1, 1),
            )  # fmt: skip
            ids[name] = conn.execute(row).inserted_primary_key[0]
    return ids


def found(svc: ChatService, text: str) -> set[int]:
    return {hit.message_id for hit in svc.search(text)}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("天气", {"zh_question", "zh_answer"}),  # 2 characters, inside a sentence
        ("天气怎么样", {"zh_question"}),  # 3 or more: the trigram index on SQLite
        ("公园 天气", {"zh_question", "zh_answer"}),  # all the words, in any order
        ("散步 天气怎么样", {"zh_question"}),
        ("天气？", {"zh_question", "zh_answer"}),  # punctuation is no part of the word
        ("天气 sunny", {"zh_answer"}),  # mixed with English
        ("SUNNY 适合去公园", {"zh_answer"}),
        ("天气 rain", set()),
        ("天气 雨", set()),
        ("下雪", set()),
        ("天気", {"ja"}),  # Japanese: kanji, kana, both
        ("晴れ", {"ja"}),
        ("雨が降る", {"ja"}),
        ("雨", {"ja"}),  # one character
        ("날씨", {"ko"}),  # Korean: a word with its particle glued on
        ("산책하러", {"ko"}),
        ("날씨가 좋네요", {"ko"}),
        ("python写", {"mixed"}),  # Latin glued to Chinese, any case
        ("测试", {"mixed"}),
        ("天_", set()),  # LIKE's wildcard is a plain character
        ("天气 !!!", {"zh_question", "zh_answer"}),  # punctuation alone is no word, on either backend
        ("sugar ?", {"en"}),
        ('"天气" NEAR(', set()),  # FTS5's syntax is plain text: NEAR is a word here, in no message
        ('"天气" "Beijing"', {"zh_answer"}),
        ("!!!", set()),
        ("photosynthesis", {"en"}),
        ("SUGAR photosynthesis", {"en"}),
    ],
)
def test_cjk_words_are_found_inside_sentences(query, names):
    svc = ChatService(open_store())
    ids = seed(svc)
    assert found(svc, query) == {ids[name] for name in names}


def test_the_trigram_index_is_used_on_sqlite_and_snippets_mark_every_word(database_url):
    svc = ChatService(open_store())
    ids = seed(svc)
    assert svc.repository.indexes.trigrams == database_url.startswith("sqlite")
    [hit] = svc.search("天气 sunny")
    assert hit.message_id == ids["zh_answer"] and hit.conversation_title == "多语言"
    assert "今天[天气]很好" in hit.snippet and "is [sunny] in" in hit.snippet
    [hit] = svc.search("天气怎么样")
    assert hit.snippet.startswith("今天[天气怎么样]")
    assert "[날씨가]" in svc.search("날씨가")[0].snippet


def test_edited_and_deleted_messages_leave_the_index(fake_upstream):
    """The trigram index follows what a streamed answer writes (updates) and deletions."""
    up = fake_upstream("openai", text="北京明天会下雪，请多穿衣服。")
    svc = ChatService(open_store())
    svc.registry.add_provider("fake", "openai", base_url=up.base_url)
    svc.registry.add_model("fake", "fake-model")
    conversation = svc.create_conversation()

    async def turn():
        return [event async for event in svc.send(conversation.id, "北京天气", [Target("fake", "fake-model")])]

    asyncio.run(turn())
    [answer] = svc.search("会下雪")
    assert answer.role == "assistant" and [hit.role for hit in svc.search("北京")] != []
    with svc.store.engine.begin() as conn:
        conn.execute(messages.update().where(messages.c.id == answer.message_id).values(content="明天是晴天"))
    assert svc.search("会下雪") == [] and [hit.message_id for hit in svc.search("是晴天")] == [answer.message_id]
    svc.delete_conversation(conversation.id)
    assert svc.search("是晴天") == [] and svc.search("北京") == []


def test_the_web_api_finds_cjk_words(web_server):
    ids = seed(ChatService(open_store()))
    client = web_server().client
    hits = client.get("/api/search", params={"q": "天气"}).json()
    assert {hit["message_id"] for hit in hits} == {ids["zh_question"], ids["zh_answer"]}
    assert all("[天气]" in hit["snippet"] for hit in hits)
    assert [hit["message_id"] for hit in client.get("/api/search", params={"q": "날씨"}).json()] == [ids["ko"]]


def test_the_cli_finds_a_two_character_chinese_word():
    svc = ChatService(open_store())
    ids = seed(svc)
    result = run_drupe("conversations", "search", "天气", input="")
    assert result.returncode == 0, result.stderr
    assert "今天[天气]怎么样" in result.stdout and "今天[天气]很好" in result.stdout
    as_json = json.loads(run_drupe("conversations", "search", "天气怎么样", "--json", input="").stdout)
    assert [hit["message_id"] for hit in as_json] == [ids["zh_question"]]
    assert "No messages match" in run_drupe("conversations", "search", "下雪", input="").stdout


def _config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _before_the_trigram_index() -> str:
    """The revision before the one that makes the trigram index, found by its file name, as
    revisions are renumbered when branches meet."""
    from alembic.script import ScriptDirectory

    [path] = (MIGRATIONS / "versions").glob("*_cjk_search.py")
    down = ScriptDirectory.from_config(_config()).get_revision(path.name.split("_", 1)[0]).down_revision
    assert isinstance(down, str)
    return down


def test_migrating_indexes_the_messages_already_stored(empty_database_url):
    """A database with messages from before migration 0011 finds them after it, and without
    the index again after a downgrade."""
    engine = create_engine(empty_database_url)
    migrate(engine, _before_the_trigram_index())
    stamp = datetime(2026, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', '旧', :at, :at)"),
            {"at": stamp},
        )
        conn.execute(
            sa.text(
                "INSERT INTO messages (conversation_id, role, content, reasoning, status, created_at)"
                " VALUES ('c1', 'user', :content, '', 'complete', :at)"
            ),
            {"content": TEXTS["zh_question"], "at": stamp},
        )
    migrate(engine)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM messages_trigram('\"天气怎\"')")).scalar() == 1
    svc = ChatService(open_store(empty_database_url))
    assert svc.repository.indexes.trigrams == sqlite
    assert len(svc.search("天气怎么样")) == len(svc.search("天气")) == 1

    from alembic import command

    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, _before_the_trigram_index())
    assert not sa.inspect(engine).has_table("messages_trigram")
    assert len(ChatService(svc.store).search("天气怎么样")) == 1  # CJK words through LIKE then
    svc.store.engine.dispose()
    engine.dispose()
