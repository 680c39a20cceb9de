"""`python -m bench.state_size`: bytes of the per-tab state tree, by state class.

Reflex's in-memory state manager builds, for every tab token, the root state
and *every* substate of the app (reflex/state.py `BaseState.__init__`,
`init_substates`), whatever page the tab is on. This builds the same trees in
this process (the app is not instrumented) and counts their allocations with
tracemalloc, then adds what a loaded /doctors page keeps in DoctorsState.
"""

import argparse
import gc
import json
import logging
import tracemalloc
from collections.abc import Callable

from bench.common import DEFAULT_DB, db_url

logger = logging.getLogger(__name__)


def _bytes_each(build: Callable[[], object], n: int) -> float:
    """Average bytes still allocated per object after building `n` of them."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = [build() for _ in range(n)]
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return (after - before) / n


def _all_states(root) -> list[type]:
    found, todo = [], [root]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(sorted(cls.get_substates(), key=lambda c: c.get_full_name()))
    return found


def _doctor_rows(url: str) -> Callable[[], list]:
    """Build the rows a patient's /doctors page holds, as DoctorsState does."""
    from hms.db import make_engine, session_scope
    from hms.services import directory
    from hms.states.doctors import PAGE_SIZE
    from hms.states.rows import doctor_row

    engine = make_engine(url)
    with session_scope(engine) as session:
        found = directory.list_doctors(
            session=session, specialty="", name="", limit=PAGE_SIZE
        )
    engine.dispose()
    return lambda: [doctor_row(doctor, "Europe/Berlin") for doctor in found]


def measure(url: str, n: int = 200) -> dict[str, object]:
    """Bytes per tab: the whole tree, each state alone, the /doctors rows."""
    import reflex as rx

    import hms.hms  # noqa: F401  (registers every page state, as the app does)

    root = rx.State
    tree = _bytes_each(lambda: root(_reflex_internal_init=True), n)
    parent = root(_reflex_internal_init=True, init_substates=False)
    by_state = {
        cls.get_full_name(): round(
            _bytes_each(
                lambda cls=cls: cls(
                    parent_state=None if cls is root else parent,
                    init_substates=False,
                    _reflex_internal_init=True,
                ),
                n,
            )
        )
        for cls in _all_states(root)
    }
    rows = _doctor_rows(url)
    return {
        "states_in_tree": len(by_state),
        "tree_bytes_per_tab": round(tree),
        "bytes_by_state": by_state,
        "doctors_rows": len(rows()),
        "doctors_rows_bytes": round(_bytes_each(rows, n)),
    }


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.state_size")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(measure(db_url(args.db), args.n), indent=1))  # noqa: T201


if __name__ == "__main__":
    main()
