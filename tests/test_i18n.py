"""Which language drupe speaks: from the environment, from Accept-Language, per context."""

from __future__ import annotations

import contextvars

import pytest

from drupe import i18n


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("fr_FR.UTF-8", "fr"),
        ("fr", "fr"),
        ("pt-BR", "pt"),
        ("pt_PT.utf8@euro", "pt"),
        ("zh_CN.UTF-8", "zh"),
        ("zh-Hans-CN", "zh"),
        ("zh-TW", None),
        ("zh_Hant", None),
        ("id_ID.UTF-8", "id"),
        ("in", "id"),
        ("es-419", "es"),
        ("de_DE.UTF-8", None),
        ("C", None),
        ("POSIX", None),
        ("", None),
    ],
)
def test_match_language(tag, code):
    assert i18n.match_language(tag) == code


@pytest.mark.parametrize(
    ("environ", "code"),
    [
        ({}, "en"),
        ({"LANG": "es_ES.UTF-8"}, "es"),
        ({"LANG": "es_ES.UTF-8", "LC_ALL": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "es_ES.UTF-8", "LC_ALL": "C"}, "en"),  # a set LC_ALL decides, as in any POSIX program
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LC_ALL": "fr_FR.UTF-8", "DRUPE_LANG": "zh"}, "zh"),
        ({"LC_MESSAGES": "id_ID.UTF-8", "LANG": "fr_FR.UTF-8"}, "id"),
    ],
)
def test_language_from_env(environ, code):
    assert i18n.language_from_env(environ) == code


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("de-DE,de;q=0.9,pt-BR;q=0.8,en;q=0.5", "pt"),
        ("en;q=0.5, zh-CN;q=0.9", "zh"),
        ("de, ja", "en"),
        ("es;q=0, id", "id"),
        ("", "en"),
        ("*", "en"),
    ],
)
def test_language_from_accept(header, code):
    assert i18n.language_from_accept(header) == code


def test_a_context_speaks_its_own_language(monkeypatch):
    monkeypatch.setenv("DRUPE_LANG", "fr")
    key = "drupe: chat with any AI provider (OpenAI, OpenAI Responses, Anthropic, Gemini, Azure OpenAI, or any compatible server such as vLLM or llama.cpp)."

    def in_chinese() -> str:
        i18n.set_language("zh")
        return i18n._(key)

    assert contextvars.copy_context().run(in_chinese).startswith("drupe：")
    assert i18n._(key).startswith("drupe : discutez")  # this context still follows the environment
    with pytest.raises(ValueError):
        i18n.set_language("de")


def test_placeholders_are_filled_after_translation():
    assert i18n._("{a} and {b}", a=1, b="two") == "1 and two"
    assert i18n.ngettext("{n} message", "{n} messages", 1) == "1 message"
    assert i18n.ngettext("{n} message", "{n} messages", 3) == "3 messages"
