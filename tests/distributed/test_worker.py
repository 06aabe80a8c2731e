"""Distributed analysis for real: `forensics worker` processes against the broker
(RabbitMQ; one test on Redis) and PostgreSQL on this machine. Skipped, with the reason,
where no broker answers; FORENSICS_REQUIRE_BROKER=1 (as in CI) makes that a failure."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kombu import Connection
from typer.testing import CliRunner

from forensics.cli.app import app
from forensics.distributed.app import TASK_ANALYSE_ITEM, connect
from forensics.model.work import UnitState
from forensics.storage.engine import open_database
from forensics.storage.ledger import WorkLedger
from forensics.storage.repository import Repository
from tests.conftest import postgres_database

AMQP_URL = os.environ.get("FORENSICS_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS_URL = os.environ.get("FORENSICS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
FORENSICS = str(Path(sys.executable).parent / "forensics")
EXAMINER = "Queueing Examiner"
CHEAP = ("-d", "metadata", "-d", "frequency", "-d", "structure")
runner = CliRunner()

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def broker_or_skip(url: str) -> str:
    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means: skip, and say why
        reason = f"no message broker answered at {url} ({type(exc).__name__}: {exc})"
        if os.environ.get("FORENSICS_REQUIRE_BROKER") == "1":
            pytest.fail(f"FORENSICS_REQUIRE_BROKER=1 but {reason}")
        pytest.skip(reason)
    return url


@dataclass
class Lab:
    """One PostgreSQL case database, a shared case root and a running worker."""

    db_url: str
    home: Path
    broker: str
    queue: str
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def env(self) -> dict[str, str]:
        return {"FORENSICS_DB_URL": self.db_url, "FORENSICS_HOME": str(self.home),
                "FORENSICS_EXAMINER": EXAMINER, "FORENSICS_BROKER_URL": self.broker}

    def cli(self, *args: str) -> tuple[int, str]:
        if "--queue" in args and "--no-wait" not in args:
            args = (*args, "--wait-timeout", "300")
        result = runner.invoke(app, list(args), env=self.env)
        return result.exit_code, result.output

    def repository(self) -> Repository:
        return Repository(open_database(self.db_url))

    def succeeded(self) -> int:
        """How many messages the worker has finished."""
        return self.log.read_text(errors="replace").count("] succeeded in ")


def start_worker(db_url: str, home: Path, broker: str, log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, FORENSICS_DB_URL=db_url, FORENSICS_HOME=str(home))
    process = subprocess.Popen(
        [FORENSICS, "worker", "--concurrency", "1", "--queues", queue, "--broker", broker],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while " ready." not in log.read_text(errors="replace"):
        assert process.poll() is None, f"the worker stopped: {log.read_text()}"
        assert time.monotonic() < deadline, f"the worker did not start: {log.read_text()}"
        time.sleep(0.2)
    return queue, process


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def lab_for(broker: str, tmp: Path) -> Iterator[Lab]:
    with postgres_database() as db_url:
        home = tmp / "casefiles"
        home.mkdir()
        log = tmp / "worker.log"
        queue, process = start_worker(db_url, home, broker, log)
        try:
            yield Lab(db_url, home, broker, queue, log, process)
        finally:
            stop_worker(process)
            with Connection(broker) as connection:  # the test's queue goes with it
                connection.default_channel.queue_delete(queue)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    yield from lab_for(broker_or_skip(AMQP_URL), tmp_path_factory.mktemp("lab"))


@pytest.fixture
def media(tmp_path: Path) -> Path:
    """Two images and a short video, made here."""
    import numpy as np
    from PIL import Image

    folder = tmp_path / "media"
    folder.mkdir()
    rng = np.random.default_rng(7)
    Image.fromarray((rng.random((48, 64, 3)) * 255).astype("uint8")).save(folder / "a.jpg", quality=90)
    Image.fromarray((rng.random((40, 40, 3)) * 255).astype("uint8")).save(folder / "b.png")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
                    "-t", "3", "-pix_fmt", "yuv420p", str(folder / "c.mp4")], check=True)
    return folder


def new_case(lab: Lab, media: Path) -> str:
    case = f"Q-{uuid.uuid4().hex[:8]}"
    assert lab.cli("case", "open", case, "--title", "queued")[0] == 0
    assert lab.cli("acquire", case, str(media))[0] == 0
    return case


def digests(lab: Lab, case: str) -> list[str]:
    return sorted(f.digest for f in lab.repository().list_findings(case))


def actions(lab: Lab, case: str) -> list[str]:
    return [e.action for e in lab.repository().iter_events(case)]


def wait_until(condition, what: str, timeout_s: float = 300) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_queued_mixed_case_gives_the_in_process_digests(lab, media):
    queued = new_case(lab, media)
    code, output = lab.cli("analyze", queued, "--queue", "--queue-name", lab.queue, *CHEAP, "--json")
    assert code == 0, output
    units = json.loads(output)["units"]
    assert len(units) == 3 * 4 and {u["state"] for u in units} == {"done"}  # 3 detectors + fusion

    local = new_case(lab, media)
    assert lab.cli("analyze", local, *CHEAP)[0] == 0
    assert digests(lab, queued) == digests(lab, local)
    assert lab.cli("verify", queued)[0] == 0
    events = [e for e in lab.repository().iter_events(queued) if e.action == "finding_recorded"]
    assert {e.examiner for e in events} == {EXAMINER}
    assert {json.loads(e.payload)["host"] for e in events} == {u["worker"] for u in units}

    code, output = lab.cli("analyze", queued, "--queue", "--queue-name", lab.queue, *CHEAP)
    assert code == 0 and output.strip().endswith(": 0 units of 0 items queued (every unit is done)")


def test_a_worker_killed_mid_unit_is_redelivered(lab, media):
    case = new_case(lab, media)
    code, output = lab.cli("analyze", case, "--queue", "--queue-name", lab.queue, "--no-wait",
                           "-d", "synthetic", "-d", "structure")
    assert code == 0, output
    ledger = WorkLedger(lab.repository().engine)

    def running():  # type: ignore[no-untyped-def]
        return next((s for s in ledger.statuses(case)
                     if s.state == UnitState.RUNNING and s.unit.method == "synthetic"), None)

    wait_until(lambda: running() is not None, "a synthetic unit to run")
    victim = running()
    assert victim is not None
    os.kill(int(victim.worker.split()[-1]), signal.SIGKILL)  # the pool process running it
    after = next(s for s in ledger.statuses(case) if s.unit == victim.unit)
    assert after.state == UnitState.RUNNING, "the unit ended before the kill: not a mid-unit kill"

    wait_until(lambda: all(s.state in (UnitState.DONE, UnitState.FAILED)
                           for s in ledger.statuses(case)), "every unit to end")
    final = {s.unit: s for s in ledger.statuses(case)}
    assert {s.state for s in final.values()} == {UnitState.DONE}
    assert final[victim.unit].attempts == 2 and final[victim.unit].worker != victim.worker
    found = digests(lab, case)
    assert len(found) == len(set(found))
    assert "finding_rerun" not in actions(lab, case)
    assert lab.cli("verify", case)[0] == 0


def test_a_duplicated_message_records_nothing_new(lab, media):
    case = new_case(lab, media)
    before = lab.succeeded()
    assert lab.cli("analyze", case, "--queue", "--queue-name", lab.queue, *CHEAP)[0] == 0
    found, events = digests(lab, case), actions(lab, case)
    ledger = WorkLedger(lab.repository().engine)
    by_item: dict[str, list[dict[str, str]]] = {}
    for s in ledger.statuses(case):
        by_item.setdefault(s.unit.evidence_sha256, []).append(s.unit.as_json())
    client = connect(lab.broker, "")
    for sha, units in by_item.items():  # each message delivered once more
        client.send_task(TASK_ANALYSE_ITEM, queue=lab.queue, kwargs={
            "case_number": case, "evidence_sha256": sha, "units": units, "queued_by": EXAMINER})
    wait_until(lambda: lab.succeeded() - before == 2 * len(by_item), "the duplicates to be consumed")
    assert digests(lab, case) == found
    assert actions(lab, case) == events


def test_broker_down_at_enqueue_records_nothing(lab, media):
    case = new_case(lab, media)
    events = actions(lab, case)
    code, output = lab.cli("analyze", case, "--queue", "--broker", "amqp://guest:guest@127.0.0.1:1//")
    assert code == 1
    assert "message broker amqp://guest:**@127.0.0.1:1// does not answer" in output
    assert "nothing was queued" in output
    assert WorkLedger(lab.repository().engine).statuses(case) == []
    assert actions(lab, case) == events


def test_queued_analysis_over_redis(tmp_path, media):
    for lab in lab_for(broker_or_skip(REDIS_URL), tmp_path):
        case = new_case(lab, media)
        code, output = lab.cli("analyze", case, "--queue", "--queue-name", lab.queue, "-d", "metadata")
        assert code == 0, output
        local = new_case(lab, media)
        assert lab.cli("analyze", local, "-d", "metadata")[0] == 0
        assert digests(lab, case) == digests(lab, local)
        assert lab.cli("verify", case)[0] == 0


def test_a_worker_refuses_a_sqlite_database(tmp_path):
    result = runner.invoke(app, ["--home", str(tmp_path), "worker", "--broker", AMQP_URL])
    assert result.exit_code == 1
    assert "is SQLite, which is for one machine" in result.output
