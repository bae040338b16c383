"""What the fuzz harness throws at the broker, and what it counts.

Four targets, each a hypothesis strategy and a function that sends one input and sorts the
answer into an outcome:

- `check`: a `CheckRequest` to `BorderCheck.Check`, through a real gRPC server with the
  gateway's servicer, call guard, validation, merge and audit trail (the systems are a
  fake dispatcher that answers at once, so what is measured is the gateway's edge);
- `crossing`: a `RecordCrossingRequest` to `BorderCheck.RecordCrossing`;
- `raw`: bytes as the body of `Check`, `CheckStream` or `RecordCrossing`, random or a
  valid request with bytes flipped, cut or appended;
- `mrz`: text to the MRZ parser itself.

Strings mix plain values with what has broken validation before: other scripts' digits,
full-width forms, trailing newlines, bidirectional and zero-width characters, NULs,
values of 10 kB and more.

An answer is a failure when it is UNKNOWN, INTERNAL or any status but OK,
INVALID_ARGUMENT and PERMISSION_DENIED; when an INVALID_ARGUMENT does not name a field
in a google.rpc.BadRequest; when a status is larger than gRPC's 8 KiB metadata limit; or
when a call does not end within `CALL_TIMEOUT_S` (a hang). The parser fails on any
exception but `MrzError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import strategies as st

from broker.audit.sink import AuditSink
from broker.domain.answers import Answer
from broker.domain.links import link_hits
from broker.domain.mrz import MrzError, MrzFields, MrzFormat, build_mrz, parse_mrz
from broker.domain.profiles import AccessPolicy
from broker.domain.trace import CheckTrace
from broker.domain.validation import Limits
from broker.gateway.servicer import BorderCheckServicer
from broker.service.ports import Ports, SystemClock
from broker.transport.bus.memory import MemoryBroker, MemoryBus
from broker.transport.envelope import ChannelKeys, Keyring, audit_channel
from broker.transport.grpc_server import GrpcServer, Service
from broker.transport.topics import Topics
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc, bus_pb2
from systems import REGISTRY

CALL_TIMEOUT_S = 10.0
METADATA_LIMIT = 8 * 1024
ACCEPTED = frozenset(
    {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED}
)
SPECIMEN_MRZ = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
)

# -- strings -------------------------------------------------------------------------------

TRICKY = (
    "L898902C3\n",
    "L898902C3",
    "١٩٧٤-٠٨-١٢",
    "۱۹۷۴-۰۸-۱۲",
    "１９７４-０８-１２",
    "1974-08-12",
    "1974-08-12\n",
    "1974-00-00",
    "2026-11-30\n",
    "ERIKSSON\u202e",
    "ERIK\u200bSSON",
    "Mu\u0308ller",
    "\x00",
    "\ufeffUTO",
    "UTO",
    "uto",
    "D<<",
    "\U0001f600" * 50,
    "\ud7ff\ue000\uffff",
    "<script>",
    "%s%s%n",
    "\\x00",
    "   ",
    "",
)
# Values far over every limit, built when drawn so that no strategy's repr holds them.
long_text = st.builds(
    lambda part, times: part * times,
    st.sampled_from(["X", "9", "١", "-", "\n"]),
    st.integers(1_000, 20_000),
)
text = st.one_of(
    st.sampled_from(TRICKY),
    long_text,
    st.text(max_size=40),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<- '\n", max_size=50),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
    st.text(min_size=200, max_size=3000),
)
int32 = st.integers(-(2**31), 2**31 - 1)
small_enum = st.one_of(st.integers(-3, 12), int32)
floats = st.floats(allow_nan=True, allow_infinity=True, width=32)

# -- MRZs ----------------------------------------------------------------------------------

_mrz_fields = st.builds(
    MrzFields,
    document_code=st.sampled_from(["P", "PO", "I", "ID", "A", "C", "V", "VA", "X1"]),
    issuing_state=st.sampled_from(["UTO", "DEU", "D", "NLD", "XXA", "ZZZ", "uto"]),
    surname=st.from_regex(r"[A-Z]{1,20}( [A-Z]{1,10})?", fullmatch=True),
    given_names=st.lists(st.from_regex(r"[A-Z]{1,12}", fullmatch=True), max_size=3).map(tuple),
    document_number=st.from_regex(r"[A-Z0-9]{1,12}", fullmatch=True),
    nationality=st.sampled_from(["UTO", "DEU", "D", "FRA", "XXX"]),
    date_of_birth=st.one_of(
        st.dates().map(lambda d: d.isoformat()), st.sampled_from(["1974-00-00", "1974-08-00"])
    ),
    sex=st.sampled_from(["M", "F", "X"]),
    expiry_date=st.dates().map(lambda d: d.isoformat()),
    optional_data=st.from_regex(r"[A-Z0-9<]{0,16}", fullmatch=True),
)


def _built(fmt: MrzFormat, fields: MrzFields) -> str:
    try:
        return build_mrz(fmt, fields)
    except MrzError:
        return SPECIMEN_MRZ


def _mutated(text: str, position: int, replacement: str) -> str:
    if not text:
        return replacement
    index = position % len(text)
    return text[:index] + replacement + text[index + 1 :]


valid_mrz = st.builds(_built, st.sampled_from(list(MrzFormat)), _mrz_fields)
mrz_text = st.one_of(
    valid_mrz,
    st.builds(_mutated, valid_mrz, st.integers(0, 200), st.text(max_size=2)),
    st.builds(lambda m: m.replace("\n", ""), valid_mrz),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<\n\r ", max_size=250),
    text,
)

# -- requests ------------------------------------------------------------------------------

face: st.SearchStrategy[list[float]] = st.one_of(
    st.just([]),
    st.lists(floats, max_size=6),
    floats.map(lambda x: [x] * 512),
    floats.map(lambda x: [x] * 513),
)
fingerprints = st.lists(
    st.builds(
        pb.Fingerprint,
        position=st.integers(0, 2**32 - 1),
        template=st.one_of(st.lists(floats, max_size=4), floats.map(lambda x: [x] * 2049)),
    ),
    max_size=12,
)
document = st.builds(
    pb.Document, type=small_enum, number=text, issuing_state=text, expiry_date=text
)
traveller = st.builds(
    pb.Traveller,
    surname=text,
    given_names=st.lists(text, max_size=12),
    date_of_birth=text,
    sex=small_enum,
    nationality=text,
    document=document,
    visa_sticker_number=text,
    mrz=st.one_of(st.just(""), mrz_text),
    biometrics=st.builds(pb.Biometrics, face_embedding=face, fingerprints=fingerprints),
)


@st.composite
def _mostly(draw: st.DrawFn, valid: object, fuzzed: st.SearchStrategy[object]) -> object:
    """`valid`, or one time in eight a fuzzed value: requests that get past most checks."""
    return draw(fuzzed) if draw(st.integers(0, 7)) == 0 else valid


near_traveller = st.builds(
    pb.Traveller,
    surname=_mostly("ERIKSSON", text),
    given_names=_mostly(["ANNA", "MARIA"], st.lists(text, max_size=12)),
    date_of_birth=_mostly("1974-08-12", text),
    sex=_mostly(pb.SEX_FEMALE, small_enum),
    nationality=_mostly("UTO", text),
    document=_mostly(pb.Document(number="L898902C3", issuing_state="UTO"), document),
    mrz=_mostly("", mrz_text),
    biometrics=_mostly(pb.Biometrics(), st.builds(pb.Biometrics, face_embedding=face)),
)
check_request = st.one_of(
    st.builds(
        pb.CheckRequest,
        request_id=text,
        purpose=small_enum,
        traveller=st.one_of(traveller, st.builds(pb.Traveller, mrz=mrz_text)),
        systems=st.lists(small_enum, max_size=8),
        deadline_ms=st.one_of(st.none(), int32),
    ),
    st.builds(
        pb.CheckRequest,
        request_id=_mostly("r-1", text),
        purpose=_mostly(pb.PURPOSE_BORDER_ENTRY, small_enum),
        traveller=near_traveller,
        systems=_mostly([], st.lists(small_enum, max_size=8)),
    ),
)
crossing_request = st.one_of(
    st.builds(
        pb.RecordCrossingRequest,
        request_id=text,
        traveller=traveller,
        direction=small_enum,
        date=text,
        border_crossing_point=text,
        deadline_ms=st.one_of(st.none(), int32),
    ),
    st.builds(
        pb.RecordCrossingRequest,
        request_id=_mostly("x-1", text),
        traveller=near_traveller,
        direction=_mostly(pb.CROSSING_DIRECTION_ENTRY, small_enum),
        date=_mostly("2026-11-30", text),
        border_crossing_point=_mostly("DEU-FRA-AIRPORT", text),
    ),
)
_valid = pb.CheckRequest(
    purpose=pb.PURPOSE_BORDER_ENTRY, traveller=pb.Traveller(mrz=SPECIMEN_MRZ)
).SerializeToString()
raw_body = st.one_of(
    st.binary(max_size=2000),
    st.builds(_mutated, st.just(_valid.decode("latin-1")), st.integers(0, 200), st.text(
        alphabet=[chr(b) for b in range(256)], max_size=3
    )).map(lambda s: s.encode("latin-1")),
    st.builds(lambda n: _valid[:n], st.integers(0, len(_valid))),
)  # fmt: skip
raw_method = st.sampled_from(["Check", "CheckStream", "RecordCrossing"])

# -- outcomes ------------------------------------------------------------------------------


@dataclass
class Tally:
    """Outcomes per target; `failures` keeps the first few failing inputs' descriptions."""

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, target: str, outcome: str, failure: str | None = None) -> None:
        with self._lock:
            self.outcomes[(target, outcome)] += 1
            if failure is not None and len(self.failures) < 20:
                self.failures.append(f"{target}: {failure}")

    @property
    def inputs(self) -> int:
        return sum(self.outcomes.values())

    @property
    def failed(self) -> int:
        return sum(n for (_, outcome), n in self.outcomes.items() if outcome.startswith("FAIL"))


def judge(error: grpc.RpcError | None) -> tuple[str, str | None]:
    """The outcome of one call: its status, or FAIL-... with the reason."""
    if error is None:
        return "OK", None
    code = error.code()
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return "FAIL-hang", f"no answer in {CALL_TIMEOUT_S:g} s"
    if code not in ACCEPTED:
        return f"FAIL-{code.name}", f"{code.name}: {error.details()}"
    if code != grpc.StatusCode.INVALID_ARGUMENT:
        return code.name, None
    status = rpc_status.from_call(error)
    if status is None:
        return "FAIL-no-details", "INVALID_ARGUMENT without status details"
    if status.ByteSize() > METADATA_LIMIT:
        return "FAIL-oversized", f"status of {status.ByteSize()} bytes"
    fields: list[str] = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields.extend(v.field for v in bad.field_violations)
    if not fields or not all(fields):
        return "FAIL-no-field", "INVALID_ARGUMENT naming no field"
    return code.name, None


def parse(text: str) -> tuple[str, str | None]:
    """The MRZ parser's outcome for `text`."""
    try:
        parse_mrz(text)
    except MrzError:
        return "refused", None
    except Exception as error:  # any other exception is exactly what the fuzzer looks for
        return f"FAIL-{type(error).__name__}", f"{type(error).__name__}: {error}"
    return "parsed", None


# -- the gateway under test ----------------------------------------------------------------


class _Answering:
    """The systems answer at once, each with nothing found."""

    def ask(
        self,
        correlation_id: str,
        queries: Sequence[bus_pb2.SystemQuery],
        deadline: float,
        trace: CheckTrace,
    ) -> AsyncIterator[Answer]:
        async def answers() -> AsyncIterator[Answer]:
            for query in queries:
                yield Answer(query.system, pb.OUTCOME_STATUS_ANSWERED, 1)

        return answers()


@dataclass
class Gateway:
    """A gateway serving in a thread of its own, and a blocking channel to it."""

    channel: grpc.Channel
    stub: border_check_pb2_grpc.BorderCheckStub

    def raw(self, method: str, body: bytes) -> grpc.RpcError | None:
        path = f"/interop.v1.BorderCheck/{method}"
        try:
            if method == "CheckStream":
                list(self.channel.unary_stream(path)(body, timeout=CALL_TIMEOUT_S))
            else:
                self.channel.unary_unary(path)(body, timeout=CALL_TIMEOUT_S)
        except grpc.RpcError as error:
            return error
        return None

    def call(self, send: Callable[[], object]) -> grpc.RpcError | None:
        try:
            send()
        except grpc.RpcError as error:
            return error
        return None


@contextlib.contextmanager
def serving(state: Path) -> Iterator[Gateway]:
    """The gateway's servicer behind the real gRPC plumbing, on a loop in another thread."""
    loop = asyncio.new_event_loop()
    ready: asyncio.Future[int] = loop.create_future()
    stop = asyncio.Event()

    async def serve() -> None:
        bus = MemoryBus(MemoryBroker())
        await bus.start()
        topics = Topics(prefix="fuzz")
        await bus.ensure_topics([topics.spec(topics.audit)])
        Keyring.generate_dev(state / "keys", [audit_channel("fuzz")])
        keys = ChannelKeys.load(state / "keys", audit_channel("fuzz"))
        audit = AuditSink(state / "audit.jsonl", bus, topics.audit, keys, "fuzz")
        ports = Ports(
            REGISTRY.catalog,
            AccessPolicy({}),
            Limits(),
            _Answering(),
            audit,
            link_hits,
            SystemClock(),
        )
        servicer = BorderCheckServicer(ports, tls=False)
        name = pb.DESCRIPTOR.services_by_name["BorderCheck"].full_name
        register = Service(
            name, lambda s: border_check_pb2_grpc.add_BorderCheckServicer_to_server(servicer, s)
        )
        server = GrpcServer("127.0.0.1:0", [register])
        await server.start()
        ready.set_result(server.port)
        await stop.wait()
        await server.stop(0)
        await audit.close()
        await bus.stop()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    port = asyncio.run_coroutine_threadsafe(_wait(ready), loop).result(timeout=30)
    channel = grpc.insecure_channel(
        f"127.0.0.1:{port}", options=[("grpc.max_send_message_length", 16 * 1024 * 1024)]
    )
    try:
        yield Gateway(channel, border_check_pb2_grpc.BorderCheckStub(channel))
    finally:
        channel.close()
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)


async def _wait(ready: asyncio.Future[int]) -> int:
    return await ready
