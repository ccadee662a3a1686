"""Gemini `generateContent` as documented: GenerateContentResponse per SSE event, `\r\n` framed.

Tool calls as documented (https://ai.google.dev/gemini-api/docs/function-calling): whole
`functionCall` parts `{"name", "args": {...}}`, the parallel ones together in one chunk after the
text, the first carrying a `thoughtSignature` as Gemini 3 does for parallel calls
(https://ai.google.dev/gemini-api/docs/thought-signatures); an `id` only when the FakeCall names
one (Gemini often gives none); `finishReason` stays `STOP`. Gemini parses the model's arguments
itself and never sends invalid ones: when one FakeCall's arguments are not a JSON object, the
answer is what Gemini sends for a call it could not form, no calls and `finishReason:
MALFORMED_FUNCTION_CALL` (https://ai.google.dev/api/generate-content#FinishReason).
"""

from __future__ import annotations

import json
from itertools import chain

from tests.fakes.answer import Answer, FakeCall, Frames, sse

SIGNATURE = "c2lnbmF0dXJl"
"""The fake's thoughtSignature (opaque base64 bytes, as Gemini's)."""

MALFORMED = "MALFORMED_FUNCTION_CALL"

STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def frames(answer: Answer) -> Frames:
    def chunk(parts: list[dict], finish: str | None = None, usage: bool = False) -> bytes:
        candidate: dict = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish:
            candidate["finishReason"] = finish
        response: dict = {"candidates": [candidate], "modelVersion": answer.model, "responseId": "fake"}
        response["usageMetadata"] = _usage(answer) if usage else {"promptTokenCount": answer.input_tokens}
        return sse(response, newline="\r\n")

    calls = _call_parts(answer.tool_calls)
    content = chain(
        (chunk([{"text": text, "thought": True}]) for text in answer.reasoning_chunks),
        (chunk([{"text": text}]) for text in answer.text_chunks),
        [chunk(calls)] if calls else [],
    )
    if answer.tool_calls and not calls:
        end = [
            sse({**_malformed(answer), "usageMetadata": _usage(answer), "modelVersion": answer.model}, newline="\r\n")
        ]
    else:
        end = [chunk([{"text": ""}], "MAX_TOKENS" if answer.length else "STOP", usage=True)]
    return Frames(start=[], content=content, end=end, broken=b'data: {"candidates": [{"content": \r\n\r\n')


def body(answer: Answer) -> dict:
    calls = _call_parts(answer.tool_calls)
    if answer.tool_calls and not calls:
        return {**_malformed(answer), "usageMetadata": _usage(answer), "modelVersion": answer.model}
    parts = [{"text": answer.reasoning, "thought": True}] if answer.reasoning else []
    if answer.text or not calls:
        parts.append({"text": answer.text})
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": parts + calls},
                "finishReason": "MAX_TOKENS" if answer.length else "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": _usage(answer),
        "modelVersion": answer.model,
    }


def _call_parts(calls: tuple[FakeCall, ...]) -> list[dict]:
    """The calls as functionCall parts; none when one of them cannot be (its arguments are no JSON object)."""
    parts = []
    for i, call in enumerate(calls):
        try:
            args = json.loads(call.arguments or "{}")
        except ValueError:
            return []
        if not isinstance(args, dict):
            return []
        function = {"name": call.name, "args": args} | ({"id": call.id} if call.id else {})
        parts.append({"functionCall": function} | ({"thoughtSignature": SIGNATURE} if i == 0 else {}))
    return parts


def _malformed(answer: Answer) -> dict:
    """A candidate for calls Gemini could not form: no content, the reason and a message."""
    return {
        "candidates": [
            {
                "finishReason": MALFORMED,
                "finishMessage": f"Malformed function call: {answer.tool_calls[0].name}",
                "index": 0,
            }
        ]
    }


def error(status: int, message: str) -> dict:
    return {"error": {"code": status, "message": message, "status": STATUSES.get(status, "UNKNOWN")}}


def bad_key_error() -> dict:
    """What Gemini really answers (HTTP 400) for a key it does not know."""
    return {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            ],
        }
    }


def models(ids: list[str], page_token: str | None, page_size: int) -> dict:
    """Names carry the `models/` prefix; the page token is the next offset."""
    start = int(page_token or 0)
    page = ids[start : start + page_size]
    data: dict = {
        "models": [
            {
                "name": f"models/{i}",
                "displayName": i.title(),
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 8192,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
            }
            for i in page
        ]
    }
    if start + page_size < len(ids):
        data["nextPageToken"] = str(start + page_size)
    return data


def _usage(answer: Answer) -> dict:
    usage = {
        "promptTokenCount": answer.input_tokens,
        "candidatesTokenCount": answer.output_tokens - len(answer.reasoning_chunks),
        "totalTokenCount": answer.input_tokens + answer.output_tokens,
    }
    if answer.reasoning_chunks:
        usage["thoughtsTokenCount"] = len(answer.reasoning_chunks)
    return usage


def tool_rounds(body: dict) -> int:
    """How many rounds of tool results the request carries: its user contents holding `functionResponse` parts."""
    return sum(
        1
        for content in body.get("contents") or ()
        if content.get("role") == "user"
        and any(isinstance(part, dict) and "functionResponse" in part for part in content.get("parts") or ())
    )
