"""The Celery application: broker, delivery guarantees, and the broker check."""

from __future__ import annotations

import os

from celery import Celery
from kombu.utils.url import maybe_sanitize_url

from forensics.errors import ConfigurationError, QueueError
from forensics.settings import ENV_BROKER_URL, ENV_DB_URL

TASK_ANALYSE_ITEM = "forensics.analyse_item"
DEFAULT_QUEUE = "forensics"

CONFIG = {
    # A unit is acknowledged only after it ran; a worker that dies (SIGKILL, power)
    # leaves it unacknowledged, and the broker delivers it again.
    "task_acks_late": True,
    "task_reject_on_worker_lost": True,
    "worker_prefetch_multiplier": 1,  # one unit in hand per process: none stranded by a kill
    "task_default_queue": DEFAULT_QUEUE,
    "task_serializer": "json",
    "accept_content": ["json"],
    "task_ignore_result": True,  # results are the findings in the case database
    "broker_connection_retry_on_startup": True,
    # Redis redelivers an unacknowledged message after this many seconds (RabbitMQ at
    # once, when the dead worker's connection closes); longer than any one unit.
    "broker_transport_options": {"visibility_timeout": 3600, "confirm_publish": True},
    "worker_hijack_root_logger": False,
}

#: The workers' application: the task is registered on it.
app = Celery("forensics", include=["forensics.distributed.tasks"])
app.conf.update(CONFIG)


def require_shared_database(db_url: str) -> None:
    """Queued work is for a database every worker reaches; SQLite is one machine's file."""
    from sqlalchemy.engine import make_url

    if make_url(db_url).get_backend_name() == "sqlite":
        raise ConfigurationError(
            f"queued analysis needs a case database that every machine reaches (PostgreSQL); "
            f"{db_url} is SQLite, which is for one machine: set --db or {ENV_DB_URL}, "
            "or run `forensics analyze` without --queue"
        )


def broker_url(given: str | None) -> str:
    """The broker: ``--broker``, else $FORENSICS_BROKER_URL."""
    url = given or os.environ.get(ENV_BROKER_URL)
    if not url:
        raise ConfigurationError(
            f"no message broker given: use --broker URL or set {ENV_BROKER_URL} "
            "(e.g. amqp://guest:guest@127.0.0.1:5672// or redis://127.0.0.1:6379/0)"
        )
    return url


def connect(url: str, consequence: str, timeout_s: float = 5.0) -> Celery:
    """A client application bound to ``url`` (its own connection pool: a process may
    talk to several brokers), after the broker answered; ``consequence`` ends the
    error message (what did not happen)."""
    client = Celery("forensics", broker=url, set_as_current=False)
    client.conf.update(CONFIG)
    try:
        with client.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout_s)
    except Exception as exc:  # kombu raises per transport; all mean: not reachable
        raise QueueError(
            f"message broker {maybe_sanitize_url(url)} does not answer "
            f"({type(exc).__name__}: {exc}); {consequence}"
        ) from exc
    return client
