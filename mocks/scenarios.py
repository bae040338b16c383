"""Scenario packs: YAML files that seed the mocks and list checks with expected outcomes.

Format (see mocks/packs/README.md for the full description):

    name: sis-refusal-on-alias
    description: ...
    records:                 # per system: MockRecord messages in protobuf JSON form
      sis:
        - record_id: SIS-1
          identity: {surname: MUELLER, date_of_birth: 1980-05-01, nationality: DEU}
          aliases: [{surname: SCHMIDT}]
          sis: {category: SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY}
    faults:                  # per system: a Faults message
      vis: {latency_ms: 5000}
    checks:
      - name: found under the alias
        request: {purpose: PURPOSE_BORDER_ENTRY, traveller: {surname: SCHMIDT}}
        expect:              # a partial HitReport: every key given must match
          verdict: VERDICT_HIT
          hits: [{system: SYSTEM_SIS, category: SIS_REFUSAL_OF_ENTRY}]
      - name: a crossing
        crossing: {traveller: {...}, direction: CROSSING_DIRECTION_ENTRY, date: today-100}
        expect: {outcome: {status: OUTCOME_STATUS_ANSWERED}}

Any string `today`, `today+N` or `today-N` is replaced by that ISO date, so packs never
go stale. In `expect`, a mapping matches when each of its keys matches; a list matches
when each expected item matches a different actual item, in any order; `hit_count`
and `no_hits_from` (a list of systems) are checked on the whole report.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from google.protobuf import json_format
from google.protobuf.message import Message

from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2

_TODAY = re.compile(r"^today(?:([+-])(\d+))?$")


class ScenarioError(ValueError):
    """A pack that cannot be read; the message names the file and the place."""


@dataclass(frozen=True)
class Check:
    name: str
    expect: Mapping[str, Any]
    request: pb.CheckRequest | None = None
    crossing: pb.RecordCrossingRequest | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    records: Mapping[str, Sequence[mock_pb2.MockRecord]]
    faults: Mapping[str, mock_pb2.Faults]
    checks: Sequence[Check] = field(default_factory=tuple)


def resolve_dates(value: Any, today: dt.date) -> Any:
    """Replace `today`, `today+N`, `today-N` strings anywhere in a YAML tree."""
    if isinstance(value, str):
        match = _TODAY.match(value.strip())
        if not match:
            return value
        sign, days = match.groups()
        offset = int(days or 0) * (-1 if sign == "-" else 1)
        return (today + dt.timedelta(days=offset)).isoformat()
    if isinstance(value, Mapping):
        return {k: resolve_dates(v, today) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_dates(v, today) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


M = TypeVar("M", bound=Message)


def _parse(message: M, data: Any, where: str) -> M:
    try:
        return json_format.ParseDict(data, message)
    except json_format.ParseError as error:
        raise ScenarioError(f"{where}: {error}") from error


def load(path: Path, systems: Sequence[str], today: dt.date | None = None) -> Scenario:
    """The pack at `path`; `systems` are the names its records and faults may use."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ScenarioError(f"{path}: {error}") from error
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{path}: expected a mapping at the top")
    data = resolve_dates(raw, today or dt.date.today())
    unknown = set(data) - {"name", "description", "records", "faults", "checks"}
    if unknown:
        raise ScenarioError(f"{path}: unknown keys {sorted(unknown)}")
    records = {
        system: [
            _parse(mock_pb2.MockRecord(), r, f"{path}: records.{system}[{i}]")
            for i, r in enumerate(items or [])
        ]
        for system, items in _per_system(data.get("records"), path, "records", systems).items()
    }
    faults = {
        system: _parse(mock_pb2.Faults(), f or {}, f"{path}: faults.{system}")
        for system, f in _per_system(data.get("faults"), path, "faults", systems).items()
    }
    checks = [_check(c, f"{path}: checks[{i}]") for i, c in enumerate(data.get("checks") or [])]
    return Scenario(
        str(data.get("name", path.stem)),
        str(data.get("description", "")),
        records,
        faults,
        tuple(checks),
    )


def _per_system(value: Any, path: Path, key: str, systems: Sequence[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or set(value) - set(systems):
        raise ScenarioError(f"{path}: {key} must map systems ({', '.join(systems)}) to values")
    return dict(value)


def _check(data: Any, where: str) -> Check:
    if not isinstance(data, Mapping) or ("request" in data) == ("crossing" in data):
        raise ScenarioError(f"{where}: give a name, an expect and one of request or crossing")
    expect = data.get("expect") or {}
    if "request" in data:
        request = _parse(pb.CheckRequest(), data["request"], f"{where}.request")
        return Check(str(data.get("name", where)), expect, request=request)
    crossing = _parse(pb.RecordCrossingRequest(), data["crossing"], f"{where}.crossing")
    return Check(str(data.get("name", where)), expect, crossing=crossing)


def as_dict(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(
        message, always_print_fields_with_no_presence=True, preserving_proto_field_name=True
    )


def mismatches(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Why `actual` does not match the partial `expected` (empty when it does)."""
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{where or '.'}: expected a mapping, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += mismatches(value, actual[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {actual!r}"]
        remaining = list(actual)
        problems = []
        for i, item in enumerate(expected):
            hit = next((a for a in remaining if not mismatches(item, a)), None)
            if hit is None:
                problems.append(f"{where}[{i}]: no item matches {item!r}")
            else:
                remaining.remove(hit)
        return problems
    if isinstance(expected, float) or isinstance(actual, float):
        ok = isinstance(actual, int | float) and abs(float(expected) - float(actual)) < 1e-6
        return [] if ok else [f"{where}: expected {expected!r}, got {actual!r}"]
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


def check_report(expect: Mapping[str, Any], report: pb.HitReport) -> list[str]:
    """Compare a HitReport with an `expect` block, including the two whole-report keys."""
    expect = dict(expect)
    problems = []
    count = expect.pop("hit_count", None)
    if count is not None and count != len(report.hits):
        problems.append(f".hit_count: expected {count}, got {len(report.hits)}")
    for system in expect.pop("no_hits_from", None) or []:
        if any(systems_pb2.System.Name(h.system) == system for h in report.hits):
            problems.append(f".no_hits_from: {system} has hits")
    return problems + mismatches(expect, as_dict(report))
