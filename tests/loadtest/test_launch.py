"""Starting a stack as a user would, when a port found free is taken before the stack binds it."""

from __future__ import annotations

import socket

import pytest

from loadtest import processes
from loadtest.processes import ProcessStack, Topology, free_ports, wait_serving


@pytest.mark.slow
async def test_the_stack_starts_again_on_other_ports_when_one_was_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = int(taken.getsockname()[1])
        offered: list[list[int]] = []

        def first_one_busy(count: int) -> list[int]:
            ports = free_ports(count)
            offered.append(ports)
            return [busy, *ports[1:]] if len(offered) == 1 else ports

        monkeypatch.setattr(processes, "free_ports", first_one_busy)
        stack = ProcessStack(topology=Topology.ALL_IN_ONE, population=200)
        try:
            await stack.start()
            assert len(offered) == 2
            assert stack.target == f"127.0.0.1:{offered[1][0]}"
            await wait_serving(stack.target, 5)
        finally:
            await stack.stop()


def test_free_ports_are_distinct() -> None:
    ports = free_ports(20)
    assert len(set(ports)) == 20
