"""Where drupe keeps its data: `DRUPE_HOME`, `DRUPE_DATABASE_URL`, `DRUPE_SECRET_KEY`."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The data folder: `DRUPE_HOME`, else the platform's user data dir. Created on demand."""
    configured = os.environ.get("DRUPE_HOME", "").strip()
    if configured:
        path = Path(configured).expanduser()
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("drupe", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """Any SQLAlchemy URL from `DRUPE_DATABASE_URL`; default SQLite in the data folder."""
    configured = os.environ.get("DRUPE_DATABASE_URL", "").strip()
    return configured or f"sqlite:///{home() / 'drupe.db'}"
