"""Where drupe keeps its data (`DRUPE_HOME`, `DRUPE_DATABASE_URL`, `DRUPE_SECRET_KEY`), and the
web server's request cap (`DRUPE_MAX_REQUEST_MB`)."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR = 0o700
"""The data folder holds keys and conversations: only its owner may list or enter it."""
DEFAULT_MAX_REQUEST_MB = 32
"""Room for a few large image attachments (base64 in JSON) in one message."""


def home() -> Path:
    """The data folder: `DRUPE_HOME`, else the platform's user data dir. Created on demand,
    readable by its owner only (an existing one open to others is tightened)."""
    configured = os.environ.get("DRUPE_HOME", "").strip()
    if configured:
        path = Path(configured).expanduser()
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("drupe", appauthor=False))
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        try:
            path.chmod(PRIVATE_DIR)
        except OSError:
            pass  # not ours to change (another owner): drupe still works
    return path


def database_url() -> str:
    """Any SQLAlchemy URL from `DRUPE_DATABASE_URL`; default SQLite in the data folder."""
    configured = os.environ.get("DRUPE_DATABASE_URL", "").strip()
    return configured or f"sqlite:///{home() / 'drupe.db'}"


def max_request_bytes() -> int:
    """The largest request body `drupe serve` accepts: `DRUPE_MAX_REQUEST_MB` (MiB), default 32."""
    configured = os.environ.get("DRUPE_MAX_REQUEST_MB", "").strip()
    try:
        megabytes = float(configured) if configured else DEFAULT_MAX_REQUEST_MB
    except ValueError:
        megabytes = -1
    if not 0 < megabytes < 2**20:
        from drupe.errors import DrupeError
        from drupe.i18n import _

        raise DrupeError(
            _("DRUPE_MAX_REQUEST_MB must be a positive number of MiB, not {value}.", value=repr(configured)),
            code="invalid", field="DRUPE_MAX_REQUEST_MB",
        )  # fmt: skip
    return int(megabytes * 2**20)
