"""The CLI speaks the user's language (docs/languages.md): its errors, hints, help and messages,
chosen by LANG (or DRUPE_LANG), through the real command in a subprocess. Names stay English."""

from __future__ import annotations

import pytest

from tests.cli_helpers import run_drupe

ENGLISH_ONLY = {"DRUPE_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": ""}
"""No language set anywhere (the test set-up pins DRUPE_LANG=en: a test of a language clears it)."""


def in_language(lang: str) -> dict[str, str]:
    return {**ENGLISH_ONLY, "LANG": lang}


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr_FR.UTF-8", "error: Type de fournisseur inconnu 'nope'. Types valides : openai,"),
        ("zh_CN.UTF-8", "error: 未知的提供商类型 'nope'。有效的类型：openai,"),
        ("es_ES.UTF-8", "error: Tipo de proveedor desconocido 'nope'. Tipos válidos: openai,"),
        ("pt_BR.UTF-8", "error: Tipo de provedor desconhecido 'nope'. Tipos válidos: openai,"),
        ("id_ID.UTF-8", "error: Tipe penyedia tidak dikenal 'nope'. Tipe yang valid: openai,"),
    ],
)
def test_a_bad_provider_type_is_refused_in_the_users_language(lang, expected):
    done = run_drupe("provider", "add", "X", "--type", "nope", env=in_language(lang))
    assert done.returncode == 1
    assert done.stderr.startswith(expected), done.stderr
    assert "Unknown" not in done.stderr


def test_without_a_language_the_cli_speaks_english():
    done = run_drupe("provider", "add", "X", "--type", "nope", env=ENGLISH_ONLY)
    assert done.returncode == 1
    assert done.stderr.startswith("error: Unknown provider type 'nope'. Valid types: openai,"), done.stderr


def test_drupe_lang_wins_over_lang():
    done = run_drupe("provider", "add", "X", "--type", "nope", env={**in_language("fr_FR.UTF-8"), "DRUPE_LANG": "zh"})
    assert "未知的提供商类型" in done.stderr


def test_the_error_and_its_advice_are_translated_but_commands_stay_as_typed():
    done = run_drupe("model", "list", "nobody", env=in_language("fr_FR.UTF-8"))
    assert done.returncode == 1
    assert "Aucun fournisseur nommé 'nobody'. Fournisseurs : aucun pour l'instant." in done.stderr
    assert "Ajoutez-en un avec `drupe provider add`." in done.stderr


def test_a_bad_url_is_refused_in_chinese():
    done = run_drupe(
        "provider", "add", "local", "--type", "openai", "--base-url", "localhost:8000", env=in_language("zh_CN.UTF-8")
    )
    assert done.returncode == 1
    assert "API 地址 'localhost:8000' 不是 http/https URL。示例：http://localhost:8000/" in done.stderr


def test_drupe_help_lists_the_commands_in_spanish():
    out = run_drupe("--help", env=in_language("es_ES.UTF-8")).stdout
    assert "drupe: chatea con cualquier proveedor de IA" in out
    listed = out.split("Commands:\n", 1)[1]
    assert "chat           Chatea con uno o más modelos." in listed
    assert "model          Gestiona los modelos de cada proveedor." in listed
    assert "provider       Gestiona los proveedores de IA" in listed
    assert "Manage" not in out


def test_a_groups_help_and_a_commands_options_are_in_spanish():
    out = run_drupe("provider", "--help", env=in_language("es_ES.UTF-8")).stdout
    assert "Gestiona los proveedores de IA: su tipo, claves, dirección y opciones." in out
    assert "add            Agrega un proveedor, desde un preajuste o por tipo." in out
    assert "enable         Activa un proveedor." in out
    options = " ".join(run_drupe("provider", "add", "--help", env=in_language("es_ES.UTF-8")).stdout.split())
    assert "--base-url <str> La dirección API; vacía usa el host oficial del tipo." in options
    assert "--type <str> openai, openai-response" in options


def test_help_stays_english_without_a_language():
    out = run_drupe("provider", "--help", env=ENGLISH_ONLY).stdout
    assert "Manage AI providers: their type, keys, address and options." in out
    assert "add            Add a provider, from a preset or by type." in out
