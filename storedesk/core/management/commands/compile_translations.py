"""`storedesk compile_translations`: every .po catalog to .mo, with Babel.

Django's `compilemessages` shells out to GNU gettext's msgfmt; Babel does the same job in
Python, so `make run` works on a machine without gettext installed. Like `msgfmt
--check-format`, a catalog that does not parse or whose placeholders do not match its msgids
fails the command (a wrong placeholder would break the page at render time).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from babel.core import UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile storedesk/locale/*/LC_MESSAGES/*.po to .mo (fuzzy entries are left out)."

    def handle(self, *args: Any, **options: Any) -> None:
        po_files = sorted(
            po for locale_dir in _locale_dirs() for po in locale_dir.glob("*/LC_MESSAGES/*.po")
        )
        failures: list[str] = []
        for po_path in po_files:
            try:
                catalog = _read_catalog(po_path)
            except CatalogError as error:
                failures.append(str(error))
                continue
            _write_mo_atomically(catalog, po_path.with_suffix(".mo"))
            if options["verbosity"] >= 2:
                self.stdout.write(f"compiled {po_path}")
        if failures:
            raise CommandError("\n".join(failures))
        if options["verbosity"] >= 1:
            self.stdout.write(f"Compiled {len(po_files)} translation catalog(s).")


class CatalogError(Exception):
    """A catalog that cannot be compiled; the message names the file and line."""


def _locale_dirs() -> list[Path]:
    return [Path(path) for path in settings.LOCALE_PATHS if Path(path).is_dir()]


def _read_catalog(po_path: Path) -> Catalog:
    locale = po_path.parent.parent.name  # <locale>/LC_MESSAGES/<domain>.po
    try:
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=locale, abort_invalid=True)
    except (PoFileError, UnknownLocaleError, ValueError) as error:
        raise CatalogError(f"{po_path}: {error}") from error
    problems = [
        f"{po_path}:{message.lineno}: {problem}"
        for message, problems in catalog.check()
        if not message.fuzzy  # fuzzy entries are not compiled, so they cannot break anything
        for problem in problems
    ]
    if problems:
        raise CatalogError("\n".join(problems))
    return catalog


def _write_mo_atomically(catalog: Catalog, mo_path: Path) -> None:
    # A running server may be reading the old .mo; never let it see a half-written one.
    with tempfile.NamedTemporaryFile(dir=mo_path.parent, suffix=".mo.tmp", delete=False) as tmp:
        write_mo(tmp, catalog, use_fuzzy=False)
    os.chmod(tmp.name, 0o644)  # NamedTemporaryFile creates 0600; the .mo is not secret
    os.replace(tmp.name, mo_path)
