"""What to try next when a provider call fails: the one table of failure kinds and their advice.

Every face reads it: `drupe provider check`, a failed answer in `drupe chat`, and the web app's Check
button and error banners. The advice says what to change (`setting`), never how to change it in one
face: the CLI adds the command to type, the web page points at its form.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple
from urllib.parse import urlsplit

from drupe.errors import ProviderError
from drupe.i18n import N_, _

_MODEL_MENTION = re.compile(r"\bmodels?\b", re.IGNORECASE)

SCANNED_CHARS = 4_000
"""How much of a provider's message is looked at for a hint: the first sentences say it."""

Setting = Literal["api_key", "keys", "base_url", "model", "timeout", "type", "limits"]
"""The provider's setting a hint asks the user to change, for a face to say where it is changed."""


class Hint(NamedTuple):
    text: str
    """The advice, in English (translated by `advice`); `{model}`, `{url}`, `{where}`, `{seconds}` and `{limit}`
    are filled in by `advice`."""
    setting: Setting | None


HINTS: dict[str, Hint] = {
    "auth": Hint(
        N_("The provider refused the key. Check it was copied whole, is still active, and belongs to this provider."),
        "api_key",
    ),
    "unknown_model": Hint(
        N_("The provider does not know the model {model}. Fetch its model list and pick a model from it."), "model"
    ),
    "not_found": Hint(
        N_(
            "Nothing was found at {url}. Check the API address: drupe drops one trailing '/' and adds the "
            "version (like /v1) and the endpoint path itself; end the address with '#' to use it exactly as typed."
        ),
        "base_url",
    ),
    "connection": Hint(
        N_("Nothing is listening at {where}. Check the address and port, that the server runs, and the proxy if set."),
        "base_url",
    ),
    "dropped": Hint(
        N_(
            "The provider closed the connection before the answer was complete. Try again; if it keeps "
            "happening, the server or a proxy in between may be restarting or cutting long requests."
        ),
        None,
    ),
    "timeout": Hint(
        N_("No answer came within {seconds} s. The server may be busy or unreachable; try again or raise the timeout."),
        "timeout",
    ),
    "rate_limit": Hint(
        N_(
            "The provider says too many requests, or the quota is used up. Wait a little, add a key, or check the plan."
        ),
        "keys",
    ),
    "server": Hint(N_("The provider had a problem of its own. Try again later."), None),
    "over_limit": Hint(
        N_(
            "The provider sent more than drupe takes at once (its {limit} limit). If replies that large are "
            "expected, raise that limit; otherwise the server is misbehaving."
        ),
        "limits",
    ),
    "tools_refused": Hint(
        N_(
            "The provider refused a request that offered tools: this model or server may not support tool "
            "calls. Turn tools off for this conversation, or pick a model that can use them."
        ),
        None,
    ),
    "mcp": Hint(
        N_(
            "An MCP server this conversation uses could not be started or reached. Check its command or URL, "
            "or turn it off for this conversation."
        ),
        None,
    ),
    "bad_response": Hint(
        N_("The server answered in an unexpected way. Check the provider type matches the server's API."), "type"
    ),
}
"""Kind of failure -> what to try. `bad_response` also stands for any kind not listed."""


def error_kind(error: ProviderError, model: str = "") -> str:
    """The provider's kind; `over_limit` when the reply went over one of drupe's limits, or
    `unknown_model` when a call naming `model` failed because of it. Linear in the message, and it
    looks at no more than its start: the message is the provider's."""
    if error.limit:
        return "over_limit"
    if not model or error.kind not in ("not_found", "bad_response"):
        return error.kind
    # "Unknown path /v1/models" is not about a model: words with a '/' (paths, URLs) are left out.
    words = " ".join(word for word in error.message[:SCANNED_CHARS].split() if "/" not in word)
    return "unknown_model" if _MODEL_MENTION.search(words) else error.kind


def lookup(kind: str) -> Hint:
    return HINTS.get(kind, HINTS["bad_response"])


NO_TIMEOUT = N_("No answer came. The server may be busy or unreachable; try again or raise the timeout.")
"""The timeout advice when the time waited is not known."""


def advice(kind: str, *, model: str = "", url: str = "", timeout: float | None = None, limit: str = "") -> str:
    """The advice for a kind of failure, in the current language, with what is known of the call filled in."""
    text = lookup(kind).text
    if kind == "timeout" and not timeout:
        text = NO_TIMEOUT
    return _(
        text,
        limit=limit or _("size"),
        model=repr(model),
        url=url or _("the provider's address"),
        where=urlsplit(url).netloc or _("that address"),
        seconds=f"{timeout:g}" if timeout else "",
    )


def hint(error: ProviderError, model: str = "", timeout: float | None = None) -> str:
    """What to try next, for the kind of failure."""
    return advice(error_kind(error, model), model=model, url=error.url, timeout=timeout, limit=error.limit or "")
