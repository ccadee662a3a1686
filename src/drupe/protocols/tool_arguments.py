"""Tool-call arguments for the wire formats that carry them as JSON objects (Anthropic, Gemini).

drupe keeps a call's arguments as the JSON text the model wrote (`ToolCall.arguments`), so a
call from a format that streams text (OpenAI) can be invalid JSON, or valid JSON that is not an
object. Anthropic's `tool_use.input` and Gemini's `functionCall.args` must be objects, so such
arguments are sent back wrapped as `{"INVALID_JSON": "<the text>"}`: the request stays valid,
the model still sees exactly what it wrote, and the key says what went wrong. That is the
wrapping Anthropic's docs suggest for invalid JSON sent back to the model (Fine-grained tool
streaming, "Handling invalid JSON in tool responses"). No arguments at all ("", or `null`)
are `{}`.

The other way, an object from the wire becomes JSON text, and every answer is checked against
two caps (a provider, or a model fed hostile text, must not flood drupe with calls):
`MAX_TOOL_CALLS` per answer (shared with `drupe.protocols.tool_calls`) and `MAX_ARGUMENT_CHARS` per call, each far above real use. Going
over one ends the answer as a `bad_response` naming the cap.
"""

from __future__ import annotations

import json
from typing import Any

from drupe.errors import ProviderError
from drupe.protocols.tool_calls import MAX_TOOL_CALLS

INVALID_JSON_KEY = "INVALID_JSON"
"""The key wrapping arguments that are not a JSON object (Anthropic's documented suggestion)."""

MAX_ARGUMENT_CHARS = 1_000_000
"""Characters of one call's arguments (about 250k tokens, more than any model writes in one answer)."""


def arguments_object(text: str) -> dict[str, Any]:
    """A call's arguments as the JSON object the format needs (see the module docstring)."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {INVALID_JSON_KEY: text}
    if value is None:
        return {}
    return value if isinstance(value, dict) else {INVALID_JSON_KEY: text}


def check_call_count(count: int) -> None:
    """Raise once an answer has made more than MAX_TOOL_CALLS calls (`count` includes this one)."""
    if count > MAX_TOOL_CALLS:
        raise ProviderError(
            "bad_response",
            f"The provider sent more than {MAX_TOOL_CALLS} tool calls in one answer (drupe's tool-call limit); "
            "drupe stopped reading it.",
        )


def check_arguments_size(chars: int, name: str) -> None:
    """Raise when one call's arguments are over MAX_ARGUMENT_CHARS characters."""
    if chars > MAX_ARGUMENT_CHARS:
        raise ProviderError(
            "bad_response",
            f"The arguments of the provider's call to tool {name[:64]!r} are over {MAX_ARGUMENT_CHARS:,} characters "
            "(drupe's tool-argument limit); drupe stopped reading the answer.",
        )
