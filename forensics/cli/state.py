"""Per-invocation state: settings and a lazily opened case database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

from forensics.settings import Settings

if TYPE_CHECKING:
    from forensics.storage.repository import Repository


@dataclass
class State:
    settings: Settings
    _repository: Repository | None = field(default=None, repr=False)

    @property
    def repository(self) -> Repository:
        """The repository; the schema is checked (and created on first use) here."""
        if self._repository is None:
            # SQLAlchemy and Alembic load here, so `--help` and non-database commands skip them
            from forensics.storage.engine import open_database
            from forensics.storage.repository import Repository

            self._repository = Repository(open_database(self.settings.db_url))
        return self._repository


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State(Settings.resolve())
    return root.obj
