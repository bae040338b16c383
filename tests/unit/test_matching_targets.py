"""The matching benchmark judges a target only at the size it is set for."""

from __future__ import annotations

from loadtest.matching import ONE_MILLION, judged


def test_a_target_set_for_a_million_is_not_judged_on_twenty_thousand() -> None:
    assert judged(False, 20_000, ONE_MILLION) is None
    assert judged(False, ONE_MILLION, ONE_MILLION) is False
    assert judged(True, ONE_MILLION, ONE_MILLION) is True
