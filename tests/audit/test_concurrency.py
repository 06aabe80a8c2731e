"""Several processes appending to one case produce one linear chain: no fork, no gap."""

import multiprocessing

from forensics.verify import verify_case
from tests.audit.helpers import append_notes

PROCESSES = 4
EVENTS_EACH = 50


def test_concurrent_writers_make_one_linear_chain(db_url, repository, case_number, home):
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=append_notes, args=(db_url, case_number, w, EVENTS_EACH, start))
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
