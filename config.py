"""Configuration classes, read from the environment."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env_path(name: str, default: Path) -> str:
    """Return an absolute path from the environment or the default."""
    return str(Path(os.environ.get(name) or default).resolve())


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(BASE_DIR / "instance" / "academy.sqlite")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLITE_WAL = os.environ.get("SQLITE_WAL", "1") == "1"  # write-ahead log for SQLite files (app/core/sqlite.py)
    CONTENT_DIR = _env_path("CONTENT_DIR", BASE_DIR)
    UPLOAD_DIR = _env_path("UPLOAD_DIR", BASE_DIR / "instance" / "uploads")
    MAX_CONTENT_LENGTH = 26 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_SUPPORTED_LOCALES = ("zh_CN", "en")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600  # also the longest a server-side sign-in session lives
    SESSION_IDLE_MINUTES = 120  # a sign-in session unused this long ends
    WTF_CSRF_TIME_LIMIT = None
    # Sign-in throttling slows guessing and never locks an account (docs/security.md, "Sign-in throttling
    # and password policy"): failures count per (account, address) pair, within a sliding window.
    LOGIN_FAILURE_WINDOW_MINUTES = 60
    LOGIN_FREE_FAILURES = 5  # per pair; then the pair waits 1 s, 2 s, 4 s … after each failure
    LOGIN_MAX_DELAY_SECONDS = 900  # the longest wait of a pair
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 50  # from all addresses: then unknown failing addresses wait the longest
    # A store or call centre signs in from behind one NAT address: above this, attempts from the address on
    # accounts that have not signed in from it lately are spaced by up to LOGIN_ADDRESS_DELAY_SECONDS.
    LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "30"))
    LOGIN_ADDRESS_DELAY_SECONDS = 30
    LOGIN_KNOWN_ADDRESS_DAYS = 30  # a pair that signed in successfully this recently is "known"
    # The README's published demo passwords: development and testing only, or a throw-away demo or benchmark server.
    DEMO_PASSWORDS_ALLOWED = os.environ.get("DEMO_PASSWORDS_ALLOWED") == "1"
    PER_PAGE = 20
    # Certificates (docs/operations.md, "Certificates"): the issuer printed on every certificate, an
    # optional logo (PNG or JPG), the TrueType font embedded as a subset (Debian: fonts-wqy-microhei).
    COMPANY_NAME = os.environ.get("COMPANY_NAME") or "客服学院"
    COMPANY_LOGO = os.environ.get("COMPANY_LOGO") or None
    CERTIFICATE_FONT = os.environ.get("CERTIFICATE_FONT") or "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    CERTIFICATE_FONT_INDEX = int(os.environ.get("CERTIFICATE_FONT_INDEX", "0"))  # the face within a .ttc
    CERTIFICATE_ARCHIVE_MAX = 2000  # the most certificates one ZIP download holds
    CERTIFICATE_EXPIRY_REMINDER_DAYS = (30, 7)  # reminders this many days before a certificate expires
    RENEWAL_DUE_DAYS = 30  # a renewed course is due this many days after the certificate expired
    WAIVER_EVIDENCE_MAX_BYTES = 10 * 1024 * 1024  # a whole-course waiver's evidence file (PDF, JPG, PNG)
    INVITATION_HOURS = int(os.environ.get("INVITATION_HOURS", "72"))  # an invitation link works this long, once
    CREDENTIAL_SHEET_HOURS = 24  # an import's one-time password sheet waits this long for its one download
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")  # the site's address, for links made outside a request (jobs)
    # Reminders (app/completion/reminders.py): days before a due date, e.g. REMINDER_DAYS_BEFORE="7,1";
    # then one reminder every REMINDER_OVERDUE_EVERY_DAYS while overdue; "remind now" once per person,
    # course and REMINDER_THROTTLE_MINUTES.
    REMINDER_DAYS_BEFORE = tuple(int(d) for d in os.environ.get("REMINDER_DAYS_BEFORE", "7,1").split(",") if d.strip())
    REMINDER_OVERDUE_EVERY_DAYS = int(os.environ.get("REMINDER_OVERDUE_EVERY_DAYS", "7"))
    REMINDER_THROTTLE_MINUTES = int(os.environ.get("REMINDER_THROTTLE_MINUTES", "60"))
    TRUST_PROXY = os.environ.get("TRUST_PROXY") == "1"
    PASSWORD_HASH_METHOD = "scrypt"
    # Passwords the platform generates (staff import) carry about 70 random bits: key stretching
    # protects guessable passwords, not random ones, so they are hashed quickly (a 5,000-person
    # import would otherwise spend minutes in scrypt) and re-hashed with PASSWORD_HASH_METHOD at
    # the first sign-in.
    GENERATED_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # Background jobs (app/core/jobs.py, docs/operations.md "Background jobs"): Huey with its queue in an
    # SQLite file under instance/ (JOBS_FILE), or in Redis when JOBS_BROKER_URL=redis://… is set.
    JOBS_BROKER_URL = os.environ.get("JOBS_BROKER_URL") or None
    JOBS_FILE = os.environ.get("JOBS_FILE") or None  # default: instance/jobs.sqlite3
    JOBS_WORKERS = int(os.environ.get("JOBS_WORKERS", "2"))  # worker threads of `flask jobs worker`
    JOBS_IMMEDIATE = os.environ.get("JOBS_IMMEDIATE") == "1"  # run jobs inline (tests only)
    JOBS_STALE_SECONDS = int(os.environ.get("JOBS_STALE_SECONDS", "120"))  # a running job silent this long is retried
    JOBS_CHUNK_ROWS = int(os.environ.get("JOBS_CHUNK_ROWS", "200"))  # the most rows in one transaction of an import
    JOBS_CHUNK_SECONDS = float(os.environ.get("JOBS_CHUNK_SECONDS", "0.25"))  # …and about this long (SQLite's lock)
    JOBS_KEEP_DAYS = 7  # result files and finished jobs' journals are removed after this
    EXPORT_JOB_THRESHOLD = int(os.environ.get("EXPORT_JOB_THRESHOLD", "5000"))  # larger exports run as jobs
    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    """Local development: SQLite, a fixed secret, cookies over plain HTTP."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    DEMO_PASSWORDS_ALLOWED = True


class TestingConfig(Config):
    """Tests: an isolated database chosen by the test fixtures."""

    TESTING = True
    SECRET_KEY = "testing-not-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = False
    DEMO_PASSWORDS_ALLOWED = True
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing keeps the suite quick; never in production
    # request tests run jobs inline; the worker tests use a real consumer
    JOBS_IMMEDIATE = os.environ.get("JOBS_IMMEDIATE", "1") == "1"


class ProductionConfig(Config):
    """Production: SECRET_KEY must come from the environment."""

    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """Pick the config class named by APP_ENV (default: production unless FLASK_DEBUG)."""
    name = os.environ.get("APP_ENV") or ("development" if os.environ.get("FLASK_DEBUG") else "production")
    return CONFIGS.get(name, ProductionConfig)
