"""Are the entry conditions met? The assessment a border guard reads above the hits.

Schengen Borders Code, Reg. (EU) 2016/399: on entry, the conditions of Art. 6(1) as the
thorough checks of Art. 8(3)(a)-(b) verify them; on exit, the checks of Art. 8(3)(g)-(h);
minors, Annex VII point 6; refusal, Art. 14 with the standard grounds of Annex V Part B.
Within the territory only the stay is assessed (Reg. (EU) 2017/2226 Art. 26).

Each condition gets a state from the query and the systems' answers, with the evidence
that decided it. Which system's answer is evidence of what is declared with the system
(`SystemSpec.evidence`), so no rule here names a system. Pure: the date comes with the
situation.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from broker.domain.labels import label
from broker.domain.situation import Situation
from broker.domain.systems import Evidence, SystemCatalog
from broker.domain.visa_lists import Regime, regime
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s

State: TypeAlias = pb.ConditionState.ValueType
Condition: TypeAlias = pb.EntryCondition.ValueType

MET = pb.CONDITION_STATE_MET
NOT_MET = pb.CONDITION_STATE_NOT_MET
NO_ANSWER = pb.CONDITION_STATE_NO_ANSWER
TO_VERIFY = pb.CONDITION_STATE_TO_VERIFY
# Worst first: the worst state of its parts is the state of a condition, and of them all.
SEVERITY = (NOT_MET, NO_ANSWER, TO_VERIFY, MET)

# Annex V Part B; (C) and (D) as amended for travel authorisations by Reg. (EU) 2018/1240
# Art. 83.
REFUSAL_GROUNDS: dict[str, str] = {
    "A": "has no valid travel document(s)",
    "B": "has a false, counterfeit or forged travel document",
    "C": "has no valid visa, travel authorisation or residence permit",
    "D": "has a false, counterfeit or forged visa, travel authorisation or residence permit",
    "E": "has no appropriate documentation justifying the purpose and conditions of stay",
    "F": "has already stayed for 90 days during a 180-day period on the territory of the "
    "Member States",
    "G": "does not have sufficient means of subsistence",
    "H": "is a person for whom an alert has been issued for the purposes of refusing entry "
    "in the SIS or in the national register",
    "I": "is considered to be a threat to public policy, internal security, public health "
    "or the international relations of one or more of the Member States",
}

BORDERS_CODE = "Reg. (EU) 2016/399"
BASIS: dict[Condition, str] = {
    pb.ENTRY_CONDITION_TRAVEL_DOCUMENT: f"{BORDERS_CODE} Art. 6(1)(a)",
    pb.ENTRY_CONDITION_VISA_OR_AUTHORISATION: f"{BORDERS_CODE} Art. 6(1)(b)",
    pb.ENTRY_CONDITION_STAY: f"{BORDERS_CODE} Art. 6(1); Reg. (EU) 2017/2226 Art. 11",
    pb.ENTRY_CONDITION_ALERTS: f"{BORDERS_CODE} Art. 6(1)(d)-(e)",
    pb.ENTRY_CONDITION_MINOR: f"{BORDERS_CODE} Annex VII point 6",
}
EXIT_DOCUMENT_BASIS = f"{BORDERS_CODE} Art. 8(3)(g)(i)"
NOTES: dict[pb.Purpose.ValueType, str] = {
    pb.PURPOSE_BORDER_ENTRY: f"entry conditions, {BORDERS_CODE} Art. 6(1)",
    pb.PURPOSE_BORDER_EXIT: f"exit checks, {BORDERS_CODE} Art. 8(3)(g)-(h)",
    pb.PURPOSE_IN_TERRITORY_CHECK: "the stay within the territory, Reg. (EU) 2017/2226 Art. 26",
}

SHORT_STAY_DAYS = 90
DOCUMENT_MARGIN_MONTHS = 3
DOCUMENT_AGE_MONTHS = 120
ADULT_AGE = 18
SILENT = frozenset(
    {
        pb.OUTCOME_STATUS_TIMEOUT,
        pb.OUTCOME_STATUS_UNAVAILABLE,
        pb.OUTCOME_STATUS_ERROR,
        pb.OUTCOME_STATUS_NOT_PERMITTED,
    }
)
# Visa types that allow entry: short stay (C) and long stay (D), not airport transit (A).
ENTRY_VISA_TYPES = frozenset({"C", "D"})
ISSUED_VISA = frozenset({s.VIS_STATUS_ISSUED, s.VIS_STATUS_EXTENDED, s.VIS_STATUS_SHORTENED})
# Alerts whose action comes before any decision on entry: an arrest, a person to protect,
# an alert on return (inform the issuing State, then decide under the Borders Code, Reg.
# 2018/1860 Art. 8).
ACTION_FIRST = frozenset({s.ACTION_ARREST, s.ACTION_PROTECT_PERSON, s.ACTION_INFORM_ISSUING_STATE})
# How VIS reports the verification of the fingerprints given (Reg. 767/2008 Art. 18).
FINGERPRINT_VERIFICATION = "fingerprint_verification"
NOT_VERIFIED = "not_verified"
# The EES search needs all of these (Impl. Decision 2019/327 Art. 2).
EES_SEARCH_DATA = ("date_of_birth", "nationality", "sex")


@dataclass(frozen=True)
class Assessment:
    """One condition, or one finding about it: its state, what decided it, and the refusal
    grounds it gives when not met."""

    condition: Condition
    state: State
    evidence: tuple[str, ...]
    hit_ids: tuple[str, ...] = ()
    grounds: tuple[str, ...] = ()
    basis: str = ""

    def message(self) -> pb.ConditionAssessment:
        return pb.ConditionAssessment(
            condition=self.condition,
            state=self.state,
            legal_basis=self.basis or BASIS[self.condition],
            evidence=self.evidence,
            hit_ids=self.hit_ids,
        )


def worst(states: Iterable[State]) -> State:
    return min(states, key=SEVERITY.index)


def combine(condition: Condition, parts: Sequence[Assessment], basis: str = "") -> Assessment:
    """One condition from its findings: the worst state, all the evidence, and the grounds
    of the findings that are not met."""
    return Assessment(
        condition,
        worst(p.state for p in parts),
        tuple(e for p in parts for e in p.evidence),
        tuple(dict.fromkeys(h for p in parts for h in p.hit_ids)),
        tuple(dict.fromkeys(g for p in parts if p.state == NOT_MET for g in p.grounds)),
        basis,
    )


@dataclass(frozen=True)
class Answers:
    """What the systems giving one kind of evidence said."""

    asked: tuple[str, ...]
    silent: tuple[str, ...]
    hits: tuple[pb.Hit, ...]

    def unanswered(self, condition: Condition, what: str) -> Assessment | None:
        """The finding when no such system answered; None when one did."""
        if self.silent:
            return Assessment(
                condition, NO_ANSWER, (f"{', '.join(self.silent)} did not answer: {what}",)
            )
        if not self.asked:
            return Assessment(condition, TO_VERIFY, (f"not asked: {what}",))
        return None


def answers_of(
    evidence: Evidence,
    outcomes: Sequence[pb.SystemOutcome],
    hits: Sequence[pb.Hit],
    catalog: SystemCatalog,
) -> Answers:
    systems = {spec.value: spec.label for spec in catalog.giving(evidence)}
    asked = [o for o in outcomes if o.system in systems]
    return Answers(
        asked=tuple(systems[o.system] for o in asked),
        silent=tuple(systems[o.system] for o in asked if o.status in SILENT),
        hits=tuple(h for h in hits if h.system in systems),
    )


# -- dates -------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), the month's last day when it is shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def ages(date_of_birth: str, day: dt.date) -> tuple[int, int] | None:
    """(youngest, oldest) possible age on `day`, for a date of birth with unknown parts."""
    try:
        year, month, dom = (int(part) for part in date_of_birth.split("-"))
        latest_month = month or 12
        last = dom or calendar.monthrange(year, latest_month)[1]
        earliest, latest = dt.date(year, month or 1, dom or 1), dt.date(year, latest_month, last)
    except ValueError:
        return None
    return _years(latest, day), _years(earliest, day)


def _years(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


# -- travel document ---------------------------------------------------------------------------

DOCUMENT = pb.ENTRY_CONDITION_TRAVEL_DOCUMENT


def travel_document(document: pb.Document, situation: Situation, alerts: Answers) -> Assessment:
    """Valid, three months beyond the exit, issued within ten years, not to be seized."""
    parts = [_expiry(document, situation), _issue(document, situation.today)]
    seize = [h for h in alerts.hits if h.action == s.ACTION_SEIZE_DOCUMENT]
    if seize:
        parts.append(
            Assessment(
                DOCUMENT,
                NOT_MET,
                tuple(f"{h.category} ({h.hit_id})" for h in seize),
                tuple(h.hit_id for h in seize),
                ("A",),
            )
        )
    return combine(DOCUMENT, parts)


def _expiry(document: pb.Document, situation: Situation) -> Assessment:
    expiry = _date(document.expiry_date)
    if expiry is None:
        return Assessment(DOCUMENT, TO_VERIFY, ("no expiry date: give it, or the MRZ",))
    if expiry < situation.today:
        return Assessment(DOCUMENT, NOT_MET, (f"expired on {expiry}",), grounds=("A",))
    exit_day = situation.intended_exit
    needed = add_months(exit_day or situation.today, DOCUMENT_MARGIN_MONTHS)
    if expiry < needed:
        after = f"the exit on {exit_day}" if exit_day else "today"
        evidence = f"valid until {expiry}, less than three months after {after}"
        return Assessment(DOCUMENT, NOT_MET, (evidence,), grounds=("A",))
    longest = situation.today + dt.timedelta(days=SHORT_STAY_DAYS - 1)
    if exit_day is None and expiry < add_months(longest, DOCUMENT_MARGIN_MONTHS):
        covers = add_months(expiry, -DOCUMENT_MARGIN_MONTHS)
        evidence = f"valid until {expiry}: enough for an exit by {covers}; give the exit date"
        return Assessment(DOCUMENT, TO_VERIFY, (evidence,))
    return Assessment(DOCUMENT, MET, (f"valid until {expiry}",))


def _issue(document: pb.Document, today: dt.date) -> Assessment:
    issued = _date(document.issue_date)
    if issued is None:
        return Assessment(DOCUMENT, TO_VERIFY, ("no issue date: check it is within ten years",))
    if issued < add_months(today, -DOCUMENT_AGE_MONTHS):
        evidence = f"issued on {issued}, more than ten years ago"
        return Assessment(DOCUMENT, NOT_MET, (evidence,), grounds=("A",))
    return Assessment(DOCUMENT, MET, (f"issued on {issued}",))


def exit_document(document: pb.Document, today: dt.date) -> Assessment:
    """On exit, a document valid for crossing the border: not expired."""
    expiry = _date(document.expiry_date)
    if expiry is None:
        state, evidence = TO_VERIFY, "no expiry date: give it, or the MRZ"
    elif expiry < today:
        state, evidence = NOT_MET, f"expired on {expiry}"
    else:
        state, evidence = MET, f"valid until {expiry}"
    return Assessment(DOCUMENT, state, (evidence,), basis=EXIT_DOCUMENT_BASIS)


# -- visa or travel authorisation --------------------------------------------------------------

PERMIT = pb.ENTRY_CONDITION_VISA_OR_AUTHORISATION


def _best(condition: Condition, judged: Sequence[Assessment]) -> Assessment:
    """The most favourable of several records (one valid visa is enough), with its evidence."""
    state = max((j.state for j in judged), key=SEVERITY.index)
    return combine(condition, [j for j in judged if j.state == state])


def _judge(
    hit: pb.Hit, name: str, hard: Sequence[str], soft: Sequence[str], valid: str
) -> Assessment:
    """A visa or authorisation: not met on a hard flaw (ground C), to verify on a soft
    one, else met."""
    state = NOT_MET if hard else TO_VERIFY if soft else MET
    evidence = f"{name} ({hit.hit_id}): " + ("; ".join([*hard, *soft]) or valid)
    return Assessment(PERMIT, state, (evidence,), (hit.hit_id,), ("C",))


def visa_or_authorisation(
    traveller: pb.Traveller, situation: Situation, visas: Answers, authorisations: Answers
) -> Assessment:
    """A valid visa for a visa national (Reg. 2018/1806 Annex I), a valid travel
    authorisation for a visa-exempt one (Annex II); a valid visa does for either."""
    needs, why = regime(traveller.nationality, traveller.document.issuing_state)
    visa = _visa(situation, visas)
    if visa.state == MET or needs is Regime.VISA:
        return _because(why, visa)
    authorisation = _authorisation(traveller, situation, authorisations)
    if authorisation.state == MET or needs is Regime.TRAVEL_AUTHORISATION:
        return _because(why, authorisation)
    return Assessment(PERMIT, TO_VERIFY, (why, "the guard decides what the traveller needs"))


def _because(why: str, found: Assessment) -> Assessment:
    return combine(PERMIT, [Assessment(PERMIT, MET, (why,)), found])


def _visa(situation: Situation, visas: Answers) -> Assessment:
    missing = visas.unanswered(PERMIT, "visas")
    if missing is not None:
        return missing
    if not visas.hits:
        return Assessment(PERMIT, NOT_MET, ("no visa found",), grounds=("C",))
    return _best(PERMIT, [_judge_visa(h, situation) for h in visas.hits])


def _judge_visa(hit: pb.Hit, situation: Situation) -> Assessment:
    visa = hit.vis
    hard = [label(s.VisStatus, visa.status)] if visa.status not in ISSUED_VISA else []
    if visa.validity == s.VIS_VALIDITY_EXPIRED:
        hard.append(f"expired on {visa.valid_until}")
    elif visa.validity == s.VIS_VALIDITY_NOT_YET_VALID:
        hard.append(f"valid from {visa.valid_from} only")
    if visa.visa_type and visa.visa_type not in ENTRY_VISA_TYPES:
        hard.append(f"type {visa.visa_type} does not allow entry")
    soft = []
    territory = ", ".join(visa.territory)
    if visa.territory and not situation.checking_state:
        soft.append(f"valid for {territory} only; checking State not given")
    elif visa.territory and situation.checking_state not in visa.territory:
        hard.append(f"valid for {territory} only, not {situation.checking_state}")
    if fingerprints_failed(hit.explanation):
        soft.append("fingerprints not verified against the holder's")
    if hit.match_class != pb.MATCH_CLASS_SAME:
        soft.append("similar identity: confirm it is the traveller's")
    name = f"visa {visa.visa_sticker_number or visa.application_number}"
    return _judge(hit, name, hard, soft, f"valid until {visa.valid_until}")


def fingerprints_failed(fields: Iterable[pb.FieldMatch]) -> bool:
    """Whether the fingerprints given were verified against the holder's and failed."""
    return any(f.field == FINGERPRINT_VERIFICATION and f.method == NOT_VERIFIED for f in fields)


def valid_visas(situation: Situation, visas: Answers) -> list[pb.Hit]:
    """The visas that allow this entry."""
    return [h for h in visas.hits if _judge_visa(h, situation).state == MET]


def _authorisation(
    traveller: pb.Traveller, situation: Situation, authorisations: Answers
) -> Assessment:
    missing = authorisations.unanswered(PERMIT, "travel authorisations")
    if missing is not None:
        return missing
    if not traveller.document.number:
        return Assessment(PERMIT, TO_VERIFY, ("no document number to look the authorisation up",))
    if not authorisations.hits:
        return Assessment(PERMIT, NOT_MET, ("no travel authorisation found",), grounds=("C",))
    return _best(PERMIT, [_judge_authorisation(h, situation) for h in authorisations.hits])


def _judge_authorisation(hit: pb.Hit, situation: Situation) -> Assessment:
    authorisation = hit.etias
    if authorisation.status == s.ETIAS_STATUS_NONE:
        return _judge(hit, "travel authorisation", ["none for this document"], [], "")
    name = f"travel authorisation {authorisation.application_number}"
    if authorisation.status != s.ETIAS_STATUS_ISSUED:
        return _judge(hit, name, [label(s.EtiasStatus, authorisation.status)], [], "")
    hard, soft = [], []
    limits = ", ".join(authorisation.territorial_limits)
    if limits and not situation.checking_state:
        soft.append(f"valid for {limits} only; checking State not given")
    elif limits and situation.checking_state not in authorisation.territorial_limits:
        hard.append(f"valid for {limits} only, not {situation.checking_state}")
    if hit.match_class != pb.MATCH_CLASS_SAME:
        soft.append("document's issuing State not compared: confirm")
    notes = [f"valid until {authorisation.valid_until}"]
    if authorisation.second_line_flag:
        notes.append("flagged for a second-line check")
    if authorisation.expires_within_90_days:
        notes.append("expires within 90 days")
    return _judge(hit, name, hard, soft, ", ".join(notes))


# -- stay --------------------------------------------------------------------------------------

STAY = pb.ENTRY_CONDITION_STAY


def stay(
    traveller: pb.Traveller, situation: Situation, stays: Answers, visas: Sequence[pb.Hit]
) -> Assessment:
    """No more than 90 days in any 180 (EES), within the visa's validity and duration."""
    parts = [_rule_90_180(traveller, situation, stays)]
    if situation.purpose == pb.PURPOSE_BORDER_ENTRY and situation.intended_exit:
        parts += [_within_visa(h, situation, situation.intended_exit) for h in visas]
    return combine(STAY, parts)


def _rule_90_180(traveller: pb.Traveller, situation: Situation, stays: Answers) -> Assessment:
    missing = stays.unanswered(STAY, "entries and exits")
    if missing is not None:
        return missing
    confirmed = [h for h in stays.hits if h.match_class == pb.MATCH_CLASS_SAME]
    if not confirmed and stays.hits:
        ids = tuple(h.hit_id for h in stays.hits)
        return Assessment(STAY, TO_VERIFY, ("a file of a similar identity: confirm",), ids)
    if not confirmed:
        return _no_file(traveller)
    file = confirmed[0]
    if situation.purpose == pb.PURPOSE_BORDER_ENTRY:
        return _entry_stay(file, situation)
    if file.ees.overstay_days:
        evidence = f"overstay of {file.ees.overstay_days} days ({file.hit_id})"
        return Assessment(STAY, NOT_MET, (evidence,), (file.hit_id,))
    evidence = f"{file.ees.days_remaining} of 90 days left ({file.hit_id})"
    return Assessment(STAY, MET, (evidence,), (file.hit_id,))


def _no_file(traveller: pb.Traveller) -> Assessment:
    lacking = [name for name in EES_SEARCH_DATA if not getattr(traveller, name)]
    if lacking:
        evidence = f"no file found, but a file is found only with {', '.join(lacking)} too"
        return Assessment(STAY, TO_VERIFY, (evidence,))
    return Assessment(STAY, MET, ("no file: no stay recorded, 90 days available",))


def _entry_stay(file: pb.Hit, situation: Situation) -> Assessment:
    ees, ids = file.ees, (file.hit_id,)
    if ees.overstay_days or not ees.stay_allowed_days:
        evidence = f"already stayed 90 days in the last 180 ({file.hit_id})"
        if ees.overstay_days:
            evidence += f", overstay of {ees.overstay_days} days"
        return Assessment(STAY, NOT_MET, (evidence,), ids, ("F",))
    allowed = f"may stay {ees.stay_allowed_days} days from today ({file.hit_id})"
    exit_day = situation.intended_exit
    if exit_day and _days(situation.today, exit_day) > ees.stay_allowed_days:
        evidence = f"{allowed}, {_days(situation.today, exit_day)} intended"
        return Assessment(STAY, NOT_MET, (evidence,), ids)
    return Assessment(STAY, MET, (allowed,), ids)


def _within_visa(hit: pb.Hit, situation: Situation, exit_day: dt.date) -> Assessment:
    visa, ids = hit.vis, (hit.hit_id,)
    intended = _days(situation.today, exit_day)
    valid_until = _date(visa.valid_until)
    if valid_until and exit_day > valid_until:
        evidence = f"the visa ({hit.hit_id}) ends on {valid_until}, before the exit on {exit_day}"
        return Assessment(STAY, NOT_MET, (evidence,), ids)
    if visa.duration_of_stay_days and intended > visa.duration_of_stay_days:
        evidence = f"the visa ({hit.hit_id}) allows {visa.duration_of_stay_days} days"
        return Assessment(STAY, NOT_MET, (f"{evidence}, {intended} intended",), ids)
    return Assessment(STAY, MET, (f"within the visa ({hit.hit_id})",), ids)


def _days(first: dt.date, last: dt.date) -> int:
    """Days of a stay, both ends counted."""
    return (last - first).days + 1


# -- alerts ------------------------------------------------------------------------------------

ALERTS = pb.ENTRY_CONDITION_ALERTS


def alerts(found: Answers) -> Assessment:
    """No alert for refusal of entry; other alerts as they bear on entry."""
    missing = found.unanswered(ALERTS, "alerts")
    if missing is not None:
        return missing
    parts = [_alert(h) for h in found.hits if h.action != s.ACTION_SEIZE_DOCUMENT]
    return combine(ALERTS, parts or [Assessment(ALERTS, MET, ("no alert",))])


def _alert(hit: pb.Hit) -> Assessment:
    name, ids = f"{hit.category} ({hit.hit_id})", (hit.hit_id,)
    if hit.action == s.ACTION_REFUSE_ENTRY:
        return Assessment(ALERTS, NOT_MET, (f"{name}: refusal of entry",), ids, ("H",))
    if hit.action == s.ACTION_CONFIRM_MATCH:
        return Assessment(ALERTS, TO_VERIFY, (f"{name}: possible match, confirm it",), ids)
    if hit.action in ACTION_FIRST:
        evidence = f"{name}: {label(s.Action, hit.action)} first, then decide on entry"
        return Assessment(ALERTS, TO_VERIFY, (evidence,), ids)
    return Assessment(ALERTS, MET, (f"{name}: does not bar entry",), ids)


# -- minors ------------------------------------------------------------------------------------

MINOR = pb.ENTRY_CONDITION_MINOR


def minor(traveller: pb.Traveller, today: dt.date) -> Assessment | None:
    """A minor, or a traveller who may be one; None for an adult."""
    span = ages(traveller.date_of_birth, today)
    if span is None or span[0] >= ADULT_AGE:
        return None
    youngest, oldest = span
    if oldest >= ADULT_AGE:
        evidence = f"born {traveller.date_of_birth}: may be under {ADULT_AGE}, check the age"
    else:
        age = str(youngest) if youngest == oldest else f"{youngest} to {oldest}"
        evidence = (
            f"a minor aged {age}: check who accompanies them and their parental care, "
            "or the consent of those who have it if travelling alone"
        )
    return Assessment(MINOR, TO_VERIFY, (evidence,))


# -- all of them -------------------------------------------------------------------------------


def assess(
    situation: Situation,
    traveller: pb.Traveller,
    outcomes: Sequence[pb.SystemOutcome],
    hits: Sequence[pb.Hit],
    catalog: SystemCatalog,
) -> pb.EntryConditions | None:
    """The entry conditions for a border purpose; None for any other purpose."""
    if situation.purpose not in NOTES:
        return None
    report = pb.EntryConditions(
        purpose=situation.purpose,
        checking_state=situation.checking_state,
        border_crossing_point=situation.border_crossing_point,
    )
    needs, why = regime(traveller.nationality, traveller.document.issuing_state)
    if needs is Regime.FREE_MOVEMENT:
        report.state = pb.CONDITION_STATE_NOT_APPLICABLE
        report.note = f"{why}: minimum check, {BORDERS_CODE} Art. 8(2)"
        return report
    answers = {e: answers_of(e, outcomes, hits, catalog) for e in Evidence}
    found = [a for a in _conditions(situation, traveller, answers) if a is not None]
    report.state = worst(a.state for a in found)
    report.conditions.extend(a.message() for a in found)
    report.note = NOTES[situation.purpose]
    if situation.purpose == pb.PURPOSE_BORDER_ENTRY:
        report.refusal_grounds.extend(refusal_grounds(found))
    return report


def _conditions(
    situation: Situation, traveller: pb.Traveller, answers: dict[Evidence, Answers]
) -> Iterable[Assessment | None]:
    visas = answers[Evidence.VISAS]
    if situation.purpose == pb.PURPOSE_BORDER_ENTRY:
        yield travel_document(traveller.document, situation, answers[Evidence.ALERTS])
        yield visa_or_authorisation(
            traveller, situation, visas, answers[Evidence.TRAVEL_AUTHORISATIONS]
        )
    if situation.purpose == pb.PURPOSE_BORDER_EXIT:
        yield exit_document(traveller.document, situation.today)
    yield stay(traveller, situation, answers[Evidence.STAYS], valid_visas(situation, visas))
    if situation.purpose == pb.PURPOSE_BORDER_ENTRY:
        yield alerts(answers[Evidence.ALERTS])
    if situation.purpose != pb.PURPOSE_IN_TERRITORY_CHECK:
        yield minor(traveller, situation.today)


def refusal_grounds(found: Iterable[Assessment]) -> list[pb.RefusalGround]:
    """The grounds of the conditions not met, in the order of the standard form."""
    codes = {g for a in found if a.state == NOT_MET for g in a.grounds}
    return [pb.RefusalGround(code=c, wording=REFUSAL_GROUNDS[c]) for c in sorted(codes)]


def guard_actions(conditions: pb.EntryConditions | None) -> list[str]:
    """What the assessment asks of the guard: refuse on the grounds found, look at what is
    not met, and give a minor particular attention."""
    if conditions is None:
        return []
    actions = []
    codes = ", ".join(g.code for g in conditions.refusal_grounds)
    if codes:
        actions.append(
            f"Refuse entry with the standard form, grounds {codes} ({BORDERS_CODE} Art. 14 "
            "and Annex V Part B), unless Art. 6(5) applies"
        )
    unmet = [
        label(pb.EntryCondition, c.condition) for c in conditions.conditions if c.state == NOT_MET
    ]
    if unmet:
        actions.append(f"Not met: {', '.join(unmet)}")
    if any(c.condition == MINOR for c in conditions.conditions):
        actions.append(f"Minor: check who accompanies them and with what consent ({BASIS[MINOR]})")
    return actions
