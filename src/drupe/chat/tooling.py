"""One round of tool calls of an answer: who decides, what runs, what goes back to the model.

The model's calls of a round are decided one by one, in the order it made them (a call of a
tool the server or the conversation always allows runs; any other waits for the face's
approver, see `drupe.chat.approval`), then the approved ones run at once (the toolbox bounds how
many), and their results are kept in the order of the calls. Every call ends with a result the
model can read, also when it did not run (denied, not offered, the step cap): a provider refuses
a history where a call has no result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from drupe.chat.approval import Approver, Decision
from drupe.chat.records import ToolCallRecord, ToolStep
from drupe.protocols.base import Message, ToolCall, ToolResult
from drupe.tools.toolbox import Offer, Toolbox, not_offered

NOT_APPROVED = "The user did not approve this call, so it did not run."
NOT_ASKED = (
    "This call needs the user's approval and there was no one to ask, so it did not run. "
    "Tell the user the call was not approved."
)
CANCELLED = "The user stopped the answer while this call ran."
UNFINISHED = "This call did not finish (drupe stopped while it ran)."
NO_TOOLS = "No tools are turned on in this conversation, so this call did not run."


def step_limit_result(limit: int) -> str:
    return f"Not run: this answer reached its cap of {limit} rounds of tool calls. Answer with what you have."


Update = Callable[[ToolCallRecord], None]
"""Told each time a call changes (awaiting, running, ended): the turn turns it into an event."""


@dataclass
class Round:
    """The calls of one round being decided and run; `records` in the order the model made them."""

    records: list[ToolCallRecord]
    offer: Offer | None
    allowed: set[str]
    """`server.tool` titles always allowed in this conversation (grows with "always" decisions)."""

    @classmethod
    def of(cls, calls: Sequence[ToolCall], offer: Offer | None, allowed: set[str]) -> Round:
        records = []
        for call in calls:
            offered = offer.find(call.name) if offer else None
            records.append(
                ToolCallRecord(
                    id=call.id, name=call.name, arguments=call.arguments, signature=call.signature,
                    server=offered.server.name if offered else "", tool=offered.tool.name if offered else "",
                )
            )  # fmt: skip
        return cls(records, offer, allowed)

    def set(self, index: int, update: Update, **changes: object) -> ToolCallRecord:
        record = replace(self.records[index], **changes)  # type: ignore[arg-type]
        self.records[index] = record
        update(record)
        return record

    def settle(self, status: str, result: str, update: Update) -> None:
        """Every call not ended yet ends as `status` (a cancel, a crash): each keeps a result."""
        for index, record in enumerate(self.records):
            if record.status in ("awaiting", "running"):
                self.set(index, update, status=status, result=result)

    def settle_all(self, status: str, result: str, update: Update) -> None:
        """Every call ends as `status` without running (the step cap)."""
        for index in range(len(self.records)):
            self.set(index, update, status=status, result=result)

    def step(self, text: str, reasoning: str) -> ToolStep:
        return ToolStep(text=text, reasoning=reasoning, calls=tuple(self.records))


async def run_round(
    answer_id: int,
    round_: Round,
    toolbox: Toolbox,
    approver: Approver | None,
    update: Update,
    remember: Callable[[str], Awaitable[None]],
) -> None:
    """Decide each call (asking the approver when needed), then run the approved ones
    concurrently. `remember` stores an "always allow" the user chose, for this conversation."""
    approved: list[int] = []
    for index, record in enumerate(round_.records):
        offered = round_.offer.find(record.name) if round_.offer else None
        if offered is None:
            result = not_offered(round_.offer, record.name).content if round_.offer else NO_TOOLS
            round_.set(index, update, status="error", result=result)
            continue
        if offered.server.approval == "always" or offered.title in round_.allowed:
            approved.append(index)
            continue
        if approver is None:
            round_.set(index, update, status="denied", result=NOT_ASKED)
            continue
        decision: Decision = await approver(answer_id, round_.set(index, update, status="awaiting"))
        if decision == "always":
            round_.allowed.add(offered.title)
            await remember(offered.title)
        if decision in ("run", "always"):
            approved.append(index)
        else:
            round_.set(index, update, status="denied", result=NOT_APPROVED)

    async def run(index: int) -> None:
        assert round_.offer is not None
        record = round_.set(index, update, status="running")
        offered = round_.offer.find(record.name)
        assert offered is not None
        outcome = await toolbox.call(offered, record.arguments)
        round_.set(
            index, update, status="error" if outcome.is_error else "ok", result=outcome.content,
            duration_ms=round(outcome.duration_ms, 1),
        )  # fmt: skip

    await asyncio.gather(*(run(index) for index in approved))


def step_messages(step: ToolStep) -> list[Message]:
    """A stored round as the history sends it: the assistant's text with its calls, then one
    `tool` message per call, in order. A call that never ended still gets a result."""
    calls = tuple(ToolCall(c.id, c.name, c.arguments, c.signature) for c in step.calls)
    sent = [Message("assistant", step.text, tool_calls=calls)]
    for call in step.calls:
        ended = call.status not in ("awaiting", "running")
        result = call.result if ended else UNFINISHED
        sent.append(Message("tool", "", tool_result=ToolResult(call.id, call.name, result, call.status != "ok")))
    return sent
