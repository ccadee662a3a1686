"""Who decides whether a tool call runs: the face's approver.

A call to a tool of a server set to `always`, or to a tool the user "always allowed" in the
conversation, runs at once. Any other call waits for the approver the face passed to the turn
(the CLI asks on the terminal, the web app shows Run / Deny and waits for the click). Without an
approver nothing that needs approval runs: the model is told the call was not approved.
"""

from __future__ import annotations

from typing import Literal, Protocol

from drupe.chat.records import ToolCallRecord

Decision = Literal["run", "deny", "always"]
"""`always`: run it, and every later call of this tool in this conversation, without asking."""


class Approver(Protocol):
    async def __call__(self, answer_id: int, call: ToolCallRecord) -> Decision:
        """Ask the user about `call` (status `awaiting`); cancelled when the turn is stopped."""
        ...
