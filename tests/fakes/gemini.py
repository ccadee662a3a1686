"""Gemini `generateContent` as documented: GenerateContentResponse per SSE event, `\r\n` framed."""

from __future__ import annotations

from itertools import chain

from tests.fakes.answer import Answer, Frames, sse

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

    content = chain(
        (chunk([{"text": text, "thought": True}]) for text in answer.reasoning_chunks),
        (chunk([{"text": text}]) for text in answer.text_chunks),
    )
    return Frames(
        start=[],
        content=content,
        end=[chunk([{"text": ""}], "STOP", usage=True)],
        broken=b'data: {"candidates": [{"content": \r\n\r\n',
    )


def body(answer: Answer) -> dict:
    parts = ([{"text": answer.reasoning, "thought": True}] if answer.reasoning else []) + [{"text": answer.text}]
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": _usage(answer),
        "modelVersion": answer.model,
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
        "candidatesTokenCount": len(answer.text_chunks),
        "totalTokenCount": answer.input_tokens + answer.output_tokens,
    }
    if answer.reasoning_chunks:
        usage["thoughtsTokenCount"] = len(answer.reasoning_chunks)
    return usage


def tool_rounds(body: dict) -> int:
    """How many rounds of tool results the request carries (to be written with tool calls)."""
    raise NotImplementedError
