"""What to try next when a provider call fails: one sentence per kind of failure.

Shared by `drupe provider check` and the web app's Check button, so both say the same.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from drupe.errors import ProviderError

_MODEL_MENTION = re.compile(r"\bmodels?\b", re.IGNORECASE)

SCANNED_CHARS = 4_000
"""How much of a provider's message is looked at for a hint: the first sentences say it."""


def error_kind(error: ProviderError, model: str = "") -> str:
    """The provider's kind, or `unknown_model` when a call naming `model` failed because of it.
    Linear in the message, and it looks at no more than its start: the message is the provider's."""
    if not model or error.kind not in ("not_found", "bad_response"):
        return error.kind
    # "Unknown path /v1/models" is not about a model: words with a '/' (paths, URLs) are left out.
    words = " ".join(word for word in error.message[:SCANNED_CHARS].split() if "/" not in word)
    return "unknown_model" if _MODEL_MENTION.search(words) else error.kind


def hint(error: ProviderError, model: str = "", timeout: float | None = None) -> str:
    """What to try next, for the kind of failure."""
    kind = error_kind(error, model)
    url = error.url or "the provider's address"
    if kind == "auth":
        return "The provider refused the key. Check it was copied whole, is still active, and belongs to this provider."
    if kind == "unknown_model":
        return f"The provider does not know the model {model!r}. Fetch its model list and pick a model from it."
    if kind == "not_found":
        return (
            f"Nothing was found at {url}. Check the API address: drupe drops one trailing '/' and adds the "
            "version (like /v1) and the endpoint path itself; end the address with '#' to use it exactly as typed."
        )
    if kind == "connection":
        where = urlsplit(error.url).netloc or "that address"
        return f"Nothing is listening at {where}. Check the address and port, that the server runs, and the proxy if set."
    if kind == "dropped":
        return (
            "The provider closed the connection before the answer was complete. Try again; if it keeps "
            "happening, the server or a proxy in between may be restarting or cutting long requests."
        )
    if kind == "timeout":
        waited = f" within {timeout:g} s" if timeout else ""
        return f"No answer came{waited}. The server may be busy or unreachable; try again or raise the timeout."
    if kind == "rate_limit":
        return "The provider says too many requests, or the quota is used up. Wait a little, or check the plan."
    if kind == "server":
        return "The provider had a problem of its own. Try again later."
    return "The server answered in an unexpected way. Check the provider type matches the server's API."
