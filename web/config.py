"""Configuration classes; the environment is read here and nowhere else."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _sqlite_url(instance: Path) -> str:
    return f"sqlite:///{instance / 'complaint_desk.sqlite'}"


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else the file `make run` writes for the demo, else nothing."""
    key = os.environ.get("SECRET_KEY", "").strip()
    file = instance / "secret_key"
    if not key and file.exists():
        key = file.read_text().strip()
    return key


class Config:
    INSTANCE_PATH = Path(os.environ.get("COMPLAINT_DESK_INSTANCE", ROOT / "instance"))
    SECRET_KEY = _secret_key(INSTANCE_PATH)
    # Sessions: the cookie is never readable by scripts, not sent on cross-site sub-requests, and Secure
    # whenever the request came over HTTPS (or always, with SESSION_COOKIE_SECURE=1).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "") == "1"
    # How many reverse proxies in front set X-Forwarded-For/-Proto (0: the app faces clients directly).
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))
    # Sign-in limits; the storage must be shared by all workers (redis://… with several processes).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 15 minutes")
    # Origins that may embed the public forms in a frame (space-separated, e.g. https://www.company.example).
    FRAME_ANCESTORS = os.environ.get("FRAME_ANCESTORS", "").split()
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _sqlite_url(INSTANCE_PATH)
    # New password hashes: werkzeug's scrypt (n=2**15, r=8, p=1), a deliberately slow key derivation.
    PASSWORD_HASHING = "scrypt"
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 10 * 1024 * 1024))
    PROCESSES_DIR = Path(os.environ.get("PROCESSES_DIR", ROOT / "processes"))
    COMPLAINT_PROCESS = "complaint"
    QMS_DEPARTMENT = os.environ.get("QMS_DEPARTMENT", "СМК")
    TIMEZONE = os.environ.get("TIMEZONE", "Europe/Moscow")
    MAX_REASSIGNMENTS = 3
    MAX_CONTACT_ATTEMPTS = 3
    MAX_ROUNDS = 3
    WARNING_FRACTION = float(os.environ.get("WARNING_FRACTION", "0.75"))
    API_TOKEN_SECONDS = float(os.environ.get("API_TOKEN_SECONDS", "5"))
    SCHEDULER_POLL_SECONDS = float(os.environ.get("SCHEDULER_POLL_SECONDS", "5"))
    # Limits on one diagram script or expression; one that goes over is stopped and opens an incident.
    SCRIPT_MAX_STEPS = int(os.environ.get("SCRIPT_MAX_STEPS", "1000000"))
    SCRIPT_MAX_CPU_SECONDS = float(os.environ.get("SCRIPT_MAX_CPU_SECONDS", "2"))
    SCRIPT_MAX_WALL_SECONDS = float(os.environ.get("SCRIPT_MAX_WALL_SECONDS", "5"))
    SCRIPT_MAX_DEPTH = int(os.environ.get("SCRIPT_MAX_DEPTH", "100"))
    SCRIPT_MAX_ITEMS = int(os.environ.get("SCRIPT_MAX_ITEMS", "1000000"))
    SCRIPT_MAX_MEMORY_MB = int(os.environ.get("SCRIPT_MAX_MEMORY_MB", "128"))
    # Notifications: SMTP and the Telegram Bot API; group addresses that recipients like group:СМК name.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_SENDER = os.environ.get("SMTP_SENDER", "complaints@localhost")
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME") or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "") == "1"
    TELEGRAM_BASE_URL = os.environ.get("TELEGRAM_BASE_URL", "https://api.telegram.org")
    TELEGRAM_TOKEN = os.environ.get("TELEGRAM_TOKEN", "")
    QMS_EMAIL = os.environ.get("QMS_EMAIL", "smk@localhost")
    CEO_EMAIL = os.environ.get("CEO_EMAIL", "ceo@localhost")
    COMMERCIAL_DIRECTOR_EMAIL = os.environ.get("COMMERCIAL_DIRECTOR_EMAIL", "commerce@localhost")
    SITE_COMPLAINT_RECIPIENTS = os.environ.get("SITE_COMPLAINT_RECIPIENTS", "group:ceo,group:СМК").split(",")
    OUTBOX_POLL_SECONDS = float(os.environ.get("OUTBOX_POLL_SECONDS", "15"))
    # How often the scheduler looks for appeal reminders that fell due (each is sent once, whoever looks).
    REMINDER_POLL_SECONDS = float(os.environ.get("REMINDER_POLL_SECONDS", "60"))
    # Report cron jobs, crontab syntax in TIMEZONE; each also runs when a scheduler starts, to catch up. The
    # monthly job runs daily and sends last month's report once, from the first working day of the month on
    # (the production calendar decides which day that is).
    WEEKLY_DIGEST_CRON = os.environ.get("WEEKLY_DIGEST_CRON", "0 9 * * mon")
    MONTHLY_REPORT_CRON = os.environ.get("MONTHLY_REPORT_CRON", "0 9 * * *")
    MONTHLY_REPORT_RECIPIENTS = [r.strip() for r in os.environ.get(
        "MONTHLY_REPORT_RECIPIENTS", "group:ceo,group:commerce").split(",") if r.strip()]
    # Personal data: days each kind of record keeps its personal data (README, «Персональные данные»), and when
    # the daily job that anonymises what is past its period runs (crontab in TIMEZONE; also at scheduler start).
    RETENTION_DAYS = {kind: int(os.environ.get(f"RETENTION_{kind.upper()}_DAYS", days)) for kind, days in (
        ("complaints", 1825), ("appeals", 1095), ("reviews", 1095), ("client_messages", 1095), ("outbox", 365),
        ("track_attempts", 30))}
    PRIVACY_RETENTION_CRON = os.environ.get("PRIVACY_RETENTION_CRON", "30 3 * * *")
    # Public forms.
    CONSENT_VERSION = os.environ.get("CONSENT_VERSION", "2026-11-01")
    FEEDBACK_RATE_LIMIT = int(os.environ.get("FEEDBACK_RATE_LIMIT", "5"))  # per address per 10 minutes
    TRACK_RATE_LIMIT = int(os.environ.get("TRACK_RATE_LIMIT", "10"))  # status-page look-ups per address per 10 min
    # The address clients reach the public pages at: the links in e-mails (/track, /survey/…) start with it.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    LOW_RATING_THRESHOLD = int(os.environ.get("LOW_RATING_THRESHOLD", "3"))
    DELIVERY_DEPARTMENT = os.environ.get("DELIVERY_DEPARTMENT", "ОПР")
    MAX_FILE_BYTES = int(os.environ.get("MAX_FILE_BYTES", str(5 * 1024 * 1024)))
    ALLOWED_FILE_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".gif", ".txt", ".doc", ".docx", ".xls", ".xlsx", ".odt",
                          ".ods", ".zip", ".eml", ".msg", ".csv", ".rtf")
    # Working periods per weekday (0 = Monday), local time of TIMEZONE; several periods a day allowed.
    WORK_WEEK = {day: [("09:00", "18:00")] for day in range(5)}
    API_TITLE = "Complaint desk API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/vendor/swagger-ui/"
    JSON_SORT_KEYS = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"
    # The same scrypt with 1/32 of the work: the test fixtures create eight users for every test, which at
    # full strength took 1.5-2.5 s of CPU per test, most of the suite's time. Verifying reads a hash's own
    # parameters, so sign-in goes through the same code; a process started by the deployment tests uses
    # Config's full strength.
    PASSWORD_HASHING = "scrypt:1024:8:1"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
