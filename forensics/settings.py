"""Where the case root and database are, and who is acting: flags, then environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_HOME = "FORENSICS_HOME"
ENV_DB_URL = "FORENSICS_DB_URL"
ENV_EXAMINER = "FORENSICS_EXAMINER"
ENV_BROKER_URL = "FORENSICS_BROKER_URL"
DEFAULT_HOME = Path("casefiles")


@dataclass(frozen=True)
class Settings:
    """Resolved locations for one invocation."""

    home: Path  #: case root: evidence store, artifacts, reports, SQLite database
    db_url: str  #: SQLAlchemy URL of the case database

    @classmethod
    def resolve(cls, home: Path | None = None, db_url: str | None = None) -> Settings:
        root = Path(os.path.abspath(home or os.environ.get(ENV_HOME) or DEFAULT_HOME))
        url = db_url or os.environ.get(ENV_DB_URL)
        if not url:
            # SQLAlchemy and Alembic load only when the default database is needed
            from forensics.storage.engine import default_url

            url = default_url(root)
        return cls(home=root, db_url=url)
