"""A conversation as Markdown (for reading) or JSON (for keeping): every message, every branch."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from drupe.chat.attachments import FilePart, describe_size
from drupe.chat.records import Conversation, MessageRecord, ToolCallRecord

ROLE_LABELS = {"user": "User", "assistant": "Assistant", "system": "System"}


def current_branch(conversation: Conversation, records: list[MessageRecord]) -> list[int]:
    """Ids from the root to the current leaf."""
    by_id = {m.id: m for m in records}
    path: list[int] = []
    node = by_id.get(conversation.current_leaf_id) if conversation.current_leaf_id is not None else None
    while node is not None:
        path.append(node.id)
        node = by_id.get(node.parent_id) if node.parent_id is not None else None
    return path[::-1]


def to_json(conversation: Conversation, records: list[MessageRecord]) -> dict[str, Any]:
    return {
        "conversation": conversation.to_dict(),
        "current_branch": current_branch(conversation, records),
        "messages": [m.to_dict() for m in records],
    }


def to_markdown(conversation: Conversation, records: list[MessageRecord]) -> str:
    """The tree depth first; alternatives and messages off the current branch are labelled."""
    children: dict[int | None, list[MessageRecord]] = {}
    for message in records:
        children.setdefault(message.parent_id, []).append(message)
    on_branch = set(current_branch(conversation, records))
    lines = [f"# {conversation.title or 'Untitled conversation'}", ""]
    settings = conversation.settings
    if settings.system_prompt:
        lines += ["> **System:** " + settings.system_prompt.replace("\n", "\n> "), ""]

    for message, index, count in _depth_first(children):
        lines.extend(_message_lines(message, index, count, message.id in on_branch))
    return "\n".join(lines).rstrip() + "\n"


def _depth_first(children: dict[int | None, list[MessageRecord]]) -> Iterator[tuple[MessageRecord, int, int]]:
    """Each message before its replies, siblings in order, with its place among its siblings.
    A stack, not recursion: a conversation is a chain thousands of messages deep."""

    def numbered(parent_id: int | None) -> list[tuple[MessageRecord, int, int]]:
        siblings = children.get(parent_id, [])
        return [(message, index, len(siblings)) for index, message in enumerate(siblings, 1)][::-1]

    stack = numbered(None)
    while stack:
        message, index, count = stack.pop()
        yield message, index, count
        stack.extend(numbered(message.id))


def _message_lines(message: MessageRecord, index: int, count: int, on_branch: bool) -> list[str]:
    heading = f"## {ROLE_LABELS.get(message.role, message.role)}"
    if message.model:
        heading += f" · {message.provider}/{message.model}"
    notes = []
    if count > 1:
        notes.append(f"version {index} of {count}")
    if not on_branch:
        notes.append("not on the current branch")
    if message.status != "complete":
        notes.append(message.status)
    if message.stop_reason not in (None, "stop", "error"):
        notes.append(f"stop reason: {message.stop_reason}")
    if notes:
        heading += f" ({', '.join(notes)})"
    lines = [heading, ""]
    for step in message.tool_steps:
        if step.text:
            lines += [step.text, ""]
        for call in step.calls:
            lines += _call_lines(call)
    if message.reasoning:
        lines += ["<details><summary>Reasoning</summary>", "", message.reasoning, "", "</details>", ""]
    if message.content:
        lines += [message.content, ""]
    for part in message.parts:
        if isinstance(part, FilePart):
            lines += _file_lines(part)
    images = sum(1 for p in message.parts if p.type == "image")
    if images:
        lines += [f"_{images} image(s) attached_", ""]
    if message.error:
        lines += [f"> **Error:** {message.error}", ""]
    return lines


def _call_lines(call: ToolCallRecord) -> list[str]:
    """A tool call as a folded block: the call and its arguments, then the result, fenced so
    nothing in them is read as Markdown (a fence longer than any run of backticks inside)."""
    fence = "`" * max(3, _longest_backticks(call.arguments + call.result) + 1)
    return [
        f"<details><summary>Tool call: {html.escape(call.title)} ({call.status})</summary>", "",
        f"{fence}json", call.arguments, fence, "", f"{fence}text", call.result, fence, "", "</details>", "",
    ]  # fmt: skip


def _file_lines(part: FilePart) -> list[str]:
    """An attached file as a folded block: its name (escaped: Markdown viewers render HTML)
    and size, then its text fenced so nothing in it is read as Markdown."""
    fence = "`" * max(3, _longest_backticks(part.text) + 1)
    summary = f"Attached file: {html.escape(part.name)} ({describe_size(part.size)})"
    return [f"<details><summary>{summary}</summary>", "", f"{fence}text", part.text, fence, "", "</details>", ""]


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)
