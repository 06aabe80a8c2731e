"""Several processes appending to one case produce one linear chain: no fork, no gap."""

import multiprocessing

from forensics.canonical import ZERO_DIGEST
from forensics.storage.engine import open_database
from forensics.storage.repository import Repository
from forensics.verify import verify_case

PROCESSES = 4
EVENTS_EACH = 50


def _writer(db_url: str, case_number: str, worker: int, start: multiprocessing.Event) -> None:
    engine = open_database(db_url)
    repository = Repository(engine)
    start.wait()
    for i in range(EVENTS_EACH):
        repository.append_event(case_number, examiner=f"worker-{worker}", action="note",
                                subject_digest=ZERO_DIGEST, payload={"worker": worker, "i": i})
    engine.dispose()


def test_concurrent_writers_make_one_linear_chain(db_url, repository, case_number, home):
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_writer, args=(db_url, case_number, w, start))
               for w in range(PROCESSES)]
    for w in workers:
        w.start()
    start.set()
    for w in workers:
        w.join(timeout=300)
    assert [w.exitcode for w in workers] == [0] * PROCESSES

    events = list(repository.iter_events(case_number))
    assert [e.seq for e in events] == list(range(1, PROCESSES * EVENTS_EACH + 2))
    assert len({e.prev_hash for e in events}) == len(events)  # no fork
    result = verify_case(repository, home, case_number)
    assert result.ok, result.first_failure
    per_worker = {}
    for e in events[1:]:
        per_worker.setdefault(e.examiner, []).append(e)
    assert {k: len(v) for k, v in per_worker.items()} == {
        f"worker-{w}": EVENTS_EACH for w in range(PROCESSES)
    }
