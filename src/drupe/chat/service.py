"""`ChatService`: what the CLI, the web app and Python callers do with conversations.

A thin front over two parts with one job each: `drupe.chat.repository` (conversations and
messages in the store) and `drupe.chat.turns` (turns streamed from one or more models; the
order of its writes, which survives crashes and interrupts, is described there). Making a
service writes nothing: answers a crashed process left `streaming` are settled on its first
use, or when a face calls `recover` at start-up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from drupe.chat import export
from drupe.chat.answers import Writer
from drupe.chat.approval import Approver
from drupe.chat.events import TurnEvent
from drupe.chat.records import Conversation, ConversationSettings, MessageRecord, SearchHit, Target
from drupe.chat.repository import OWNER, Repository, checked_settings, settings_values
from drupe.chat.targets import resolve_targets
from drupe.chat.turns import Content, TurnRunner
from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.registry import Registry
from drupe.store.db import Store

if TYPE_CHECKING:
    from drupe.protocols.client import Connections

__all__ = ["OWNER", "ChatService", "Content"]


class ChatService:
    """Everything the CLI and the web app do with conversations goes through here."""

    def __init__(self, store: Store, *, connections: Connections | None = None) -> None:
        """`connections`: HTTP connections to providers kept open between turns, for a
        long-lived caller; without it each answer opens (and closes) its own. MCP servers a
        conversation uses are started (or reached) on first use and kept until `aclose`."""
        self.store = store
        self.connections = connections
        self.registry = Registry(store)
        self.repository = Repository(store)
        self.turns = TurnRunner(self.repository, self.registry, connections)

    async def check_tools(self, selection: Sequence[str]) -> None:
        """Reach the MCP servers of a tools selection (`all`, `server`, `server.tool`) now, so a
        name that is not a server or tool, a disabled server or one that cannot start fails before
        a turn stores anything. The servers started stay up for this service's turns."""
        if selection:
            await self.turns.toolbox.offer(tuple(selection))

    async def aclose(self) -> None:
        """Stop the MCP servers this service started (stdio ones) and close their connections."""
        await self.turns.aclose()

    @property
    def writer(self) -> Writer:
        """The answer writes of this service's turns (answers the store refused wait in it)."""
        return self.turns.writer

    @property
    def _has_fts(self) -> bool:
        return self.repository.has_fts

    def recover(self) -> bool:
        """Settle answers left `streaming` by a crashed process now (the first use does it
        otherwise). False when another process held the write lock: tried again next start."""
        return self.repository.recover()

    # -- conversations ---------------------------------------------------

    def create_conversation(
        self, title: str | None = None, settings: ConversationSettings | None = None
    ) -> Conversation:
        settings = checked_settings(settings or ConversationSettings())
        return self.repository.create_conversation(_checked_title(title or "", allow_empty=True), settings)

    def list_conversations(self, limit: int = 50, offset: int = 0) -> list[Conversation]:
        """Most recently active first."""
        return self.repository.list_conversations(limit, offset)

    def get_conversation(self, conversation_id: str) -> Conversation:
        """By id, or by a prefix of the id that matches only one conversation."""
        return self.repository.get_conversation(conversation_id)

    def rename_conversation(self, conversation_id: str, title: str) -> Conversation:
        title = _checked_title(title)
        conversation = self.get_conversation(conversation_id)
        self.repository.update_conversation(conversation.id, title=title)
        return self.get_conversation(conversation.id)

    def delete_conversation(self, conversation_id: str) -> Conversation:
        conversation = self.get_conversation(conversation_id)
        self.repository.delete_conversation(conversation.id)
        return conversation

    def update_settings(self, conversation_id: str, **fields: Any) -> Conversation:
        """Change some settings; a field set to `None` goes back to the provider's default."""
        unknown = set(fields) - set(ConversationSettings.names())
        if unknown:
            raise TypeError(f"unknown conversation settings: {sorted(unknown)}")
        for name in ("tools", "allowed_tools", "params"):
            if name in fields:
                fields[name] = tuple(fields[name] or ())
        conversation = self.get_conversation(conversation_id)
        settings = checked_settings(replace(conversation.settings, **fields))
        self.repository.update_conversation(conversation.id, **settings_values(settings))
        return self.get_conversation(conversation.id)

    # -- messages --------------------------------------------------------

    def get_message(self, message_id: int) -> MessageRecord:
        return self.repository.get_message(message_id)

    def history(
        self, conversation_id: str, limit: int | None = None, before_id: int | None = None
    ) -> list[MessageRecord]:
        """The current branch, oldest first. `limit` keeps the most recent N; `before_id`
        starts above that message, to page back through a long conversation."""
        conversation = self.get_conversation(conversation_id)
        leaf = conversation.current_leaf_id if before_id is None else self.get_message(before_id).parent_id
        return [] if leaf is None else self.repository.branch(leaf, limit)

    def delete_message(self, message_id: int, conversation_id: str | None = None) -> list[int]:
        """Delete a message with everything under it (its answers and the turns after them, on
        every branch), keeping the rest; the ids deleted, the message's first. If the current
        branch went with it, the newest remaining alternative of the message becomes current,
        else its parent. `conversation_id` (id or prefix): the message must be in it."""
        message = self.get_message(message_id)
        if conversation_id is not None and self.get_conversation(conversation_id).id != message.conversation_id:
            raise DrupeError(
                f"No message {message_id} in conversation {conversation_id!r}.",
                code="not_found", what="message", id=message_id, conversation=conversation_id,
            )  # fmt: skip
        conversation = self.get_conversation(message.conversation_id)
        ids, _leaf = self.repository.delete_subtree(message, conversation.current_leaf_id)
        return ids

    def alternatives(self, message_id: int) -> list[MessageRecord]:
        """The versions of one turn: messages with the same parent and role, oldest first."""
        return self.repository.alternatives(self.get_message(message_id))

    def sibling_positions(self, records: Sequence[MessageRecord]) -> dict[int, tuple[int, int]]:
        """Where each message sits among its alternatives, `(index, count)` by id: one query
        for a whole page."""
        return self.repository.sibling_positions(records)

    def select(self, message_id: int) -> Conversation:
        """Make this message's branch current, down to its most recent descendant."""
        message = self.get_message(message_id)
        leaf = self.repository.newest_leaf(message.id)
        self.repository.update_conversation(message.conversation_id, current_leaf_id=leaf)
        return self.get_conversation(message.conversation_id)

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Messages containing all the words of `text` (FTS5), or the text itself (LIKE fallback)."""
        if not text.strip():
            return []
        return self.repository.search(text, limit)

    def export_markdown(self, conversation_id: str) -> str:
        conversation = self.get_conversation(conversation_id)
        return export.to_markdown(conversation, self.repository.all_messages(conversation.id))

    def export_json(self, conversation_id: str) -> dict[str, Any]:
        conversation = self.get_conversation(conversation_id)
        return export.to_json(conversation, self.repository.all_messages(conversation.id))

    # -- targets and prices ----------------------------------------------

    def resolve_targets(self, provider: str | None, models: list[str]) -> list[Target]:
        """Apply the `-p`/`-m` rules (see `drupe.chat.targets`)."""
        return resolve_targets(self.registry, provider, models)

    def continue_targets(self, conversation_id: str) -> list[Target]:
        """Who answers when a conversation goes on and the caller names no model: its own models
        (`conversation_targets`); for a conversation with no answers, or none of whose models is
        still there, the default model."""
        return self.conversation_targets(conversation_id) or self.resolve_targets(None, [])

    def conversation_targets(self, conversation_id: str) -> list[Target]:
        """The models of a conversation's latest turn on its current branch (every model of a
        multi-model turn; after a regeneration, the model that gave the answer shown), those
        still offered by an enabled provider; empty when there are none."""
        conversation = self.get_conversation(conversation_id)
        leaf = conversation.current_leaf_id
        targets: list[Target] = []
        for answer in [] if leaf is None else self.repository.latest_turn_answers(leaf):
            if not answer.provider_id or not answer.model:
                continue
            provider = self.registry.find_provider(answer.provider_id)
            if provider is None or not provider.enabled or self.registry.find_model(provider, answer.model) is None:
                continue
            target = Target(provider.name, answer.model)
            if target not in targets:
                targets.append(target)
        return targets

    def cost(self, answer: MessageRecord) -> float | None:
        """USD for this answer when its model has prices and the provider reported usage."""
        if not answer.provider_id or not answer.model or self.registry.find_provider(answer.provider_id) is None:
            return None
        model = self.registry.find_model(answer.provider_id, answer.model)
        if model is None or (model.price_in is None and model.price_out is None):
            return None
        if answer.input_tokens is None and answer.output_tokens is None:
            return None
        spent_in = (answer.input_tokens or 0) * (model.price_in or 0)
        spent_out = (answer.output_tokens or 0) * (model.price_out or 0)
        return (spent_in + spent_out) / 1e6

    # -- turns -----------------------------------------------------------

    def send(
        self,
        conversation_id: str,
        content: Content,
        targets: Sequence[Target],
        parent_id: int | None = None,
        *,
        stream: bool = True,
        approver: Approver | None = None,
    ) -> AsyncIterator[TurnEvent]:
        """Add a user message (under `parent_id`, default the current leaf) and have each
        target answer it, concurrently. Events of all answers come interleaved. The model may
        call the tools the conversation turned on; `approver` decides the calls that need the
        user's approval (none: they do not run; see `drupe.chat.approval`)."""
        return self.turns.send(conversation_id, content, targets, parent_id, stream, approver)

    def regenerate(
        self,
        answer_id: int,
        targets: Sequence[Target] | None = None,
        *,
        stream: bool = True,
        approver: Approver | None = None,
    ) -> AsyncIterator[TurnEvent]:
        """New answers to the same user message, kept beside the old one as alternatives.
        Without `targets`, the model that gave `answer_id` answers again."""
        return self.turns.regenerate(answer_id, targets, stream, approver)

    def continue_answer(
        self, answer_id: int, *, stream: bool = True, approver: Approver | None = None
    ) -> AsyncIterator[TurnEvent]:
        """Have the model of an answer cut at its token limit (`stop_reason` `length`) go on
        from where it stopped: the history is sent with the answer so far as the model's last
        message, and the new text is added to the same answer (its token counts add up), so
        the user sees one answer. Its events are those of a turn with that one answer."""
        return self.turns.go_on(answer_id, stream, approver)

    def edit(
        self,
        user_message_id: int,
        new_content: Content,
        targets: Sequence[Target],
        *,
        stream: bool = True,
        approver: Approver | None = None,
    ) -> AsyncIterator[TurnEvent]:
        """Send `new_content` as a sibling of a user message: a new branch; the old one stays."""
        return self.turns.edit(user_message_id, new_content, targets, stream, approver)


MAX_TITLE = 500
"""Characters in a conversation title: far more than a list shows, and no flood of every listing."""


def _checked_title(title: str, *, allow_empty: bool = False) -> str:
    title = title.strip()
    if not title and not allow_empty:
        raise DrupeError(_("A conversation title cannot be empty."), code="invalid", field="title")
    if len(title) > MAX_TITLE:
        raise DrupeError(
            _("A conversation title has at most {most} characters, not {length}.", most=MAX_TITLE, length=len(title)),
            code="invalid", field="title", limit=MAX_TITLE,
        )  # fmt: skip
    return title
