"""Conversations: persistent, branching chats with one or several models at once.

The core has no CLI or web imports; both build on `ChatService`, a thin front over
`chat.repository` (the tables) and `chat.turns` (streaming turns):

    from drupe.chat import ChatService, ConversationSettings, Target
    svc = ChatService(store)    # writes nothing; its first use marks answers a crash left 'streaming' as 'stopped'
    conv = svc.create_conversation(settings=ConversationSettings(context_count=10))
    targets = svc.resolve_targets(None, ["gpt-4o-mini"])
    async for event in svc.send(conv.id, "Hello", targets):
        ...  # UserSaved, AnswerStarted, AnswerDelta, AnswerFinished, (after a first turn) TitleChanged

Conversations: create_conversation, list_conversations, get_conversation (id or unique
prefix), rename_conversation, delete_conversation, update_settings.
Messages: history (current branch, oldest first; limit/before_id page back),
alternatives, sibling_positions (for a page, in one query), select, delete_message (and
everything under it), search, export_markdown, export_json, cost.
Models: resolve_targets (the -p/-m rules), conversation_targets and continue_targets (who goes
on with a conversation: the models of its latest turn).
Turns: send, regenerate, edit; cancelling the consumer leaves unfinished answers
'stopped' with their partial text.
"""

from drupe.chat.events import AnswerDelta, AnswerFinished, AnswerStarted, TitleChanged, TurnEvent, UserSaved
from drupe.chat.records import Conversation, ConversationSettings, MessageRecord, SearchHit, Target
from drupe.chat.service import ChatService

__all__ = [
    "AnswerDelta",
    "AnswerFinished",
    "AnswerStarted",
    "ChatService",
    "Conversation",
    "ConversationSettings",
    "MessageRecord",
    "SearchHit",
    "Target",
    "TitleChanged",
    "TurnEvent",
    "UserSaved",
]
