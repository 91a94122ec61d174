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
    LOGIN_MAX_FAILURES = 5  # per account
    # Per address: a store or call centre signs in from behind one NAT address, so a handful of typos
    # there must not lock everyone out; this still stops one address spraying passwords over accounts.
    LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "30"))
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    PER_PAGE = 20
    TRUST_PROXY = os.environ.get("TRUST_PROXY") == "1"
    PASSWORD_HASH_METHOD = "scrypt"
    # Passwords the platform generates (staff import) carry about 70 random bits: key stretching
    # protects guessable passwords, not random ones, so they are hashed quickly (a 5,000-person
    # import would otherwise spend minutes in scrypt) and re-hashed with PASSWORD_HASH_METHOD at
    # the first sign-in.
    GENERATED_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    """Local development: SQLite, a fixed secret, cookies over plain HTTP."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


class TestingConfig(Config):
    """Tests: an isolated database chosen by the test fixtures."""

    TESTING = True
    SECRET_KEY = "testing-not-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing keeps the suite quick; never in production


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
