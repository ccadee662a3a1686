"""A user's words are kept as written, in every language: the first-message title and the exports
do no ASCII folding, no case change and no trimming inside the text."""

from __future__ import annotations

import pytest

from drupe.chat import Target
from tests.test_chat_service import finished, make_service, run

pytestmark = pytest.mark.usefixtures("database_url")  # each test on SQLite and on PostgreSQL

WORDS = ["Où est l'été ? Ça déménage", "今天天气怎么样", "東京の天気は晴れです", "Señor, ¿qué tal?", "Terima kasih 🙏"]


@pytest.mark.parametrize("text", WORDS)
def test_title_and_exports_keep_the_users_text(fake_upstream, text):
    up = fake_upstream("openai", text=f"Réponse : {text}")
    svc = make_service(up)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, text, [Target("fake1", "fake-model")])))
    assert answer.status == "complete"
    assert svc.get_conversation(conv.id).title == text
    markdown = svc.export_markdown(conv.id)
    assert text in markdown and f"Réponse : {text}" in markdown
    exported = svc.export_json(conv.id)
    assert exported["conversation"]["title"] == text
    assert [m["content"] for m in exported["messages"]] == [text, f"Réponse : {text}"]
