"""Tool calls waiting for the user's click: the web face's approver (see `drupe.chat.approval`).

A turn that needs approval registers one future per waiting call, by answer and call id, and
the turn's stream shows the call as `awaiting`; the page's Run / Deny / "Always allow" button
posts the decision (`POST /api/answers/{answer_id}/tool-calls/{call_id}`), which resolves it.
The wait holds nothing but the future: a turn that is stopped, or whose browser went away, is
cancelled as any other, the future with it, and the call ends `cancelled`.
"""

from __future__ import annotations

import asyncio

from drupe.chat.approval import Approver, Decision
from drupe.chat.records import ToolCallRecord
from drupe.errors import DrupeError


class Approvals:
    """The calls waiting for a decision in this app, by `(answer_id, call_id)`. Kept on
    `app.state.approvals`; each turn asks through its own `approver()`."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[int, str], asyncio.Future[Decision]] = {}

    def approver(self) -> Approver:
        """The approver of one turn: it waits here for each call of its answers that needs approval."""

        async def ask(answer_id: int, call: ToolCallRecord) -> Decision:
            return await self.wait(answer_id, call.id)

        return ask

    async def wait(self, answer_id: int, call_id: str) -> Decision:
        """The user's decision on one call; cancelled with the turn (then forgotten)."""
        key = (answer_id, call_id)  # one answer's calls are asked one at a time (`run_round`)
        future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        try:
            return await future
        finally:
            if self._waiting.get(key) is future:
                del self._waiting[key]

    def decide(self, answer_id: int, call_id: str, decision: Decision) -> None:
        """Resolve the call's wait; `not_found` when nothing waits for it (decided already,
        never asked, or its turn is over)."""
        future = self._waiting.get((answer_id, call_id))
        if future is None or future.done():
            raise DrupeError(
                f"No tool call {call_id!r} of answer {answer_id} waits for a decision: it was decided "
                "already, or its answer is no longer streaming.",
                code="not_found", what="tool_call", name=call_id, answer_id=answer_id,
            )  # fmt: skip
        future.set_result(decision)

    def waiting(self) -> list[tuple[int, str]]:
        """The calls waiting now, `(answer_id, call_id)`: for tests and diagnostics."""
        return list(self._waiting)
