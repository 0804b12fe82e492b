"""The English catalogue as `make run` builds it: compiled by `pybabel compile`, and really translating."""
from __future__ import annotations

import gettext
import shutil
from pathlib import Path

from babel.messages.pofile import read_po

from tests.conftest import TRANSLATIONS, compile_catalogs

PO = TRANSLATIONS / "en/LC_MESSAGES/messages.po"


def test_pybabel_compile_builds_a_catalogue_that_translates(tmp_path: Path) -> None:
    target = tmp_path / "en/LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(PO, target / "messages.po")
    compile_catalogs(tmp_path)
    mo = target / "messages.mo"
    assert mo.exists(), "pybabel compile skipped the catalogue (fuzzy header?)"
    with mo.open("rb") as source:
        english = gettext.GNUTranslations(source)
    assert english.gettext("Претензии") == "Complaints"
    assert english.gettext("1-й этап — «Этап коррекции»") == "Stage 1 — correction"


def test_no_entry_of_the_catalogue_is_fuzzy() -> None:
    """pybabel leaves fuzzy entries out of the .mo: such an entry would show Russian on the English page."""
    with PO.open("rb") as source:
        catalogue = read_po(source)
    assert not catalogue.fuzzy
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert fuzzy == []
