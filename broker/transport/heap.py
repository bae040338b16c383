"""What a serving process built at start-up, set aside from the garbage collector.

A part builds most of what it will ever hold before it serves: the synthetic world, the
matching indexes, scenario records, protobuf descriptors. Left in the collector's oldest
generation, those hundreds of thousands of objects are scanned again at every full
collection, which then pauses the event loop for tens of milliseconds in the middle of
checks. `settle_heap` collects once and freezes the survivors (`gc.freeze`): later
collections scan only what serving allocates. Frozen objects are still freed by reference
counting; only cycles among them are kept until exit.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def settle_heap(what: str) -> int:
    """Collect, then move every surviving object out of the collector's generations;
    returns how many objects are frozen now. Call once `what` is built, before it serves."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("%s: start-up heap settled (%d objects kept out of garbage collection)", what, frozen)
    return frozen
