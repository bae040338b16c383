"""The hit report as a border guard reads it in a terminal."""

from __future__ import annotations

from broker.domain.countries import country_name
from broker.domain.labels import label, short_name
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2


def _system(value: int) -> str:
    return short_name(systems_pb2.System, value)


def _country(code: str) -> str:
    """A code with its name: three letters can mean stateless (XXA) or a refugee (XXB)."""
    name = country_name(code)
    return f"{code} {name}" if name else code


def _traveller(t: pb.Traveller) -> str:
    parts = [f"{t.surname}, {' '.join(t.given_names)}".strip(", ")]
    if t.date_of_birth:
        parts.append(f"born {t.date_of_birth}")
    if t.sex:
        parts.append(label(pb.Sex, t.sex))
    if t.nationality:
        parts.append(_country(t.nationality))
    if t.document.number:
        parts.append(
            f"document {t.document.number}"
            + (f" ({_country(t.document.issuing_state)})" if t.document.issuing_state else "")
        )
    if t.visa_sticker_number:
        parts.append(f"visa {t.visa_sticker_number}")
    return ", ".join(p for p in parts if p)


def _detail(hit: pb.Hit) -> str:
    kind = hit.WhichOneof("detail")
    if kind is None:
        return ""
    detail = getattr(hit, kind)
    fields = []
    for descriptor, value in detail.ListFields():
        if descriptor.enum_type is not None:
            numbers = value if descriptor.is_repeated else [value]
            value = ", ".join(label(descriptor.enum_type, v) for v in numbers)
        elif descriptor.is_repeated and descriptor.message_type is not None:
            value = "; ".join(" ".join(str(v) for _, v in item.ListFields()) for item in value)
        elif descriptor.is_repeated:
            value = ", ".join(str(v) for v in value)
        fields.append(f"{descriptor.name}={value}")
    return " ".join(fields)


def render_conditions(conditions: pb.EntryConditions) -> list[str]:
    """The entry conditions at a glance: a line each with its findings, then the refusal
    grounds."""
    place = (conditions.checking_state, conditions.border_crossing_point)
    where = " at ".join(p for p in place if p)
    state = label(pb.ConditionState, conditions.state).upper()
    title = f"Conditions for {label(pb.Purpose, conditions.purpose)}"
    lines = [f"{title}{f' ({where})' if where else ''}: {state} - {conditions.note}"]
    for c in conditions.conditions:
        name = label(pb.EntryCondition, c.condition)
        state = label(pb.ConditionState, c.state).upper()
        lines.append(f"  {name:<22} {state:<10} {c.legal_basis}")
        lines += [f"      {finding}" for finding in c.evidence]
    lines += [f"  Refusal ground {g.code}: {g.wording}" for g in conditions.refusal_grounds]
    return lines


def render_report(report: pb.HitReport) -> str:
    verdict = short_name(pb.Verdict, report.verdict)
    lines = [
        f"Check {report.correlation_id} at {report.checked_at}"
        + (f" (request {report.request_id})" if report.request_id else ""),
        f"Traveller: {_traveller(report.traveller)}",
        f"VERDICT: {verdict}",
    ]
    if report.HasField("entry_conditions"):
        lines += ["", *render_conditions(report.entry_conditions)]
    lines += ["", "Systems:"]
    for o in report.outcomes:
        status = label(pb.OutcomeStatus, o.status).upper()
        note = f"  ({o.detail})" if o.detail and o.status != pb.OUTCOME_STATUS_ANSWERED else ""
        lines.append(
            f"  {_system(o.system):<8} {status:<13} {o.hit_count} hit(s) {o.latency_ms:>5} ms{note}"
        )
    if report.hits:
        lines += ["", "Hits (most urgent first):"]
    for hit in report.hits:
        action = label(systems_pb2.Action, hit.action)
        match_class = label(pb.MatchClass, hit.match_class)
        lines.append(
            f"  [{hit.hit_id}] {hit.category}  action: {action}  "
            f"score {hit.score:.3f} ({match_class})  record {hit.record_id}"
        )
        if hit.identity.ListFields():
            lines.append(f"      held as: {_traveller(hit.identity)}")
        for f in hit.explanation:
            if f.method == "missing":
                continue
            lines.append(
                f"      {f.field}: {f.query_value!r} ~ {f.record_value!r} "
                f"{f.similarity:.2f} ({f.method})"
            )
        detail = _detail(hit)
        if detail:
            lines.append(f"      {detail}")
    if report.links:
        lines += ["", "Identity links:"]
    for link in report.links:
        colour = label(pb.LinkColour, link.colour)
        lines.append(f"  {colour}: {' <-> '.join(link.hit_ids)} (score {link.score:.3f})")
    if report.actions:
        lines += ["", "Actions:"]
        lines += [f"  {n}. {a}" for n, a in enumerate(report.actions, start=1)]
    return "\n".join(lines)
