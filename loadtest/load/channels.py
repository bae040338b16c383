"""Several gRPC channels to one gateway, plain or with mTLS as `interop check` does it.

One HTTP/2 connection serialises its frames through one socket and one reader; a
few connections spread the load the way several terminals would. gRPC shares
connections between channels with the same arguments, so each channel gets its own
subchannel pool.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from pathlib import Path

import grpc

from interop.v1 import border_check_pb2_grpc


@dataclass(frozen=True, slots=True)
class Tls:
    """mTLS files as `interop pki` writes them: ca.pem, and NAME.pem/NAME.key for a client."""

    directory: Path
    client_name: str | None

    def credentials(self) -> grpc.ChannelCredentials:
        name = self.client_name
        key = (self.directory / f"{name}.key").read_bytes() if name else None
        chain = (self.directory / f"{name}.pem").read_bytes() if name else None
        return grpc.ssl_channel_credentials(
            root_certificates=(self.directory / "ca.pem").read_bytes(),
            private_key=key,
            certificate_chain=chain,
        )


class Channels:
    """`count` channels to `target`, handed out round-robin as BorderCheck stubs."""

    def __init__(self, target: str, count: int, tls: Tls | None) -> None:
        self._target = target
        self._tls = tls
        options = [("grpc.use_local_subchannel_pool", 1)]
        credentials = tls.credentials() if tls is not None else None
        self._channels = [
            grpc.aio.secure_channel(target, credentials, options=options)
            if credentials is not None
            else grpc.aio.insecure_channel(target, options=options)
            for _ in range(count)
        ]
        stubs = [border_check_pb2_grpc.BorderCheckStub(c) for c in self._channels]
        self._next = itertools.cycle(stubs)

    def stub(self) -> border_check_pb2_grpc.BorderCheckStub:
        return next(self._next)

    async def ready(self, timeout_s: float) -> None:
        """Connect every channel before the clock starts (TimeoutError when the target is down)."""
        try:
            await asyncio.wait_for(
                asyncio.gather(*(c.channel_ready() for c in self._channels)), timeout_s
            )
        except TimeoutError:
            raise TimeoutError(
                f"no connection to {self._target} within {timeout_s:.0f} s"
            ) from None

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()
