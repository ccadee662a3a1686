"""The preset catalog: every entry resolves, through drupe's URL rules, to the chat URL its vendor
documents; plus the CLI that lists presets and adds a provider from one (a real `drupe` subprocess)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from drupe.errors import DrupeError
from drupe.presets import Preset, all_presets, get_preset
from drupe.protocols.types import TYPES
from drupe.protocols.urls import preview_urls
from tests.cli_helpers import run_drupe

PRESETS = all_presets()
ISSUE_SERVICES = {
    "openai", "anthropic", "gemini", "azure-openai", "deepseek", "openrouter", "groq", "mistral", "xai", "together",
    "fireworks", "perplexity", "cerebras", "moonshot", "zhipu", "dashscope", "siliconflow", "volcengine", "qianfan",
    "hunyuan", "minimax", "nvidia", "github", "huggingface", "ollama", "lmstudio", "vllm", "llamacpp", "jan", "localai",
}  # fmt: skip


def chat_url(type_id: str, base_url: str) -> str:
    """The chat URL drupe will call for this address (`{model}` where the model goes)."""
    return preview_urls(type_id, base_url)["chat_url"]


def test_the_catalog_has_every_service_the_issue_names_once():
    ids = [p.id for p in PRESETS]
    assert len(ids) == len(set(ids))
    assert set(ids) >= ISSUE_SERVICES
    assert len({p.name.lower() for p in PRESETS}) == len(PRESETS)


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.id)
def test_drupe_calls_the_chat_url_the_vendor_documents(preset: Preset):
    assert chat_url(preset.type, preset.base_url) == preset.chat_url
    for alternate in preset.alternates:
        assert chat_url(alternate.type, alternate.base_url) == alternate.chat_url, alternate.name


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.id)
def test_each_preset_is_complete(preset: Preset):
    assert preset.type in TYPES
    assert all(alternate.type in TYPES for alternate in preset.alternates)
    assert preset.models and all(m.strip() == m and m for m in preset.models)
    assert len(set(preset.models)) == len(preset.models)
    links = [preset.docs_url, preset.checked] + ([preset.key_url] if preset.key_url else [])
    assert all(urlsplit(link).scheme == "https" and urlsplit(link).netloc for link in links)
    assert preset.key_url or preset.local, "a hosted service says where to get a key"
    # The web shows these as text and links: no markup, no script URLs, in case the file is edited carelessly.
    text = json.dumps(preset.public_dict(), ensure_ascii=False)
    assert "<" not in text and ">" not in text and "javascript:" not in text.lower()
    addresses = [preset.base_url, preset.chat_url] + [a.base_url for a in preset.alternates]
    schemes = {urlsplit(address).scheme for address in addresses}
    if preset.local:
        assert schemes == {"http"}
        assert urlsplit(preset.base_url).hostname in ("localhost", "127.0.0.1")
        assert urlsplit(preset.base_url).port
    else:
        assert schemes == {"https"}


def test_lookup_ignores_case_and_an_unknown_id_lists_the_choices():
    assert get_preset(" DeepSeek ").name == "DeepSeek"
    with pytest.raises(DrupeError) as caught:
        get_preset("no-such-service")
    assert caught.value.code == "not_found" and "deepseek" in caught.value.data["choices"]


def ok(*args: str) -> str:
    result = run_drupe(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_cli_lists_presets_as_a_table_and_as_json():
    listed = json.loads(ok("provider", "presets", "--json"))
    assert [p["id"] for p in listed] == [p.id for p in PRESETS]
    assert listed[0] == PRESETS[0].public_dict()
    table = ok("provider", "presets")
    for preset in PRESETS:
        assert preset.id in table and preset.name in table
    assert "https://api.deepseek.com/v1" in table


def test_cli_adds_a_provider_from_a_preset_with_its_address_and_models():
    ok("provider", "add", "DS", "--preset", "deepseek", "--api-key", "sk-preset-0000111122223333")
    shown = json.loads(ok("provider", "show", "DS", "--json"))
    deepseek = get_preset("deepseek")
    assert (shown["type"], shown["base_url"]) == ("openai", deepseek.base_url)
    assert shown["chat_url"] == deepseek.chat_url
    assert [m["model_id"] for m in shown["models"]] == list(deepseek.models)
    assert shown["api_keys"] == ["sk-…3333"]


def test_cli_options_override_the_preset():
    ok(
        "provider", "add", "Kimi", "--preset", "moonshot", "--type", "anthropic",
        "--base-url", "https://api.moonshot.ai/anthropic",
    )  # fmt: skip
    shown = json.loads(ok("provider", "show", "Kimi", "--json"))
    assert (shown["type"], shown["chat_url"]) == ("anthropic", "https://api.moonshot.ai/anthropic/v1/messages")
    assert [m["model_id"] for m in shown["models"]] == list(get_preset("moonshot").models)


def test_cli_add_without_type_or_preset_and_with_an_unknown_preset_fail_clearly():
    result = run_drupe("provider", "add", "X")
    assert result.returncode != 0 and "--type" in result.stderr and "--preset" in result.stderr
    result = run_drupe("provider", "add", "X", "--preset", "nope")
    assert result.returncode != 0 and "Unknown preset 'nope'" in result.stderr
    assert json.loads(ok("provider", "list", "--json")) == []


def test_the_docs_list_every_preset_with_its_address():
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "providers.md").read_text(encoding="utf-8")
    for preset in PRESETS:
        assert f"| {preset.name} | `{preset.id}` | `{preset.type}` | `{preset.base_url}` |" in doc, preset.id
