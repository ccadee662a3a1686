"""The APIs drupe serves to other programs (the gateway's `/v1`), one `ClientAPI` each.

`served_api(id)` gives the one for an API id; the module declaring it is imported then, so
nothing here costs start-up time. See `drupe.protocols.contract.ClientAPI`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drupe.protocols.contract import ClientAPI

SERVED: dict[str, str] = {
    "openai": "drupe.protocols.serving.openai_chat:OpenAIChatAPI",
    "anthropic": "drupe.protocols.serving.anthropic:AnthropicAPI",
}
"""Each served API's id (as recorded in usage) and the `module:Class` declaring it."""

_loaded: dict[str, ClientAPI] = {}


def served_api(api_id: str) -> ClientAPI:
    """The `ClientAPI` for `api_id` ("openai" or "anthropic")."""
    api = _loaded.get(api_id)
    if api is None:
        module, _, name = SERVED[api_id].partition(":")
        api = _loaded[api_id] = getattr(import_module(module), name)()
    return api
