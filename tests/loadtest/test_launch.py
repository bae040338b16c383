"""Starting a stack as a user would, when a port found free is taken before the stack binds it."""

from __future__ import annotations

import socket

import pytest

from loadtest import launch
from loadtest.launch import all_in_one, free_addresses, wait_serving


@pytest.mark.slow
def test_the_stack_starts_again_on_other_ports_when_one_was_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = int(taken.getsockname()[1])
        offered: list[list[int]] = []

        def first_one_busy(count: int) -> list[int]:
            ports = free_addresses(count)
            offered.append(ports)
            return [busy, *ports[1:]] if len(offered) == 1 else ports

        monkeypatch.setattr(launch, "free_addresses", first_one_busy)
        with all_in_one(200) as stack:
            assert len(offered) == 2
            assert stack.gateway == f"127.0.0.1:{offered[1][0]}"
            wait_serving(stack.gateway, 5)


def test_free_addresses_are_distinct() -> None:
    ports = free_addresses(20)
    assert len(set(ports)) == 20
