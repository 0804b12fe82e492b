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


ENGINE_PO = TRANSLATIONS / "ru/LC_MESSAGES/engine.po"
ROOT = TRANSLATIONS.parents[1]


def test_every_engine_message_has_its_russian_text(tmp_path: Path) -> None:
    """Engine messages are translated by their id: a new `Message(...)` without an entry in the engine
    catalogue would show English on a Russian page, so extraction must find nothing missing."""
    import subprocess
    import sys

    pybabel = Path(sys.executable).with_name("pybabel")
    pot = tmp_path / "engine.pot"
    subprocess.run([str(pybabel), "extract", "-F", str(ROOT / "babel-engine.cfg"), "-k", "Message",
                    "--no-default-keywords", "-o", str(pot), str(ROOT)], check=True, capture_output=True)
    with pot.open("rb") as source:
        wanted = {m.id for m in read_po(source) if m.id}
    with ENGINE_PO.open("rb") as source:
        catalogue = read_po(source)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    assert len(wanted) > 50
    assert sorted(wanted - translated) == []


def test_an_engine_message_is_translated_by_its_id_with_its_values(app) -> None:
    from engine.column_checks import text_problem
    from web.ui.messages import localized

    message = text_problem("x" * 30, max_length=20)
    assert message == "Longer than 20 characters."  # what the API answers
    from flask import session

    for lang, expected in (("ru", "Не длиннее 20 знаков."), ("en", "Longer than 20 characters.")):
        with app.app_context(), app.test_request_context("/"):  # the locale is chosen once per context
            session["lang"] = lang
            assert localized(message) == expected
            assert localized("A plain text stays as it is.") == "A plain text stays as it is."
