"""What can go wrong with a fake provider (`FakeUpstream.fault`), one kind at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FaultKind = Literal[
    "drop",
    "rate_limit",
    "server_error",
    "malformed",
    "stall",
    "html",
    "huge_error",
    "ping",
    "big_event",
    "no_finish",
    "stall_drop",
    "echo",
    "cut_off",
    "endless",
    "no_tools",
    "length",
]

HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)


@dataclass
class Fault:
    """Something going wrong, for the next `times` requests (None: every request).

    - rate_limit:   429 with a provider-shaped body and `Retry-After: retry_after`
    - server_error: 500 with a provider-shaped body
    - html:         an HTML page with status `status` (200: a wrong base URL; 502: a proxy)
    - drop:         chats only: the connection closes after `after_chunks` content chunks
    - malformed:    chats only: content chunk number `after_chunks` is broken JSON
    - stall:        chats only: `seconds` of silence after `after_chunks` content chunks
    - echo:         400 whose message repeats every request header, as some gateways do
    - huge_error:   400 with a provider-shaped JSON error whose message is about `size` bytes, sent
                    in pieces as it is made (so a client that reads it all takes that long)
    - ping:         chats only: before every content chunk, events with no data
                    (`event: ping` alone, and an empty `data:` line), as the SSE spec allows
    - big_event:    chats only: content chunk number `after_chunks` is one event of `size` bytes
    - no_finish:    chats only: the stream ends cleanly after the content with no finish reason and
                    no end marker; a whole answer comes without its finish reason
    - stall_drop:   chats only: `seconds` of silence, then the connection closes with no answer at all
                    (a proxy giving up on a request)
    - cut_off:      chats only: the stream ends cleanly after `after_chunks` content chunks, with no
                    finish reason and no end marker; a whole answer comes with no finish reason
    - endless:      streams only: the content chunks are sent again and again, never finishing
    - no_tools:     chats offering tools: 400 saying the model does not support tools (Ollama's words)
    - length:       chats: the answer stops at the token limit, after `after_chunks` text chunks (0: all),
                    with the format's own finish reason for it (`length`, `max_tokens`, `MAX_TOKENS`,
                    `response.incomplete` for `max_output_tokens`)
    """

    kind: FaultKind
    times: int | None = None
    after_chunks: int = 0
    retry_after: float | None = 0
    seconds: float = 30.0
    status: int = 200
    size: int = 100 * 1024 * 1024
