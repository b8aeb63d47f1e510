"""Storedesk settings, read from the environment.

Every default works on a bare machine (SQLite, in-memory channel layer, the development
mail capture). docs/configuration.md lists each variable; nothing is read at import time
by the apps themselves.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _
from redis.connection import parse_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("STOREDESK_VAR_DIR", BASE_DIR.parent / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env(name: str, default: str = "") -> str:
    """A setting from the environment, or from the file named by NAME_FILE (for secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    return env(name, "true" if default else "false").lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    configured = env("STOREDESK_SECRET_KEY")
    if configured:
        return configured
    if not DEVELOPMENT:
        raise RuntimeError("Production mode needs STOREDESK_SECRET_KEY or its _FILE variant.")
    # A development installation keeps a generated key so sessions survive restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


MODE = env("STOREDESK_MODE", "development")
DEVELOPMENT = MODE == "development"
DEBUG = env_bool("STOREDESK_DEBUG", DEVELOPMENT)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h for h in env("STOREDESK_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("STOREDESK_CSRF_TRUSTED_ORIGINS").split(",") if o]
PORT = int(env("PORT", "8000"))
# The built-in SMTP receiver's port (the email channel, issue #3, starts it under `serve`).
SMTP_PORT = int(env("STOREDESK_SMTP_PORT", "2525"))
BASE_URL = env("STOREDESK_BASE_URL", f"http://127.0.0.1:{PORT}")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "storedesk.core",
    "storedesk.brands",
    "storedesk.accounts",
    "storedesk.customers",
    "storedesk.inboxes",
    "storedesk.conversations",
    "storedesk.routing",
    "storedesk.mail",
    "storedesk.portal",
    "storedesk.knowledge",
    "storedesk.chat",
    "storedesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "storedesk.core.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "storedesk.core.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "storedesk.urls"
ASGI_APPLICATION = "storedesk.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "conversations:inbox"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    default_path = VAR_DIR / "storedesk.sqlite3"
    config: dict[str, Any] = dict(
        dj_database_url.parse(env("DATABASE_URL", f"sqlite:///{default_path}"), conn_max_age=0)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the writer; IMMEDIATE transactions make concurrent
        # writers wait on the busy timeout instead of failing with "database is locked".
        # synchronous=FULL: a commit is on disk when it returns, power cut included, which
        # the SMTP receiver's 250 promises (NORMAL would only survive a killed process).
        # Bulk writers (mail batches) pay the flush once per batch, not per row.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    else:
        # Under ASGI every request runs in its own context, so Django's persistent
        # connections do not carry over; a pool saves a PostgreSQL connect (several ms)
        # on every request.
        config["OPTIONS"] = {
            "pool": {
                "min_size": int(env("STOREDESK_DB_POOL_MIN", "2")),
                "max_size": int(env("STOREDESK_DB_POOL_MAX", "10")),
                "timeout": 10,
            },
            # Parameters bound by the server, and psycopg's prepare threshold back on (Django
            # turns it off for external poolers such as PgBouncer; this pool is in-process):
            # a statement run five times on a connection is prepared and PostgreSQL stops
            # re-planning it. Planning a conversation read (a five-table join over a table
            # with many indexes) cost more than running it (bench/inbox.py).
            "server_side_binding": True,
            "prepare_threshold": 5,
        }
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Redis Pub/Sub: a group send is one PUBLISH, and each process fans it out to its
            # own sockets in memory. The core layer (channels_redis.core) costs about four
            # round trips per delivery behind one receive lock per process, which capped live
            # chat at a few dozen lines a second (bench/RESULTS.md). What Pub/Sub does not
            # keep, a message for a socket that is not listening, nothing here relies on:
            # every socket catches up from the database by sequence number
            # (docs/subsystems/realtime.md).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # redis-py 8 caps an asyncio pool at 100 connections and then raises
                # MaxConnectionsError instead of waiting. Its default 5 s read timeout is
                # short for a process busy with thousands of sockets.
                "hosts": [{
                    "address": REDIS_URL,
                    "max_connections": int(env("STOREDESK_REDIS_MAX_CONNECTIONS", "1000")),
                    "socket_timeout": 30,
                }],
                # Pub/Sub channels are shared by all of a Redis server's databases: the
                # database number joins the prefix, so installations kept apart by database
                # number alone do not hear each other's events.
                "prefix": "{}.{}".format(
                    env("STOREDESK_REDIS_PREFIX", "storedesk"),
                    parse_url(REDIS_URL).get("db") or 0,  # type: ignore[no-untyped-call]
                ),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("STOREDESK_REDIS_PREFIX", "storedesk"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {
    "default": {
        "BACKEND": env("STOREDESK_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("sv", _("Swedish")),
    ("ru", _("Russian")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Project-wide assets (workspace CSS and JS) live outside any app.
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("STOREDESK_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Attachments: per-file and per-message limits, and types we never accept.
ATTACHMENT_MAX_BYTES = int(env("STOREDESK_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
ATTACHMENT_MAX_FILES = int(env("STOREDESK_ATTACHMENT_MAX_FILES", "10"))
ATTACHMENT_BLOCKED_EXTENSIONS = env(
    "STOREDESK_ATTACHMENT_BLOCKED_EXTENSIONS", ".exe,.bat,.cmd,.com,.scr,.js,.vbs,.msi,.jar,.ps1"
).split(",")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024


def _email_settings() -> dict[str, Any]:
    """EMAIL_URL like smtp://user:pass@host:587?tls=true or smtps://host:465."""
    url = env("EMAIL_URL")
    if not url:
        return {"EMAIL_BACKEND": "storedesk.core.devmail.CaptureEmailBackend"}
    parts = urlsplit(url)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": options.get("tls", "false").lower() == "true",
        "EMAIL_TIMEOUT": 30,
    }


globals().update(_email_settings())
# All mail leaves through the email channel's durable outbox (core's outbound-mail port).
STOREDESK_OUTBOUND_MAIL_PORT = "storedesk.mail.outbox.OutboxMailPort"
DEFAULT_FROM_EMAIL = env("STOREDESK_DEFAULT_FROM_EMAIL", "Storedesk <desk@shop.example>")
DEVMAIL_DIR = VAR_DIR / "devmail"

SESSION_COOKIE_SECURE = not DEVELOPMENT
CSRF_COOKIE_SECURE = not DEVELOPMENT
SESSION_COOKIE_HTTPONLY = True
# Every signed-in page reads the session: from the cache (Redis at scale, shared by all
# processes; in-process in the one-process default), the database only on a miss.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEVELOPMENT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("STOREDESK_HSTS_SECONDS", "0"))

# Email channel: the largest message the receiver accepts (552 above it), per-file limit
# for attachments of inbound mail, and the auto-reply cap per sender.
MAIL_MAX_MESSAGE_BYTES = int(env("STOREDESK_MAIL_MAX_MESSAGE_BYTES", str(30 * 1024 * 1024)))
MAIL_MAX_ATTACHMENT_BYTES = int(env("STOREDESK_MAIL_MAX_ATTACHMENT_BYTES", str(20 * 1024 * 1024)))
AUTO_REPLY_LIMIT = int(env("STOREDESK_AUTO_REPLY_LIMIT", "10"))
AUTO_REPLY_WINDOW_SECONDS = int(env("STOREDESK_AUTO_REPLY_WINDOW_SECONDS", str(3 * 3600)))
# Domain of the Message-IDs Storedesk writes (<...@DOMAIN>), so replies can be recognised.
MAIL_MESSAGE_ID_DOMAIN = env("STOREDESK_MAIL_MESSAGE_ID_DOMAIN", "storedesk.invalid")
# A stored mail whose processing never finished this many times (the process died on
# it) goes to the quarantine unparsed instead of killing the worker or fetcher again.
MAIL_PROCESSING_MAX_ATTEMPTS = int(env("STOREDESK_MAIL_PROCESSING_MAX_ATTEMPTS", "3"))
# An attempt at processing a mail that started longer ago than this is taken to have died
# with its process; until then no other process starts one (mail/intake_attempts.py).
MAIL_PROCESSING_ATTEMPT_TIMEOUT_SECONDS = int(
    env("STOREDESK_MAIL_PROCESSING_ATTEMPT_TIMEOUT_SECONDS", "300")
)

# Sweeps after a kill -9: attachment files no row names are deleted once older than the
# grace period; task rows still RUNNING after TASK_STALE_SECONDS are marked FAILED.
ATTACHMENT_ORPHAN_GRACE_SECONDS = int(env("STOREDESK_ATTACHMENT_ORPHAN_GRACE_SECONDS", "3600"))
TASK_STALE_SECONDS = int(env("STOREDESK_TASK_STALE_SECONDS", "900"))

# Mailbox health checks
# A probe goes to every active email address each interval; it fails when it has not come
# back within the limit. In development the mail capture hands mail for the shop's own
# addresses back to intake through this hook, so the checks pass on a bare machine.
STOREDESK_MAIL_PROBE_INTERVAL_SECONDS = int(env("STOREDESK_MAIL_PROBE_INTERVAL_SECONDS", "900"))
STOREDESK_MAIL_PROBE_MAX_SECONDS = int(env("STOREDESK_MAIL_PROBE_MAX_SECONDS", "600"))
STOREDESK_DEVMAIL_LOOPBACK = "storedesk.mail.health.devmail_loopback" if DEVELOPMENT else ""

# Sign-in throttling: this many failures per account or IP within the window lock it out.
LOGIN_FAILURE_LIMIT = int(env("STOREDESK_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(env("STOREDESK_LOGIN_FAILURE_WINDOW_SECONDS", "900"))
# Portal: magic links and the contact form.
MAGIC_LINK_MAX_AGE_SECONDS = int(env("STOREDESK_MAGIC_LINK_MAX_AGE_SECONDS", "1800"))
CONTACT_FORM_RATE_LIMIT = int(env("STOREDESK_CONTACT_FORM_RATE_LIMIT", "5"))
CONTACT_FORM_RATE_WINDOW_SECONDS = int(env("STOREDESK_CONTACT_FORM_RATE_WINDOW_SECONDS", "3600"))
# Live chat: per visitor session and per IP, at most this many writes (messages, new
# sessions, offline messages) per minute; a long-poll request is held at most this long.
CHAT_RATE_LIMIT_SESSION_PER_MINUTE = int(env("STOREDESK_CHAT_RATE_LIMIT_SESSION", "30"))
CHAT_RATE_LIMIT_IP_PER_MINUTE = int(env("STOREDESK_CHAT_RATE_LIMIT_IP", "120"))
CHAT_LONG_POLL_SECONDS = float(env("STOREDESK_CHAT_LONG_POLL_SECONDS", "25"))
# Knowledge: article suggestions as customers type (public), per IP per window.
KB_SUGGEST_RATE_LIMIT = int(env("STOREDESK_KB_SUGGEST_RATE_LIMIT", "60"))
KB_SUGGEST_RATE_WINDOW_SECONDS = int(env("STOREDESK_KB_SUGGEST_RATE_WINDOW_SECONDS", "60"))
# Knowledge: blend a multilingual embedding model into search when the extra
# `storedesk[semantic]` is installed (knowledge/search/semantic.py); false: text only.
KB_SEMANTIC_SEARCH = env_bool("STOREDESK_KB_SEMANTIC_SEARCH", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("STOREDESK_LOG_LEVEL", "INFO")},
    # Django's own console handler would print every request error twice beside root's.
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        # aiosmtpd logs every SMTP connection, and the task worker every task, at INFO.
        "mail.log": {"level": "WARNING"},
        "django_tasks": {"level": env("STOREDESK_TASK_LOG_LEVEL", "WARNING")},
        "django_tasks_db": {"level": env("STOREDESK_TASK_LOG_LEVEL", "WARNING")},
    },
}
