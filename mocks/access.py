"""Who may call a mock: its system's adapters search it, test teams control it; every
MockControl call is audited.

With mTLS a call is let in by the name on the verified client certificate:
- the mock's own service (`Search`, `RecordCrossing`): the adapters of its system only;
- `MockControl`: a registered certificate whose profile may control mocks;
- health and reflection: any certificate of the CA.

In plaintext (`--insecure`, loopback only) there is no identity to check: every caller is
let in, and named `local-insecure` in the audit trail.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import grpc

from broker.domain.audit import call_record, timestamp
from broker.domain.errors import Unauthenticated
from broker.domain.profiles import AccessPolicy, adapter_identity, may_control_mocks
from broker.transport.call_guard import Call, CallAudit, CallRules, Verdict
from interop.mock.v1 import mock_pb2
from interop.v1 import bus_pb2

CONTROL = "/" + mock_pb2.DESCRIPTOR.services_by_name["MockControl"].full_name + "/"
INSECURE_CALLER = "local-insecure"


def is_control(method: str) -> bool:
    return method.startswith(CONTROL)


def mock_rules(system: str, service: str, policy: AccessPolicy, tls: bool) -> CallRules:
    """The rules of the mock of `system`, which serves `service` beside MockControl."""
    adapter = adapter_identity(system)

    def rules(method: str, common_name: str | None) -> Verdict:
        if not tls:
            return Verdict(True, INSECURE_CALLER)
        who = common_name or "anonymous"
        if method.startswith(f"/{service}/"):
            if common_name == adapter:
                return Verdict(True, who)
            return Verdict(False, who, reason=f"only {adapter} may call {service}")
        if not is_control(method):
            return Verdict(True, who)
        try:
            caller = policy.authenticate(common_name, tls)
        except Unauthenticated as error:
            return Verdict(False, who, reason=str(error), refusal=grpc.StatusCode.UNAUTHENTICATED)
        if not may_control_mocks(caller):
            reason = f"profile {caller.profile.name} may not control mocks"
            return Verdict(False, who, caller.profile.name, reason)
        return Verdict(True, who, caller.profile.name)

    return rules


def control_audit(sink: Callable[[bus_pb2.AuditRecord], Awaitable[None]]) -> CallAudit:
    """Report each audited call to `sink` as an audit record: who, which method, outcome."""

    async def audit(call: Call) -> None:
        verdict = call.verdict
        await sink(
            call_record(
                call.method.rsplit(".", 1)[-1],
                verdict.who,
                verdict.profile,
                call.outcome,
                verdict.reason,
                call.session,
                timestamp(time.time()),
            )
        )

    return audit
