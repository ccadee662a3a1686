"""URL rules: the table in docs/url-rules.md, checked both ways, plus properties."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drupe.errors import DrupeError
from drupe.protocols.urls import resolve_url

DOC = Path(__file__).parent.parent / "docs" / "url-rules.md"

# type, base_url, operation, model, api_version, expected URL
EXAMPLES = [
    ("openai", "", "chat", "gpt-4o", "", "https://api.openai.com/v1/chat/completions"),
    ("openai", "", "models", "", "", "https://api.openai.com/v1/models"),
    ("openai", "http://localhost:8000/", "chat", "m", "", "http://localhost:8000/v1/chat/completions"),
    ("openai", "http://localhost:8000", "models", "", "", "http://localhost:8000/v1/models"),
    ("openai", "https://ark.example.com/api/v3", "chat", "m", "", "https://ark.example.com/api/v3/chat/completions"),
    ("openai", "https://ark.example.com/api/v3/", "models", "", "", "https://ark.example.com/api/v3/models"),
    ("openai", "https://openrouter.ai/api/v1", "chat", "m", "", "https://openrouter.ai/api/v1/chat/completions"),
    ("openai", "https://gw.example.com/v2beta", "chat", "m", "", "https://gw.example.com/v2beta/chat/completions"),
    ("openai", "https://gw.example.com/v1x", "chat", "m", "", "https://gw.example.com/v1x/v1/chat/completions"),
    (
        "openai",
        "https://gw.example.com/x/chat/completions#",
        "chat",
        "m",
        "",
        "https://gw.example.com/x/chat/completions",
    ),
    ("openai", "https://gw.example.com/x/chat/completions#", "models", "", "", "https://gw.example.com/x/models"),
    ("openai", "https://gw.example.com/x#", "chat", "m", "", "https://gw.example.com/x/chat/completions"),
    ("openai", "https://gw.example.com/x/#", "models", "", "", "https://gw.example.com/x/models"),
    ("openai-response", "", "chat", "gpt-5", "", "https://api.openai.com/v1/responses"),
    ("openai-response", "http://127.0.0.1:8080", "chat", "m", "", "http://127.0.0.1:8080/v1/responses"),
    (
        "openai-response",
        "https://gw.example.com/openai/responses#",
        "chat",
        "m",
        "",
        "https://gw.example.com/openai/responses",
    ),
    ("anthropic", "", "chat", "claude-sonnet-4-5", "", "https://api.anthropic.com/v1/messages"),
    ("anthropic", "", "models", "", "", "https://api.anthropic.com/v1/models"),
    (
        "anthropic",
        "https://api.deepseek.com/anthropic",
        "chat",
        "m",
        "",
        "https://api.deepseek.com/anthropic/v1/messages",
    ),
    ("anthropic", "https://gw.example.com/claude#", "chat", "m", "", "https://gw.example.com/claude/messages"),
    ("anthropic", "https://gw.example.com/v1/messages#", "models", "", "", "https://gw.example.com/v1/models"),
    (
        "gemini",
        "",
        "chat",
        "gemini-2.5-flash",
        "",
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    ),
    (
        "gemini",
        "",
        "chat_once",
        "gemini-2.5-flash",
        "",
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
    ),
    ("gemini", "", "models", "", "", "https://generativelanguage.googleapis.com/v1beta/models"),
    (
        "gemini",
        "https://generativelanguage.googleapis.com/v1",
        "chat_once",
        "gemini-2.5-pro",
        "",
        "https://generativelanguage.googleapis.com/v1/models/gemini-2.5-pro:generateContent",
    ),
    (
        "gemini",
        "http://localhost:9000/",
        "chat",
        "tunedModels/my model",
        "",
        "http://localhost:9000/v1beta/models/tunedModels%2Fmy%20model:streamGenerateContent?alt=sse",
    ),
    (
        "gemini",
        "https://gw.example.com/g#",
        "chat",
        "gemini-2.5-flash",
        "",
        "https://gw.example.com/g/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    ),
    (
        "gemini",
        "https://gw.example.com/v1beta/models/gemini-2.5-flash:generateContent#",
        "chat",
        "other",
        "",
        "https://gw.example.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    ),
    (
        "gemini",
        "https://gw.example.com/v1beta/models/gemini-2.5-flash:streamGenerateContent#",
        "models",
        "",
        "",
        "https://gw.example.com/v1beta/models",
    ),
    (
        "azure-openai",
        "https://res.openai.azure.com",
        "chat",
        "gpt-4o",
        "",
        "https://res.openai.azure.com/openai/v1/chat/completions",
    ),
    (
        "azure-openai",
        "https://res.openai.azure.com/openai/v1/",
        "models",
        "",
        "v1",
        "https://res.openai.azure.com/openai/v1/models",
    ),
    (
        "azure-openai",
        "https://res.openai.azure.com/openai",
        "chat",
        "gpt-4o",
        "preview",
        "https://res.openai.azure.com/openai/v1/chat/completions?api-version=preview",
    ),
    (
        "azure-openai",
        "https://res.openai.azure.com/",
        "chat",
        "my deploy",
        "2024-10-21",
        "https://res.openai.azure.com/openai/deployments/my%20deploy/chat/completions?api-version=2024-10-21",
    ),
    (
        "azure-openai",
        "https://res.openai.azure.com",
        "models",
        "",
        "2024-10-21",
        "https://res.openai.azure.com/openai/models?api-version=2024-10-21",
    ),
    (
        "openai",
        "http://127.0.0.1:8080",
        "chat",
        "/models/qwen 2.5:7b.gguf",
        "",
        "http://127.0.0.1:8080/v1/chat/completions",
    ),
]


@pytest.mark.parametrize(("type", "base_url", "operation", "model", "api_version", "expected"), EXAMPLES)
def test_examples(type, base_url, operation, model, api_version, expected):
    assert resolve_url(type, base_url, operation, model, api_version) == expected


def test_the_documented_table_is_the_tested_table():
    rows = [line for line in DOC.read_text().splitlines() if line.startswith("| ") and "`" in line]
    documented = [tuple(cell.strip().strip("`") for cell in row.strip("|").split("|")) for row in rows]
    assert documented == EXAMPLES


def test_surrounding_whitespace_is_trimmed():
    assert (
        resolve_url("openai", "  https://api.openai.com/v1/ \n", "chat") == "https://api.openai.com/v1/chat/completions"
    )


def test_azure_without_a_base_url_says_what_to_enter():
    with pytest.raises(DrupeError, match="resource endpoint"):
        resolve_url("azure-openai", "  ", "chat", "gpt-4o")


model_ids = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)


@settings(deadline=None)
@given(model=model_ids)
def test_gemini_model_ids_are_one_escaped_path_segment(model):
    url = resolve_url("gemini", "", "chat", model)
    path = urlsplit(url).path
    segment = path.removeprefix("/v1beta/models/").removesuffix(":streamGenerateContent")
    assert "/" not in segment and "?" not in segment and "#" not in segment
    assert unquote(segment) == model


@settings(deadline=None)
@given(model=model_ids, version=st.sampled_from(["2024-10-21", "2025-04-01-preview"]))
def test_azure_deployment_names_are_one_escaped_path_segment(model, version):
    url = resolve_url("azure-openai", "https://res.openai.azure.com", "chat", model, version)
    parts = urlsplit(url).path.split("/")
    assert parts[:3] == ["", "openai", "deployments"] and parts[4:] == ["chat", "completions"]
    assert unquote(parts[3]) == model


@settings(deadline=None)
@given(
    host=st.sampled_from(["http://localhost:8000", "https://gw.example.com", "https://gw.example.com/api/v3"]),
    type=st.sampled_from(["openai", "openai-response", "anthropic", "gemini"]),
    slash=st.booleans(),
)
def test_one_trailing_slash_makes_no_difference(host, type, slash):
    base = host + ("/" if slash else "")
    assert resolve_url(type, base, "models") == resolve_url(type, host, "models")


def test_preview_keeps_the_model_placeholder_readable():
    from drupe.protocols.urls import preview_urls

    azure = preview_urls("azure-openai", "https://team.openai.azure.com", "2024-10-21")
    assert (
        azure["chat_url"]
        == "https://team.openai.azure.com/openai/deployments/{model}/chat/completions?api-version=2024-10-21"
    )
    gemini = preview_urls("gemini", "", model="models x/y")
    assert gemini["chat_url"].endswith("/v1beta/models/models%20x%2Fy:streamGenerateContent?alt=sse")
