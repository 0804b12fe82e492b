"""The owner's checks before and after a change: replaying closed complaints through a version (or the draft),
and moving running instances to another version."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine import Bundle
from engine.errors import InvalidDefinition, InvalidInput, NotFound
from web.process_views import definitions
from web.queries import engine
from web.ui.access import actor
from web.ui.messages import localized

bp = Blueprint("process_changes", __name__)
OUTCOMES = {"same": _l("тот же путь"), "different": _l("другой путь"), "failed": _l("ошибка")}
MAX_LIMIT = 500


def _versions(key: str) -> list[dict[str, Any]]:
    found = next((d for d in definitions() if d["key"] == key), None)
    if found is None:
        abort(404)
    return list(found["versions"])


def draft_bundle(key: str) -> Bundle | None:
    """The modeler's saved draft of a process as a bundle to replay, or None when there is none."""
    draft = engine().load_draft(key)
    return Bundle(bpmn=dict(draft["bpmn"]), forms=dict(draft.get("forms") or {})) if draft else None


def _int(name: str, default: int | None = None) -> tuple[int | None, str | None]:
    raw = request.values.get(name, "").strip()
    if not raw:
        return default, None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7:
        return None, _("Введите целое число.")
    return int(raw), None


@bp.route("/processes/<key>/replay")
def replay(key: str) -> tuple[str, int]:
    versions = _versions(key)
    draft = draft_bundle(key)
    use_draft = request.args.get("draft") == "1"
    version, errors = None, {}
    limit, limit_error = _int("limit", 50)
    if limit_error or not 1 <= (limit or 0) <= MAX_LIMIT:
        errors["limit"] = limit_error or _("От 1 до %(max)s.", max=MAX_LIMIT)
    if not use_draft:
        version, version_error = _int("version")
        if version_error or (version is not None and version not in {v["version"] for v in versions}):
            errors["version"] = version_error or _("Такой версии нет.")
    report, problems = None, []
    asked = use_draft or version is not None
    if asked and not errors:
        try:
            bundle = draft if use_draft else None
            if use_draft and bundle is None:
                errors["draft"] = _("Черновика этого процесса нет.")
            else:
                report = engine().replay_check(key, bundle, None if use_draft else version, limit or 50)
        except InvalidDefinition as err:
            problems = err.problems
    status = 422 if errors or problems else 200
    return render_template("process_replay.html", key=key, versions=versions, report=report, errors=errors,
                           problems=problems, typed=request.args, has_drafts=draft is not None,
                           use_draft=use_draft, outcomes=OUTCOMES), status


def _migration_form() -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    source, source_error = _int("from")
    target, target_error = _int("to")
    if source_error or source is None:
        errors["from"] = source_error or _("Выберите версию.")
    if target_error or target is None:
        errors["to"] = target_error or _("Выберите версию.")
    elif source is not None and source == target:
        errors["to"] = _("Выберите другую версию, чем исходная.")
    chosen = [n for n in request.values.getlist("instance") if n.strip()]
    typed = [n.strip() for n in request.values.get("numbers", "").replace(",", " ").split() if n.strip()]
    numbers = list(dict.fromkeys([*chosen, *typed]))
    scope = "all" if request.values.get("scope", "all") == "all" and not chosen else "list"
    if scope == "list" and not numbers:
        errors["numbers"] = _("Перечислите номера претензий или выберите все.")
    elif any(len(n) > 40 for n in numbers) or len(numbers) > 1000:
        errors["numbers"] = _("Номер претензии — не длиннее 40 знаков, не больше 1000 номеров.")
    return {"from": source, "to": target, "instances": "all" if scope == "all" else numbers, "scope": scope}, errors


@bp.route("/processes/<key>/migrate", methods=["GET", "POST"])
def migrate(key: str) -> tuple[str, int]:
    versions = _versions(key)
    form, errors, report = {"scope": "all"}, {}, None
    if request.method == "POST" or "from" in request.args:
        form, errors = _migration_form()
        if not errors:
            try:
                report = engine().migrate_instances(key, form["from"], form["to"], form["instances"],
                                                    request.method != "POST", actor())
            except InvalidInput as err:
                errors = {("to" if k == "to_version" else k): "; ".join(localized(m) for m in v)
                          for k, v in err.fields.items()}
            except NotFound as err:
                errors["to"] = localized(err.message)
        if report is not None and not report["dry_run"]:
            flash(_("Перенесено экземпляров: %(moved)s из %(total)s.", moved=report["summary"]["moved"],
                    total=report["summary"]["total"]), "ok" if report["summary"]["moved"] else "error")
    return render_template("process_migrate.html", key=key, versions=versions, form=form, errors=errors,
                           report=report, typed=request.values), 422 if errors else 200
