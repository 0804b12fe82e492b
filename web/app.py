"""The application factory: it only wires configuration, extensions, the engine, blueprints and the CLI."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask
from flask_migrate import Migrate

from engine import EngineSettings, ProcessEngine
from engine.bpmn.bounds import ScriptLimits
from engine.intake.public import PublicRules
from engine.notify.notifications import Delivery
from engine.notify.transports import SmtpTransport, TelegramTransport
from engine.privacy.retention import RetentionRules
from models import db
from web import api, cli, errors, hostile_input, permissions, security, signin_limits, ui, vendor
from web.config import ROOT, Config
from web.signin_limits import limiter

migrate = Migrate()


def engine_settings(app: Flask) -> EngineSettings:
    c = app.config
    return EngineSettings(
        processes_dir=c["PROCESSES_DIR"], complaint_process=c["COMPLAINT_PROCESS"],
        qms_department=c["QMS_DEPARTMENT"], lane_groups={"СМК": c["QMS_DEPARTMENT"]},
        max_reassignments=c["MAX_REASSIGNMENTS"], max_contact_attempts=c["MAX_CONTACT_ATTEMPTS"],
        max_rounds=c["MAX_ROUNDS"], timezone=c["TIMEZONE"], warning_fraction=c["WARNING_FRACTION"],
        api_token_seconds=c["API_TOKEN_SECONDS"],
        attachments_dir=Path(app.instance_path) / "attachments",
        public=PublicRules(
            consent_version=c["CONSENT_VERSION"], rate_limit=c["FEEDBACK_RATE_LIMIT"],
            low_rating=c["LOW_RATING_THRESHOLD"], delivery_department=c["DELIVERY_DEPARTMENT"],
            max_file_bytes=c["MAX_FILE_BYTES"], allowed_file_types=tuple(c["ALLOWED_FILE_TYPES"]),
            site_complaint_recipients=tuple(r.strip() for r in c["SITE_COMPLAINT_RECIPIENTS"] if r.strip()),
            base_url=c["PUBLIC_BASE_URL"], track_rate_limit=c["TRACK_RATE_LIMIT"]),
        script_limits=ScriptLimits(
            max_steps=c["SCRIPT_MAX_STEPS"], max_cpu_seconds=c["SCRIPT_MAX_CPU_SECONDS"],
            max_wall_seconds=c["SCRIPT_MAX_WALL_SECONDS"], max_depth=c["SCRIPT_MAX_DEPTH"],
            max_items=c["SCRIPT_MAX_ITEMS"], max_memory_bytes=c["SCRIPT_MAX_MEMORY_MB"] * 1024 * 1024),
        retention=RetentionRules(**c["RETENTION_DAYS"]), password_hashing=c["PASSWORD_HASHING"],
        week={day: tuple((dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in periods)
              for day, periods in c["WORK_WEEK"].items()},
    )


def delivery(app: Flask) -> Delivery:
    c = app.config
    return Delivery(
        smtp=SmtpTransport(c["SMTP_HOST"], c["SMTP_PORT"], c["SMTP_SENDER"], c["SMTP_USERNAME"], c["SMTP_PASSWORD"],
                           c["SMTP_STARTTLS"]) if c["SMTP_HOST"] else None,
        telegram=TelegramTransport(c["TELEGRAM_BASE_URL"], c["TELEGRAM_TOKEN"]) if c["TELEGRAM_TOKEN"] else None,
        group_emails={c["QMS_DEPARTMENT"]: c["QMS_EMAIL"], "ceo": c["CEO_EMAIL"],
                      "commerce": c["COMMERCIAL_DIRECTOR_EMAIL"]},
        message_domain=c["SMTP_SENDER"].rpartition("@")[2] or "complaint-desk.local",
    )


def create_app(config: type[Config] | Config = Config) -> Flask:
    app = Flask(__name__, instance_path=str(Config.INSTANCE_PATH))
    app.config.from_object(config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    security.register(app)
    hostile_input.register_converters(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    app.extensions["complaint_engine"] = ProcessEngine(db.session, engine_settings(app), delivery=delivery(app))
    permissions.register(app)
    hostile_input.register(app)
    limiter.init_app(app)
    errors.register(app)
    api.register(app)
    ui.register(app, api.blueprints())
    app.register_blueprint(vendor.bp)
    signin_limits.leave_out_the_per_request_check(app)
    cli.register(app)
    return app
