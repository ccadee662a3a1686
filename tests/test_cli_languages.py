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
        ("fr_FR.UTF-8", "erreur : Type de fournisseur inconnu 'nope'. Types valides : openai,"),
        ("zh_CN.UTF-8", "错误：未知的提供商类型 'nope'。有效的类型：openai,"),
        ("es_ES.UTF-8", "error: Tipo de proveedor desconocido 'nope'. Tipos válidos: openai,"),
        ("pt_BR.UTF-8", "erro: Tipo de provedor desconhecido 'nope'. Tipos válidos: openai,"),
        ("id_ID.UTF-8", "galat: Tipe penyedia tidak dikenal 'nope'. Tipe yang valid: openai,"),
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


def test_the_commands_report_in_french_and_names_stay_as_given():
    fr = in_language("fr_FR.UTF-8")
    added = run_drupe("provider", "add", "work", "--type", "openai", "--base-url", "http://localhost:8000/", env=fr)
    assert added.stdout == "Fournisseur work ajouté (openai, activé).\n", added.stderr
    assert run_drupe("model", "add", "work", "gpt-4o", env=fr).stdout.startswith("Modèle gpt-4o ajouté à work (groupe")
    assert run_drupe("provider", "disable", "work", env=fr).stdout == "work désactivé.\n"
    listed = run_drupe("provider", "list", env=fr).stdout
    assert "Nom" in listed and "Adresse API" in listed and "non" in listed
    assert run_drupe("provider", "list", "--json", env=fr).stdout.count('"enabled": false') == 1  # JSON stays JSON
    refused = run_drupe("provider", "remove", "work", env=fr)
    assert refused.returncode == 1
    assert "Supprimer le fournisseur work et son 1 modèle ? Pas de terminal où demander" in refused.stderr


def test_a_provider_shown_in_chinese_keeps_its_values_in_one_column():
    zh = in_language("zh_CN.UTF-8")
    run_drupe("provider", "add", "work", "--type", "openai", "--base-url", "http://localhost:8000/", env=zh)
    lines = run_drupe("provider", "show", "work", env=zh).stdout.splitlines()
    assert lines[0].startswith("名称:") and lines[0].endswith(" work")
    assert any(line.startswith("API 地址:") and line.endswith(" http://localhost:8000/") for line in lines)
    # every value starts in the same terminal column (a Chinese character takes two)
    from rich.cells import cell_len

    starts = {
        cell_len(line.split(": ", 1)[0]) + len(line.split(": ", 1)[1]) - len(line.split(": ", 1)[1].lstrip())
        for line in lines
    }
    assert len(starts) == 1, lines


def test_why_an_answer_stopped_and_its_stats_are_in_spanish(fake_upstream):
    from drupe.registry import Registry
    from drupe.store import open_store
    from tests.fakes.upstream import Fault

    upstream = fake_upstream("openai", text="one two three four", fault=Fault("cut_off", after_chunks=2))
    registry = Registry(open_store())
    registry.add_provider("fake", upstream.kind, base_url=upstream.base_url)
    registry.add_model("fake", "fake-model")
    result = run_drupe("chat", "count", env=in_language("es_ES.UTF-8"))
    assert result.returncode == 1
    assert result.stdout == "one two\n"  # the model's words are the model's
    assert (
        "detenida: fake/fake-model: la respuesta del proveedor terminó sin indicar que había acabado (cortada)"
        in result.stderr
    )
    assert "primer token" in result.stderr or " entrada / " in result.stderr, result.stderr


def test_the_interactive_session_speaks_chinese(fake_upstream, monkeypatch):
    from drupe.registry import Registry
    from drupe.store import open_store
    from tests.test_chat_interactive import Terminal

    up = fake_upstream("openai", text="The tide comes in.")
    registry = Registry(open_store())
    registry.add_provider("Sea", "openai", base_url=up.base_url)
    registry.add_model("Sea", "fake-model")
    monkeypatch.setenv("DRUPE_LANG", "zh")
    term = Terminal("-p", "Sea", "-m", "fake-model")
    term.read_until("/help 查看命令，/exit 离开。")
    term.type("/help\r")
    term.read_until("/new                 开始新对话")  # the commands stay as typed, their words are Chinese
    term.type("/exit\r")
    assert term.close() == 0
