"""`make i18n`: extract the keys, update every language's catalog, compile them.

Two domains, one rule: the English text in the code is the key.
- `drupe`: the Python (`_()`, `ngettext()`, `N_()`), compiled to `.mo` for gettext.
- `web`: the page's JS modules (`t()`, `tn()`), compiled to `web/static/i18n/LANG.json`, which the
  page fetches (plain JSON: no build step and no library in the browser).

Translators edit `src/drupe/locale/LANG/LC_MESSAGES/{drupe,web}.po`; this script keeps them in
step with the code (new keys added empty, unused ones dropped) and writes the compiled files. A
test (`tests/test_catalogs.py`) fails when a catalog lacks a key, keeps one no code uses, differs
from English in its placeholders, or when the compiled files are older than the catalogs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "drupe"
LOCALE = SRC / "locale"
WEB_JSON = SRC / "web" / "static" / "i18n"
sys.path.insert(0, str(SRC.parent))

from drupe.i18n import DEFAULT_LANGUAGE, LANGUAGES  # noqa: E402

DOMAINS = {
    # domain: (mapping file, directory scanned, keywords)
    "drupe": (ROOT / "i18n" / "python.cfg", SRC, ["-k", "_", "-k", "ngettext:1,2", "-k", "N_"]),
    "web": (ROOT / "i18n" / "web.cfg", SRC / "web" / "static" / "js", ["-k", "t", "-k", "tn:1,2"]),
}
TRANSLATED = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]
PLURAL_FORMS = {
    "zh": "nplurals=1; plural=0;",
    "es": "nplurals=2; plural=(n != 1);",
    "pt": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "id": "nplurals=1; plural=0;",
}
"""gettext's classic plural rules, set in each new catalog: the page knows these three by name
(`js/i18n.js`, no eval), and CLDR's extra forms (French "many" for millions) buy nothing here."""


def pybabel(*args: str | Path) -> None:
    """Babel's command line (pybabel), its chatter kept back unless it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *map(str, args)], capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"pybabel {args[0]} failed:\n{done.stdout}{done.stderr}")


def extract(domain: str, output: Path) -> None:
    """The domain's keys, as found in the code now, into a template at `output`."""
    mapping, directory, keywords = DOMAINS[domain]
    pybabel(
        "extract", "--no-default-keywords", *keywords, "-F", mapping, "--no-location",
        "--sort-output", "--no-wrap", "-o", output, directory,
    )  # fmt: skip


FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)
DATED_HEADERS = ("POT-Creation-Date", "PO-Revision-Date")


def drop_dates(path: Path) -> None:
    """Leave out the headers Babel stamps with the time of each run, so a catalog (and its
    compiled file) changes only when its words do; git keeps the dates."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(tuple(f'"{name}: ' for name in DATED_HEADERS))]
    if kept != lines:
        path.write_text("".join(kept), encoding="utf-8")


def set_plural_forms(po_path: Path, forms: str) -> None:
    """Write `forms` as the catalog's Plural-Forms header (kept by later updates)."""
    text = po_path.read_text(encoding="utf-8")
    start = text.index('"Plural-Forms: ')
    end = text.index("\n", start)
    po_path.write_text(f'{text[:start]}"Plural-Forms: {forms}\\n"{text[end:]}', encoding="utf-8")


def compile_catalog(po_path: Path) -> None:
    """Write the `.mo` beside a `.po`, its header dated once and for all (pybabel compile stamps
    the minute it runs, so the file changed on every run)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as file:
        catalog = read_po(file)
    catalog.creation_date = catalog.revision_date = FIXED_DATE
    with po_path.with_suffix(".mo").open("wb") as file:
        write_mo(file, catalog)


def web_json(po_path: Path) -> dict:
    """A `web.po` as the page reads it: its plural rule and each key's translation (a list of
    forms for a plural); keys still untranslated are left out, so the page shows the English."""
    from babel.messages.pofile import read_po

    with po_path.open("rb") as file:
        catalog = read_po(file)
    messages: dict[str, str | list[str]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            forms = [str(form) for form in message.string]
            if all(forms):
                messages[message.id[0]] = forms
        elif message.string:
            messages[message.id] = str(message.string)
    return {"plural": catalog.plural_expr, "messages": messages}


def build() -> None:
    for domain in DOMAINS:
        template = LOCALE / f"{domain}.pot"
        extract(domain, template)
        drop_dates(template)
        for code in TRANSLATED:
            po = LOCALE / code / "LC_MESSAGES" / f"{domain}.po"
            if po.exists():
                pybabel("update", "--no-wrap", "--ignore-obsolete", "--no-fuzzy-matching",
                        "-D", domain, "-i", template, "-d", LOCALE, "-l", code)  # fmt: skip
            else:
                pybabel("init", "--no-wrap", "-D", domain, "-i", template, "-d", LOCALE, "-l", code)
                set_plural_forms(po, PLURAL_FORMS[code])
            drop_dates(po)
            compile_catalog(po)
    WEB_JSON.mkdir(parents=True, exist_ok=True)
    for code in TRANSLATED:
        data = web_json(LOCALE / code / "LC_MESSAGES" / "web.po")
        text = json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True)
        (WEB_JSON / f"{code}.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    build()
