"""Pure request building and response parsing, per protocol, from documented payloads."""

from __future__ import annotations

import json

import pytest

from drupe.errors import ProviderError
from drupe.protocols.base import (
    ChatRequest,
    Endpoint,
    Finish,
    ImagePart,
    Message,
    ReasoningDelta,
    RemoteModel,
    TextDelta,
    TextPart,
    Usage,
)
from drupe.protocols.http_errors import error_from_response, redact
from drupe.protocols.types import TYPES
from drupe.protocols.wire import merge_extra

# Each type object, named after the module that declares it.
openai_chat, openai_responses, anthropic, gemini, azure = (
    TYPES[t] for t in ("openai", "openai-response", "anthropic", "gemini", "azure-openai")
)

MODEL = "/models/qwen 2.5:7b.gguf"
REQUEST = ChatRequest(
    model=MODEL,
    messages=(
        Message("system", "Be brief."),
        Message("user", (TextPart("What is this?"), ImagePart(data="aGk=", media_type="image/jpeg"))),
        Message("assistant", "A cat."),
        Message("user", (ImagePart(url="https://example.com/cat.png"),)),
    ),
    temperature=0.5,
    top_p=0.9,
    max_tokens=100,
    stop=("END",),
)


def feed(parser, events):
    """Run (event, data) pairs through a parser, then close it."""
    out = []
    for name, data in events:
        out += parser.feed(name, data if isinstance(data, str) else json.dumps(data))
    return out + parser.close()


# Requests ---------------------------------------------------------------------------


def test_openai_chat_request():
    wire = openai_chat.build_chat(Endpoint("openai", "http://h:1"), REQUEST, "sk-1", stream=True)
    assert wire.url == "http://h:1/v1/chat/completions"
    assert wire.headers["authorization"] == "Bearer sk-1"
    assert wire.json == {
        "model": MODEL,
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.5,
        "top_p": 0.9,
        "max_tokens": 100,
        "stop": ["END"],
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,aGk="}},
                ],
            },
            {"role": "assistant", "content": "A cat."},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]},
        ],
    }


def test_openai_chat_without_stream_usage_or_key():
    endpoint = Endpoint("openai", stream_usage=False)
    wire = openai_chat.build_chat(endpoint, ChatRequest("m", (Message("user", "hi"),)), None, stream=True)
    assert "stream_options" not in wire.json
    assert "authorization" not in wire.headers


@pytest.mark.parametrize(
    ("endpoint", "field"),
    [
        (Endpoint("openai"), "max_completion_tokens"),  # official host: reasoning models reject max_tokens
        (Endpoint("openai", "https://api.openai.com/v1"), "max_completion_tokens"),
        (Endpoint("openai", "http://localhost:8000/"), "max_tokens"),  # vLLM, llama.cpp, Ollama…
        (Endpoint("openai", "https://api.deepseek.com"), "max_tokens"),
        (Endpoint("azure-openai", "https://r.openai.azure.com", api_version="v1"), "max_completion_tokens"),
        (Endpoint("azure-openai", "https://r.openai.azure.com", api_version="2024-10-21"), "max_completion_tokens"),
        (Endpoint("azure-openai", "https://r.openai.azure.com", api_version="2024-02-01"), "max_tokens"),
    ],
)
def test_openai_chat_token_limit_field_follows_the_server(endpoint, field):
    request = ChatRequest("o3", (Message("user", "hi"),), max_tokens=64)
    body = TYPES[endpoint.type].build_chat(endpoint, request, None, stream=True).json
    assert body[field] == 64
    assert len({"max_tokens", "max_completion_tokens"} & set(body)) == 1


def test_openai_chat_reasoning_effort_and_extra_body_last():
    request = ChatRequest(
        "m",
        (Message("user", "hi"),),
        reasoning_effort="high",
        extra_body={"stream_options": None, "top_k": 5, "reasoning_effort": "low"},
    )
    wire = openai_chat.build_chat(Endpoint("openai"), request, None, stream=True)
    assert "stream_options" not in wire.json
    assert wire.json["top_k"] == 5 and wire.json["reasoning_effort"] == "low"


@pytest.mark.parametrize("module", [openai_chat, openai_responses, anthropic, gemini])
def test_provider_body_fields_go_in_over_ours_and_the_requests_over_both(module):
    endpoint = Endpoint(module.id, "http://h:1", extra_body={"top_k": 20, "stream": "mine", "seed": 1})
    request = ChatRequest("m", (Message("user", "hi"),), extra_body={"seed": None})
    body = module.build_chat(endpoint, request, None, stream=True).json
    assert body["top_k"] == 20 and body["stream"] == "mine" and "seed" not in body


def test_extra_body_merges_nested_dicts():
    body = {"generationConfig": {"temperature": 1, "topP": 0.5}, "model": "m"}
    merged = merge_extra(body, {"generationConfig": {"topK": 3, "topP": None}})
    assert merged == {"generationConfig": {"temperature": 1, "topK": 3}, "model": "m"}
    assert body == {"generationConfig": {"temperature": 1, "topP": 0.5}, "model": "m"}


def test_responses_request():
    wire = openai_responses.build_chat(Endpoint("openai-response"), REQUEST, "sk-1", stream=True)
    assert wire.url == "https://api.openai.com/v1/responses"
    assert wire.json["instructions"] == "Be brief."
    assert wire.json["max_output_tokens"] == 100
    assert "stop" not in wire.json
    assert wire.json["input"] == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is this?"},
                {"type": "input_image", "image_url": "data:image/jpeg;base64,aGk="},
            ],
        },
        {"role": "assistant", "content": [{"type": "output_text", "text": "A cat."}]},
        {"role": "user", "content": [{"type": "input_image", "image_url": "https://example.com/cat.png"}]},
    ]


def test_responses_reasoning_effort_asks_for_a_summary():
    request = ChatRequest("m", (Message("user", "hi"),), reasoning_effort="low")
    wire = openai_responses.build_chat(Endpoint("openai-response"), request, None, stream=False)
    assert wire.json["reasoning"] == {"effort": "low", "summary": "auto"}


def test_anthropic_request():
    wire = anthropic.build_chat(Endpoint("anthropic", headers={"anthropic-beta": "x"}), REQUEST, "sk-ant", stream=True)
    assert wire.url == "https://api.anthropic.com/v1/messages"
    assert wire.headers["x-api-key"] == "sk-ant"
    assert wire.headers["anthropic-version"] == "2023-06-01"
    assert wire.headers["anthropic-beta"] == "x"
    assert "authorization" not in wire.headers
    assert wire.json["system"] == "Be brief."
    assert wire.json["stop_sequences"] == ["END"]
    assert wire.json["messages"][0]["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "aGk="}},
    ]
    assert wire.json["messages"][2]["content"] == [
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}}
    ]


def test_anthropic_needs_max_tokens_and_thinking_fits_inside_it():
    request = ChatRequest("m", (Message("user", "hi"),), reasoning_effort="medium")
    body = anthropic.build_chat(Endpoint("anthropic"), request, None, stream=True).json
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 4096}
    assert body["max_tokens"] > 4096


def test_gemini_request_puts_the_key_in_a_header_and_escapes_the_model():
    wire = gemini.build_chat(Endpoint("gemini", api_keys=("AIza-secret",)), REQUEST, "AIza-secret", stream=True)
    assert wire.url == (
        "https://generativelanguage.googleapis.com/v1beta/models/"
        "%2Fmodels%2Fqwen%202.5%3A7b.gguf:streamGenerateContent?alt=sse"
    )
    assert "AIza-secret" not in wire.url
    assert wire.headers["x-goog-api-key"] == "AIza-secret"
    assert wire.json["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert wire.json["generationConfig"] == {
        "temperature": 0.5,
        "topP": 0.9,
        "maxOutputTokens": 100,
        "stopSequences": ["END"],
    }
    assert wire.json["contents"][0]["parts"][1] == {"inlineData": {"mimeType": "image/jpeg", "data": "aGk="}}
    assert wire.json["contents"][1] == {"role": "model", "parts": [{"text": "A cat."}]}


def test_gemini_thinking_config():
    request = ChatRequest("m", (Message("user", "hi"),), reasoning_effort="low")
    config = gemini.build_chat(Endpoint("gemini"), request, None, stream=False).json["generationConfig"]
    assert config["thinkingConfig"] == {"includeThoughts": True, "thinkingBudget": 1024}


def test_azure_uses_api_key_header_and_user_headers_win():
    endpoint = Endpoint("azure-openai", "https://r.openai.azure.com", headers={"api-key": "override"})
    assert azure.headers(endpoint, "k")["api-key"] == "override"
    assert azure.headers(Endpoint("azure-openai"), "k") == {"accept": "application/json", "api-key": "k"}


# Streams ----------------------------------------------------------------------------


def test_openai_stream_with_reasoning_usage_and_done():
    def chunk(delta, finish=None):
        return ("message", {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    events = feed(
        openai_chat.Parser(),
        [
            chunk({"role": "assistant", "content": ""}),
            chunk({"reasoning_content": "Think"}),
            chunk({"reasoning": " more"}),
            chunk({"content": "Hi"}),
            chunk({}, "length"),
            ("message", {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 3}}),
            ("message", "[DONE]"),
        ],
    )
    assert events == [ReasoningDelta("Think"), ReasoningDelta(" more"), TextDelta("Hi"), Usage(7, 3), Finish("length")]


def test_malformed_stream_json_is_a_bad_response():
    with pytest.raises(ProviderError) as caught:
        openai_chat.Parser().feed("message", '{"choices": [')
    assert caught.value.kind == "bad_response"
    assert '{"choices": [' in caught.value.message


def test_an_error_object_in_an_openai_stream_raises_it():
    with pytest.raises(ProviderError) as caught:
        openai_chat.Parser().feed("message", json.dumps({"error": {"message": "Context too long", "code": 400}}))
    assert caught.value.message == "Context too long"


def test_responses_stream():
    events = feed(
        openai_responses.Parser(),
        [
            ("response.created", {"type": "response.created", "response": {"status": "in_progress"}}),
            (
                "response.reasoning_summary_text.delta",
                {"type": "response.reasoning_summary_text.delta", "delta": "Plan"},
            ),
            ("response.reasoning_text.delta", {"type": "response.reasoning_text.delta", "delta": "!"}),
            ("response.output_text.delta", {"type": "response.output_text.delta", "delta": "Hello"}),
            ("response.output_text.done", {"type": "response.output_text.done", "text": "Hello"}),
            (
                "response.incomplete",
                {
                    "type": "response.incomplete",
                    "response": {
                        "status": "incomplete",
                        "incomplete_details": {"reason": "max_output_tokens"},
                        "usage": {"input_tokens": 5, "output_tokens": 9},
                    },
                },
            ),
        ],
    )
    assert events == [ReasoningDelta("Plan"), ReasoningDelta("!"), TextDelta("Hello"), Usage(5, 9), Finish("length")]


@pytest.mark.parametrize(
    "payload",
    [
        {
            "type": "response.failed",
            "response": {"status": "failed", "error": {"code": "server_error", "message": "Boom"}},
        },
        {"type": "error", "code": "server_error", "message": "Boom", "param": None},
    ],
)
def test_responses_failures_raise_the_provider_message(payload):
    with pytest.raises(ProviderError) as caught:
        openai_responses.Parser().feed(payload["type"], json.dumps(payload))
    assert (caught.value.kind, caught.value.message) == ("server", "Boom")


def test_anthropic_stream_as_documented():
    events = feed(
        anthropic.Parser(),
        [
            (
                "message_start",
                {
                    "type": "message_start",
                    "message": {"usage": {"input_tokens": 1, "cache_read_input_tokens": 18, "output_tokens": 1}},
                },
            ),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
            ),
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Hmm"}},
            ),
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "x"}},
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("ping", {"type": "ping"}),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
            ),
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi"}},
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 1}),
            (
                "message_delta",
                {"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 15}},
            ),
            ("message_stop", {"type": "message_stop"}),
        ],
    )
    assert events == [ReasoningDelta("Hmm"), TextDelta("Hi"), Usage(19, 15), Finish("length")]


def test_anthropic_error_event():
    payload = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with pytest.raises(ProviderError) as caught:
        anthropic.Parser().feed("error", json.dumps(payload))
    assert (caught.value.kind, caught.value.message) == ("server", "Overloaded")


def test_gemini_stream_with_thoughts_and_cumulative_usage():
    def response(parts, finish=None, usage=None):
        candidate = {"content": {"role": "model", "parts": parts}}
        if finish:
            candidate["finishReason"] = finish
        return ("message", {"candidates": [candidate], "usageMetadata": usage or {"promptTokenCount": 4}})

    events = feed(
        gemini.Parser(),
        [
            response([{"text": "Pondering", "thought": True}]),
            response([{"text": "Hel"}, {"text": "lo"}]),
            response(
                [{"text": ""}],
                "MAX_TOKENS",
                {"promptTokenCount": 4, "candidatesTokenCount": 2, "thoughtsTokenCount": 6},
            ),
        ],
    )
    assert events == [ReasoningDelta("Pondering"), TextDelta("Hel"), TextDelta("lo"), Usage(4, 8), Finish("length")]


def test_gemini_blocked_prompt_finishes_as_content_filter():
    events = feed(gemini.Parser(), [("message", {"promptFeedback": {"blockReason": "SAFETY"}})])
    assert events == [Finish("content_filter")]


# Whole responses --------------------------------------------------------------------


def test_openai_response():
    data = {
        "choices": [
            {"message": {"role": "assistant", "content": "Hi", "reasoning_content": "R"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2},
    }
    assert openai_chat.parse_response(data) == [ReasoningDelta("R"), TextDelta("Hi"), Usage(3, 2), Finish("stop")]


def test_responses_response():
    data = {
        "status": "completed",
        "usage": {"input_tokens": 3, "output_tokens": 2},
        "output": [
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "R"}]},
            {"type": "message", "content": [{"type": "output_text", "text": "Hi"}]},
        ],
    }
    assert openai_responses.parse_response(data) == [ReasoningDelta("R"), TextDelta("Hi"), Usage(3, 2), Finish("stop")]


def test_anthropic_response():
    data = {
        "type": "message",
        "content": [{"type": "thinking", "thinking": "R", "signature": "s"}, {"type": "text", "text": "Hi"}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 3, "output_tokens": 2},
    }
    assert anthropic.parse_response(data) == [ReasoningDelta("R"), TextDelta("Hi"), Usage(3, 2), Finish("stop")]


def test_gemini_response():
    data = {
        "candidates": [
            {"content": {"parts": [{"text": "R", "thought": True}, {"text": "Hi"}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2},
    }
    assert gemini.parse_response(data) == [ReasoningDelta("R"), TextDelta("Hi"), Usage(3, 2), Finish("stop")]


# Model lists ------------------------------------------------------------------------


def test_openai_models():
    data = {"object": "list", "data": [{"id": MODEL, "owned_by": "llamacpp"}, {"id": "or/m", "context_length": 8192}]}
    assert openai_chat.parse_models(data) == (
        [RemoteModel(MODEL, owned_by="llamacpp"), RemoteModel("or/m", context_window=8192)],
        None,
    )


def test_anthropic_models_page_cursor():
    data = {
        "data": [{"id": "claude-a", "display_name": "Claude A"}],
        "has_more": True,
        "first_id": "claude-a",
        "last_id": "claude-a",
    }
    assert anthropic.parse_models(data) == ([RemoteModel("claude-a", "Claude A")], "claude-a")
    assert anthropic.parse_models({**data, "has_more": False})[1] is None


def test_gemini_models_strip_prefix_and_skip_embeddings():
    data = {
        "models": [
            {
                "name": "models/gemini-2.5-flash",
                "displayName": "Gemini 2.5 Flash",
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 65536,
                "supportedGenerationMethods": ["generateContent"],
            },
            {"name": "models/text-embedding-004", "supportedGenerationMethods": ["embedContent"]},
        ],
        "nextPageToken": "tok",
    }
    assert gemini.parse_models(data) == (
        [RemoteModel("gemini-2.5-flash", "Gemini 2.5 Flash", context_window=1048576, max_output=65536)],
        "tok",
    )


# HTTP errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "kind", "message"),
    [
        (
            401,
            {
                "error": {
                    "message": "Incorrect API key provided",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            },
            "auth",
            "Incorrect API key provided",
        ),
        (403, {"type": "error", "error": {"type": "permission_error", "message": "No access"}}, "auth", "No access"),
        (
            404,
            {"error": {"message": "The model `x` does not exist", "code": "model_not_found"}},
            "not_found",
            "The model `x` does not exist",
        ),
        (
            429,
            {"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down"}},
            "rate_limit",
            "Slow down",
        ),
        (500, {"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}}, "server", "Internal error"),
        (
            529,
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            "server",
            "Overloaded",
        ),
        (
            400,
            {
                "error": {
                    "code": 400,
                    "message": "API key not valid. Please pass a valid API key.",
                    "status": "INVALID_ARGUMENT",
                    "details": [{"reason": "API_KEY_INVALID"}],
                }
            },
            "auth",
            "API key not valid. Please pass a valid API key.",
        ),
        (
            400,
            {"error": {"message": "context too long", "type": "invalid_request_error"}},
            "bad_response",
            "context too long",
        ),
        (400, {"detail": "Not allowed"}, "bad_response", "Not allowed"),
    ],
)
def test_error_bodies_give_the_provider_message(status, body, kind, message):
    error = error_from_response(status, json.dumps(body), "http://h/v1/x")
    assert (error.kind, error.status, error.message, error.url) == (kind, status, message, "http://h/v1/x")


def test_an_html_error_page_gives_its_first_200_characters():
    page = "<html><head><title>502 Bad Gateway</title></head>" + "x" * 500
    error = error_from_response(502, page, "http://h")
    assert error.kind == "server"
    assert error.message.startswith("<html><head><title>502 Bad Gateway") and len(error.message) == 200


def test_retry_after_is_read_from_the_header():
    assert error_from_response(429, "{}", "u", retry_after="7").retry_after == 7.0


def test_echoed_keys_are_redacted():
    assert redact("Incorrect API key provided: sk-secret123", ("sk-secret123",)) == "Incorrect API key provided: ***"


# Why an answer ended: every provider's words in one vocabulary ----------------------------------

OPENAI_FINISH = [
    ("stop", "stop"),
    ("length", "length"),
    ("tool_calls", "tool_calls"),
    ("function_call", "tool_calls"),
    ("content_filter", "content_filter"),
    ("eos_token", "stop"),
    ("model_length", "length"),
    ("something_new", "stop"),
]
ANTHROPIC_FINISH = [
    ("end_turn", "stop"),
    ("stop_sequence", "stop"),
    ("max_tokens", "length"),
    ("tool_use", "tool_calls"),
    ("refusal", "content_filter"),
    ("pause_turn", "length"),
    ("model_context_window_exceeded", "length"),
    ("something_new", "stop"),
]
GEMINI_FINISH = [
    ("STOP", "stop"),
    ("MAX_TOKENS", "length"),
    ("SAFETY", "content_filter"),
    ("RECITATION", "content_filter"),
    ("BLOCKLIST", "content_filter"),
    ("PROHIBITED_CONTENT", "content_filter"),
    ("SPII", "content_filter"),
    ("IMAGE_SAFETY", "content_filter"),
    ("MALFORMED_FUNCTION_CALL", "tool_calls"),
    ("OTHER", "stop"),
    ("FINISH_REASON_UNSPECIFIED", "stop"),
]
RESPONSES_FINISH = [
    ({"status": "completed"}, "stop"),
    ({"status": "completed", "output": [{"type": "function_call", "name": "f"}]}, "tool_calls"),
    ({"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}, "length"),
    ({"status": "incomplete", "incomplete_details": {"reason": "content_filter"}}, "content_filter"),
    ({"status": "incomplete"}, "length"),
]


def openai_chunk(finish):
    return {"choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": finish}]}


@pytest.mark.parametrize(("raw", "reason"), OPENAI_FINISH)
def test_openai_finish_reasons(raw, reason):
    assert feed(openai_chat.Parser(), [("message", openai_chunk(raw))])[-1] == Finish(reason)
    whole = {"choices": [{"message": {"content": "x"}, "finish_reason": raw}]}
    assert openai_chat.parse_response(whole)[-1] == Finish(reason)


@pytest.mark.parametrize(("raw", "reason"), ANTHROPIC_FINISH)
def test_anthropic_finish_reasons(raw, reason):
    delta = {"type": "message_delta", "delta": {"stop_reason": raw}, "usage": {"output_tokens": 1}}
    assert feed(anthropic.Parser(), [("message_delta", delta)])[-1] == Finish(reason)
    assert anthropic.parse_response({"content": [], "stop_reason": raw})[-1] == Finish(reason)


@pytest.mark.parametrize(("raw", "reason"), GEMINI_FINISH)
def test_gemini_finish_reasons(raw, reason):
    data = {"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": raw}]}
    assert feed(gemini.Parser(), [("message", data)])[-1] == Finish(reason)
    assert gemini.parse_response(data)[-1] == Finish(reason)


@pytest.mark.parametrize(("response", "reason"), RESPONSES_FINISH)
def test_responses_finish_reasons(response, reason):
    kind = "response.completed" if response["status"] == "completed" else "response.incomplete"
    assert feed(openai_responses.Parser(), [(kind, {"type": kind, "response": response})])[-1] == Finish(reason)
    assert openai_responses.parse_response(response)[-1] == Finish(reason)


@pytest.mark.parametrize(
    ("parser", "events"),
    [
        (openai_chat.Parser(), [("message", openai_chunk(None))]),
        (
            anthropic.Parser(),
            [("content_block_delta", {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "x"}})],
        ),
        (gemini.Parser(), [("message", {"candidates": [{"content": {"parts": [{"text": "x"}]}}]})]),
        (
            openai_responses.Parser(),
            [("response.output_text.delta", {"type": "response.output_text.delta", "delta": "x"})],
        ),
    ],
)
def test_a_stream_that_ends_without_a_finish_is_cut_off(parser, events):
    out = feed(parser, events)
    assert [e for e in out if isinstance(e, Finish)] == [Finish("cut_off")] and out[-1] == Finish("cut_off")


def test_the_end_marker_without_a_finish_reason_is_a_stop():
    assert feed(openai_chat.Parser(), [("message", openai_chunk(None)), ("message", "[DONE]")])[-1] == Finish("stop")
    assert feed(anthropic.Parser(), [("message_stop", {"type": "message_stop"})])[-1] == Finish("stop")


def test_a_whole_response_without_a_finish_reason_has_no_finish():
    """The client adds `cut_off` (tests/test_provider_limits.py); the parsers invent nothing."""
    assert not any(
        isinstance(e, Finish) for e in openai_chat.parse_response({"choices": [{"message": {"content": "x"}}]})
    )
    assert not any(isinstance(e, Finish) for e in anthropic.parse_response({"content": [], "stop_reason": None}))
    assert not any(isinstance(e, Finish) for e in openai_responses.parse_response({"output": []}))


def test_an_error_body_cut_short_still_gives_the_start_of_its_message():
    body = json.dumps({"error": {"message": 'Bad "thing" \u00e9 ' + "x" * 100, "type": "invalid_request_error"}})
    error = error_from_response(400, body[:60], "u", cut=True)
    assert error.message.startswith('Bad "thing" \u00e9 xxx') and not error.message.startswith("{")
    escaped = json.dumps({"error": {"message": "ab\\ncd"}})
    for end in range(escaped.index("ab") + 2, len(escaped)):  # every cut, through the escape too
        assert error_from_response(400, escaped[:end], "u", cut=True).message.startswith("ab")
