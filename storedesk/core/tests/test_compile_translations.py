"""`storedesk compile_translations`: .po to .mo with Babel, through the command itself."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django.fixtures import Settings

HEADER = (
    'msgid ""\nmsgstr ""\n'
    '"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
)


@pytest.fixture
def locale_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.LOCALE_PATHS = [tmp_path]
    return tmp_path


def write_po(locale_dir: Path, locale: str, body: str) -> Path:
    po_path = locale_dir / locale / "LC_MESSAGES" / "django.po"
    po_path.parent.mkdir(parents=True)
    po_path.write_text(HEADER + body, encoding="utf-8")
    return po_path


def test_compiles_translations_and_leaves_out_fuzzy_entries(locale_dir: Path) -> None:
    po_path = write_po(
        locale_dir,
        "sv",
        'msgid "Inbox"\nmsgstr "Inkorg"\n\n'
        '#, fuzzy\nmsgid "Assign"\nmsgstr "Tilldela"\n\n'
        '#, python-format\nmsgid "%(count)s ticket"\nmsgid_plural "%(count)s tickets"\n'
        'msgstr[0] "%(count)s ärende"\nmsgstr[1] "%(count)s ärenden"\n',
    )

    call_command("compile_translations", verbosity=0)

    with po_path.with_suffix(".mo").open("rb") as mo_file:
        translations = gettext.GNUTranslations(mo_file)
    assert translations.gettext("Inbox") == "Inkorg"
    assert translations.gettext("Assign") == "Assign"
    assert translations.ngettext("%(count)s ticket", "%(count)s tickets", 2) == "%(count)s ärenden"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('msgid "Inbox"\nmsgstr "Inkorg"\nnot po syntax\n', "django.po"),
        ('#, python-format\nmsgid "Hi %(name)s"\nmsgstr "Hej %(nam)s"\n', "placeholder"),
    ],
)
def test_broken_catalog_fails_and_writes_nothing(locale_dir: Path, body: str, problem: str) -> None:
    po_path = write_po(locale_dir, "sv", body)

    with pytest.raises(CommandError, match=problem):
        call_command("compile_translations", verbosity=0)

    assert list(po_path.parent.glob("*.mo*")) == []
