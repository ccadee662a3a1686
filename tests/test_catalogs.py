"""The language catalogs: complete, in step with the code, and compiled (see docs/languages.md).

One failure here means `make i18n` was not run after a text changed, or a translation is missing.
"""

from __future__ import annotations

import gettext
import importlib.util
import json
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from drupe.i18n import LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [code for code in LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _build_module():
    spec = importlib.util.spec_from_file_location("i18n_build", ROOT / "i18n" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _build_module()


def keys(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def read(path: Path):
    with path.open("rb") as file:
        return read_po(file)


@pytest.fixture(scope="module", params=sorted(build.DOMAINS))
def extracted(request, tmp_path_factory):
    """The keys the code uses now, extracted afresh."""
    output = tmp_path_factory.mktemp("pot") / f"{request.param}.pot"
    build.extract(request.param, output)
    return request.param, keys(read(output))


def test_the_template_has_exactly_the_keys_the_code_uses(extracted):
    domain, used = extracted
    stored = keys(read(LOCALE_DIR / f"{domain}.pot"))
    assert not used - stored, f"keys not in {domain}.pot: run `make i18n`"
    assert not stored - used, f"keys no code uses in {domain}.pot: run `make i18n`"


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_catalog_translates_every_key_and_no_other(extracted, code):
    domain, used = extracted
    catalog = read(LOCALE_DIR / code / "LC_MESSAGES" / f"{domain}.po")
    assert keys(catalog) == used, f"{code}/{domain}.po is out of step with the code: run `make i18n`"
    missing = [m.id for m in catalog if m.id and (m.fuzzy or not all(_forms(m)))]
    assert not missing, f"{code}/{domain}.po lacks translations for: {missing[:10]}"


@pytest.mark.parametrize("code", TRANSLATED)
@pytest.mark.parametrize("domain", sorted(build.DOMAINS))
def test_placeholders_are_the_ones_of_the_english(code, domain):
    catalog = read(LOCALE_DIR / code / "LC_MESSAGES" / f"{domain}.po")
    for message in catalog:
        if not message.id:
            continue
        plural = not isinstance(message.id, str)
        english = set(PLACEHOLDER.findall(message.id[1] if plural else message.id))
        for form in filter(None, _forms(message)):
            got = set(PLACEHOLDER.findall(form))
            # a plural's form may leave out the count ("un message"), nothing else
            allowed = {frozenset(english), frozenset(english - {"n"})} if plural else {frozenset(english)}
            assert frozenset(got) in allowed, (
                f"{code}/{domain}.po: {form!r} has placeholders {sorted(got)}, the English {sorted(english)}"
            )


@pytest.mark.parametrize("code", TRANSLATED)
def test_compiled_files_match_the_catalogs(code):
    for domain in build.DOMAINS:
        po = LOCALE_DIR / code / "LC_MESSAGES" / f"{domain}.po"
        with po.with_suffix(".mo").open("rb") as file:
            compiled = {_key(m): tuple(_forms(m)) for m in read_mo(file) if m.id}
        written = {_key(m): tuple(_forms(m)) for m in read(po) if m.id and not m.fuzzy and all(_forms(m))}
        assert compiled == written, f"{code}/{domain}.mo is older than its .po: run `make i18n`"
    page = json.loads((build.WEB_JSON / f"{code}.json").read_text(encoding="utf-8"))
    assert page == build.web_json(LOCALE_DIR / code / "LC_MESSAGES" / "web.po"), (
        f"static/i18n/{code}.json is older than web.po: run `make i18n`"
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_gettext_reads_each_compiled_catalog(code):
    translation = gettext.translation("drupe", LOCALE_DIR, languages=[code])
    catalog = read(LOCALE_DIR / code / "LC_MESSAGES" / "drupe.po")
    message = next(m for m in catalog if m.id and isinstance(m.id, str))
    assert translation.gettext(message.id) == message.string


def _key(message) -> str | tuple[str, ...]:
    """A message's id, hashable: a plural's (singular, plural) is a list when read from a .mo."""
    return tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id


def _forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
