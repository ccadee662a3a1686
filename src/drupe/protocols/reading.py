"""Reading what a provider sends, within its limits, and naming what went wrong on the way.

Nothing a provider sends may freeze or flood drupe: every body is read only up to a cap
(`drupe.protocols.limits`), the rest left unread; anything large is parsed off the event
loop; and a transport failure becomes a ProviderError whose kind says what happened
(could not connect, connection cut, timed out after how long) so the faces can say what to do.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from drupe.errors import DrupeError, ProviderError
from drupe.protocols.http_errors import error_from_response
from drupe.protocols.limits import KIB, MIB, Limits

if TYPE_CHECKING:
    import httpx2

PARSE_OFF_LOOP_BYTES = 1 * MIB
"""A JSON body larger than this is parsed in a worker thread, so other requests go on meanwhile."""

SHAPE_ERRORS = (AttributeError, TypeError, KeyError, IndexError, ValueError)
"""What reading a provider's JSON raises when it is not in the documented shape (a list where
an object should be…): a bad response, never a crash."""

_TIMED_OUT = {
    "ConnectTimeout": "could not connect",
    "ReadTimeout": "nothing came",
    "WriteTimeout": "could not send the request",
    "PoolTimeout": "no connection was free",
}


def size_text(size: int) -> str:
    """`16 MiB`, `64 KiB` or `500 bytes`: a limit as a person reads it."""
    for unit, name in ((MIB, "MiB"), (KIB, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} bytes"


def seconds_text(seconds: float) -> str:
    """`600`, `1.5`, `0.3`: a wait as a person reads it (a try's share of a timeout is not exact)."""
    return f"{seconds:.2g}" if seconds < 1 else f"{seconds:.1f}".removesuffix(".0")


async def read_at_most(response: httpx2.Response, limit: int) -> tuple[bytes, bool]:
    """Up to `limit` bytes of the body, and whether there was more (left unread)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


async def status_error(response: httpx2.Response, url: str, limits: Limits) -> ProviderError:
    """The error for a non-2xx response, from at most `error_body_bytes` of its body."""
    content, more = await read_at_most(response, limits.error_body_bytes)
    body = content.decode("utf-8", errors="replace")
    error = error_from_response(response.status_code, body, url, response.headers.get("retry-after"), cut=more)
    if more:  # said within `error_chars`, so clipping the message later keeps the note
        note = f" … [the error body is over {size_text(limits.error_body_bytes)}; the rest was not read]"
        error.message = error.message[: max(limits.error_chars - len(note), 0)] + note
        error.args = (error.message,)
    return error


async def json_body(response: httpx2.Response, url: str, limits: Limits) -> dict:
    """A whole JSON object body of at most `response_bytes`; anything else is a bad response."""
    content, more = await read_at_most(response, limits.response_bytes)
    if more:
        raise ProviderError(
            "bad_response",
            f"The provider's response is over the response_bytes limit ({size_text(limits.response_bytes)}); "
            "drupe stopped reading it. Raise the limit in the provider's `limits` option if it is expected.",
            status=response.status_code,
            url=url,
            limit="response_bytes",
        )
    if len(content) > PARSE_OFF_LOOP_BYTES:
        data = await asyncio.to_thread(_parse, content)
    else:
        data = _parse(content)
    if not isinstance(data, dict):
        content_type = response.headers.get("content-type", "no content type")
        excerpt = " ".join(content[:200].decode("utf-8", errors="replace").split())
        raise ProviderError(
            "bad_response", f"Expected JSON, got {content_type}: {excerpt}", status=response.status_code, url=url
        )
    return data


def _parse(content: bytes) -> object:
    try:
        return json.loads(content.decode("utf-8", errors="replace"))
    except ValueError:
        return None


def unexpected_shape(exc: Exception) -> ProviderError:
    """The error for data a protocol module could not read (one of SHAPE_ERRORS)."""
    detail = f"{type(exc).__name__}: {str(exc)[:200]}"
    return ProviderError("bad_response", f"The provider's data is not in the shape its API documents ({detail}).")


def is_event_stream(response: httpx2.Response) -> bool:
    return response.headers.get("content-type", "").partition(";")[0].strip().lower() == "text/event-stream"


@contextmanager
def transport_errors(url: str, seconds: float, limits: Limits) -> Iterator[None]:
    """httpx2's failures as ProviderErrors (or a DrupeError for a URL that cannot work).

    `connection`: nothing could be reached; `dropped`: a connection was made, then cut
    (before or during the answer); `timeout`: nothing came for `seconds`, said in the message.
    """
    import httpx2

    try:
        yield
    except (httpx2.UnsupportedProtocol, httpx2.InvalidURL) as exc:
        from drupe.keys import mask_url

        raise DrupeError(
            f"The base URL gives {mask_url(url)!r}, which cannot be used: {exc}", code="invalid", field="base_url"
        ) from None
    except httpx2.SSEError:
        raise ProviderError(
            "bad_response",
            f"The provider sent a server-sent event over the event_bytes limit ({size_text(limits.event_bytes)}); "
            "drupe stopped reading the answer. Raise the limit in the provider's `limits` option if it is expected.",
            url=url,
            limit="event_bytes",
        ) from None
    except httpx2.TimeoutException as exc:
        what = _TIMED_OUT.get(type(exc).__name__, "nothing came")
        message = (
            f"The connection to the provider timed out: {what} within {seconds_text(seconds)} s ({type(exc).__name__})."
        )
        raise ProviderError("timeout", message, url=url) from None
    except (httpx2.ConnectError, httpx2.ProxyError) as exc:
        raise ProviderError("connection", f"The connection to the provider failed: {_detail(exc)}", url=url) from None
    except httpx2.TransportError as exc:
        message = f"The provider closed the connection before the answer was complete: {_detail(exc)}"
        raise ProviderError("dropped", message, url=url) from None
    except httpx2.DecodingError as exc:
        message = f"The provider's response could not be decoded: {_detail(exc)}"
        raise ProviderError("bad_response", message, url=url) from None


def _detail(exc: Exception) -> str:
    return str(exc)[:500] or type(exc).__name__
