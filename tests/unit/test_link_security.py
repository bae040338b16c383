"""Plaintext only when asked for, and then on loopback only (issue 10, point 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.transport.links import InsecureLink, Links, is_loopback


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1:50051", True),
        ("127.8.9.1:1", True),
        ("[::1]:50051", True),
        ("localhost:50051", True),
        ("0.0.0.0:50051", False),
        ("[::]:50051", False),
        (":50051", False),
        ("10.1.2.3:50051", False),
        ("gateway.example.org:50051", False),
    ],
)
def test_loopback_addresses(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_plaintext_needs_insecure() -> None:
    with pytest.raises(InsecureLink, match="--insecure"):
        Links(None)


def test_insecure_and_tls_exclude_each_other(tmp_path: Path) -> None:
    with pytest.raises(InsecureLink, match="choose one"):
        Links(tmp_path, insecure=True)


def test_insecure_serves_and_dials_loopback_only() -> None:
    links = Links(None, insecure=True)
    assert links.server("127.0.0.1:0") is None
    assert links.client("localhost:50061", "adapter-sis") is None
    with pytest.raises(InsecureLink, match=r"refusing to listen on 0\.0\.0\.0:50051"):
        links.server("0.0.0.0:50051")
    with pytest.raises(InsecureLink, match=r"refusing to connect to 10\.0\.0\.5:50061"):
        links.client("10.0.0.5:50061", "adapter-sis")
