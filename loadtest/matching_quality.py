"""Matching quality: precision and recall per query variant, against a baseline.

    python -m loadtest.matching_quality --records 1000000 --per-variant 2000
    python -m loadtest.matching_quality --records 3000 --per-variant 150 \
        --through-gateway 127.0.0.1:50051 --mock 127.0.0.1:50061

The second runs the same queries through a running stack (see `matching_gateway`).

What is measured, per labelled query (a damaged copy of a known person, or a
near-namesake of someone, who is not in the population):

* **decision @ threshold** (the operating point): the system's answer is its
  best-ranked record if that scores >= the threshold (0.5 = SIMILAR_THRESHOLD,
  what the mock systems use), else "nobody". recall@1 = right answers / positive
  queries; precision@1 = right answers / answers given (a negative query's
  answer is always wrong). This is the "recall >= 0.99 at precision >= 0.99"
  target, and it is also printed for other thresholds.
* **list**: every SAME/SIMILAR record returned (at most 10), as a border guard
  sees it: recall@10 = the true record is in the list; list precision = true
  records / all listed records. This view counts every other listed record as a
  false positive, although a list of candidates for manual verification is meant
  to hold near-namesakes; it is shown so nothing is hidden.
* **twins**: the generator draws names from finite pools, so two different people
  can share normalised surname, given names, date of birth, sex and nationality,
  and a query that leaves out the given names or gives a year of birth alone
  fits everyone who agrees with the truth on what it does give. When the query
  carries no document of its own person, nothing can tell such people apart; a
  twin of the truth counts as a right answer and the number of queries where that
  can happen is printed ("ambig."), not hidden in the rates.
* **wrong**: answers (at 0.5) that are neither the truth nor a twin of it;
  **wrong/q** is their share of the kind's queries, what precision means for a
  kind of negative queries (where every answer but a twin is wrong).
* **cand.rec**: recall of candidate generation alone; **base**: an exact lookup
  on normalised surname + given names + date of birth, or on the document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from broker.matching import Identity, IdentityIndex, normalise_name
from broker.matching.normalise import normalise_document, parse_date
from broker.matching.scoring import SIMILAR_THRESHOLD
from loadtest.matching_gateway import Answer, ask
from mocks.population import VARIANTS, LabelledQuery, Population, generate
from mocks.population import labelled_queries as make_queries
from mocks.population.queries import NEGATIVES

THRESHOLDS = (0.3, SIMILAR_THRESHOLD, 0.7, 0.9)
LIST_LIMIT = 10
Key = tuple[str, str, str, str, str]


@dataclass
class Tally:
    """Counts for one variant (or all)."""

    queries: int = 0
    positives: int = 0
    ambiguous: int = 0
    answered: dict[float, int] = field(default_factory=lambda: dict.fromkeys(THRESHOLDS, 0))
    right: dict[float, int] = field(default_factory=lambda: dict.fromkeys(THRESHOLDS, 0))
    # Right answers to positive queries only: a negative answered with a twin is no recall.
    found: dict[float, int] = field(default_factory=lambda: dict.fromkeys(THRESHOLDS, 0))
    listed: int = 0
    listed_true: int = 0
    found_in_list: int = 0
    # Positive queries whose candidates were looked at, and those that held the truth.
    candidates_checked: int = 0
    candidate_hits: int = 0
    baseline_true: int = 0
    baseline_false: int = 0

    def add(self, other: Tally) -> None:
        for name, value in asdict(other).items():
            if isinstance(value, dict):
                mine = getattr(self, name)
                for k, v in value.items():
                    mine[k] += v
            else:
                setattr(self, name, getattr(self, name) + value)

    @staticmethod
    def ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    def figures(self, threshold: float = SIMILAR_THRESHOLD) -> dict[str, float | None]:
        baseline_hits = self.baseline_true + self.baseline_false
        return {
            "recall_at_1": self.ratio(self.found[threshold], self.positives),
            "precision_at_1": self.ratio(self.right[threshold], self.answered[threshold]),
            # Queries answered with someone else: a negative kind's counterpart of precision.
            "wrong_share": self.ratio(
                self.answered[threshold] - self.right[threshold], self.queries
            ),
            "recall_at_10": self.ratio(self.found_in_list, self.positives),
            "list_precision": self.ratio(self.listed_true, self.listed),
            "candidate_recall": self.ratio(self.candidate_hits, self.candidates_checked),
            "baseline_recall": self.ratio(self.baseline_true, self.positives),
            "baseline_precision": self.ratio(self.baseline_true, baseline_hits),
        }


def _key(surname: str, given: Iterable[str], date: str, sex: str, nationality: str) -> Key:
    return (normalise_name(surname), normalise_name(" ".join(given)), date, sex, nationality)


class Twins:
    """People a query cannot tell apart: equal on every part of every field the query gives.

    Without given names, any person with the surname, date, sex and nationality
    of the truth is as good an answer; with a year of birth alone, any born that
    year. For a negative the query itself stands for the truth, and a person whose
    record leaves a part of the date unknown fits it too: such a query is not
    about "nobody in the population".
    """

    def __init__(self, population: Population) -> None:
        columns = population.columns()
        self._surname = np.array([normalise_name(s) for s in columns.surname], dtype=object)
        self._given = np.array([normalise_name(g) for g in columns.given_names], dtype=object)
        self._date = np.stack(
            [population.birth_year, population.birth_month, population.birth_day], axis=1
        ).astype(np.int16)
        self._sex = columns.sex
        self._nationality = columns.nationality
        self._by_surname: dict[str, list[int]] = defaultdict(list)
        for position, surname in enumerate(self._surname.tolist()):
            self._by_surname[surname].append(position)
        people = Counter(
            zip(self._surname.tolist(), self._given.tolist(), map(tuple, self._date.tolist()),
                self._sex.tolist(), self._nationality.tolist(), strict=True)
        )  # fmt: skip
        self.people_with_twin = sum(count for count in people.values() if count > 1)

    def of(self, query: Identity, truth: Identity | None) -> set[int]:
        """Records the query cannot tell from the truth (None: a negative, the query itself)."""
        person = query if truth is None else truth
        document = normalise_document(query.document_number)
        if document and _near(document, normalise_document(person.document_number)):
            return set()
        rows = np.array(self._by_surname.get(normalise_name(person.surname), []), dtype=np.int64)
        if not len(rows):
            return set()
        keep = np.ones(len(rows), dtype=np.bool_)
        if query.given_names:
            keep &= self._given[rows] == normalise_name(" ".join(person.given_names))
        for part, (asked, held) in enumerate(
            zip(parse_date(query.date_of_birth), parse_date(person.date_of_birth), strict=True)
        ):
            if asked:
                same = self._date[rows, part] == held
                keep &= same | (self._date[rows, part] == 0) if truth is None else same
        if query.sex:
            keep &= self._sex[rows] == person.sex
        if query.nationality:
            keep &= self._nationality[rows] == person.nationality
        return set(rows[keep].tolist())


def _near(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) <= 1


class ExactLookup:
    """The baseline: exact match on normalised name + date of birth, or on document."""

    def __init__(self, population: Population) -> None:
        columns = population.columns()
        self._names: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        self._documents: dict[str, int] = {}
        for position in range(len(population)):
            key = (
                normalise_name(columns.surname[position]),
                normalise_name(columns.given_names[position]),
                population.date_of_birth(position),
            )
            self._names[key].append(position)
            self._documents[str(columns.document_number[position])] = position

    def search(self, query: Identity) -> set[int]:
        key = _key(query.surname, query.given_names, query.date_of_birth, "", "")[:3]
        found = set(self._names.get(key, ()))
        document = normalise_document(query.document_number)
        if document in self._documents:
            found.add(self._documents[document])
        return found


def _tally_answer(tally: Tally, answers: Sequence[Answer], right: set[int], positive: bool) -> None:
    for threshold in THRESHOLDS:
        if answers and answers[0].score >= threshold:
            tally.answered[threshold] += 1
            is_right = answers[0].position in right
            tally.right[threshold] += is_right
            tally.found[threshold] += is_right and positive


def evaluate(
    population: Population,
    baseline: ExactLookup,
    twins: Twins,
    queries: Sequence[LabelledQuery],
    answers: Sequence[Sequence[Answer]],
    candidates: Callable[[Identity], set[int]] | None = None,
) -> dict[str, Tally]:
    """Tally each query's answers (best first); `candidates` gives candidate generation's."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for labelled, found in zip(queries, answers, strict=True):
        tally = tallies[labelled.variant]
        tally.queries += 1
        query, truth = labelled.query, labelled.truth
        found = found[:LIST_LIMIT]
        person = population.identity(truth) if truth >= 0 else None
        right = ({truth} if truth >= 0 else set()) | twins.of(query, person)
        tally.ambiguous += len(right - {truth}) > 0
        _tally_answer(tally, found, right, truth >= 0)
        listed = {a.position for a in found if a.score >= SIMILAR_THRESHOLD}
        tally.listed += len(listed)
        tally.listed_true += len(listed & right)
        expected = baseline.search(query)
        if truth >= 0:
            tally.positives += 1
            tally.found_in_list += bool(listed & right)
            if candidates is not None:
                tally.candidates_checked += 1
                tally.candidate_hits += truth in candidates(query)
            tally.baseline_true += bool(expected & right)
        tally.baseline_false += len(expected - right)
    return tallies


def search_directly(
    population: Population, queries: Sequence[LabelledQuery]
) -> tuple[list[list[Answer]], Callable[[Identity], set[int]]]:
    """Each query's answers from an index of the population, and its candidates."""
    index = IdentityIndex.build(population.columns())
    answers = [
        [Answer(m.position, m.score) for m in index.search(q.query, LIST_LIMIT, min(THRESHOLDS))]
        for q in queries
    ]
    return answers, lambda query: set(index.candidates(query).tolist())


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:.4f}"


_COLUMNS = (
    ("recall_at_1", "rec@1"),
    ("precision_at_1", "prec@1"),
    ("wrong_share", "wrong/q"),
    ("recall_at_10", "rec@10"),
    ("list_precision", "list.prec"),
    ("candidate_recall", "cand.rec"),
    ("baseline_recall", "base.rec"),
    ("baseline_precision", "base.prec"),
)


def _row(name: str, tally: Tally) -> str:
    f = tally.figures()
    cells = " ".join(f"{_fmt(f[key]):>9}" for key, _ in _COLUMNS)
    wrong = tally.answered[SIMILAR_THRESHOLD] - tally.right[SIMILAR_THRESHOLD]
    return f"{name:26} {tally.queries:7d} {tally.ambiguous:6d} {wrong:6d} {cells}"


def print_report(tallies: dict[str, Tally]) -> Tally:
    total = Tally()
    header = f"{'variant':26} {'queries':>7} {'ambig.':>6} {'wrong':>6} "
    header += " ".join(f"{label:>9}" for _, label in _COLUMNS)
    print(f"decision and list at score >= {SIMILAR_THRESHOLD} (SAME or SIMILAR)")
    print(header)
    print("-" * len(header))
    for variant in (*VARIANTS, *NEGATIVES):
        total.add(tallies[variant])
        print(_row(variant, tallies[variant]))
    print("-" * len(header))
    print(_row("all", total))
    print("\nthreshold sweep, all queries (decision = best-ranked record):")
    for threshold in THRESHOLDS:
        f = total.figures(threshold)
        print(f"  score >= {threshold:.2f}: recall@1 {_fmt(f['recall_at_1'])}  "
              f"precision@1 {_fmt(f['precision_at_1'])}")  # fmt: skip
    return total


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records",
        type=int,
        default=1_000_000,
        help="synthetic identities to search among (default %(default)s)",
    )
    parser.add_argument(
        "--per-variant",
        type=int,
        default=2000,
        help="labelled queries per variant, positives and negatives (default %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the synthetic population (default %(default)s)"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=Path("var/matching-quality.json"),
        help="where the figures are written (default %(default)s)",
    )
    parser.add_argument(
        "--through-gateway",
        metavar="TARGET",
        help="ask a running stack's gateway (HOST:PORT) instead, the records seeded into --mock",
    )
    parser.add_argument(
        "--mock",
        default="127.0.0.1:50061",
        help="the SIS mock's MockControl, with --through-gateway (default %(default)s)",
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        default=8,
        help="checks at a time, with --through-gateway (default %(default)s)",
    )
    args = parser.parse_args(argv)

    start = time.perf_counter()
    population = generate(args.records, args.seed)
    baseline = ExactLookup(population)
    twins = Twins(population)
    queries = make_queries(population, args.per_variant, seed=args.seed + 1)
    print(f"{args.records:,} records, {len(queries):,} labelled queries "
          f"(set up in {time.perf_counter() - start:.0f} s)")  # fmt: skip
    print(
        f"{twins.people_with_twin:,} people share surname, given names, date of birth, sex "
        "and nationality with someone else (twins, see module doc)"
    )
    candidates: Callable[[Identity], set[int]] | None = None
    refused = 0
    if args.through_gateway:
        start = time.perf_counter()
        asked = asyncio.run(ask(args.through_gateway, args.mock, population, queries,
                                args.in_flight))  # fmt: skip
        answers, refused = asked.answers, asked.refused
        print(f"through the gateway {args.through_gateway} (SIS at {args.mock}): "
              f"{len(queries) / (time.perf_counter() - start):.0f} checks/s, "
              f"{refused} refused by validation")  # fmt: skip
    else:
        answers, candidates = search_directly(population, queries)
    tallies = evaluate(population, baseline, twins, queries, answers, candidates)
    total = print_report(tallies)
    report = {
        "through_gateway": args.through_gateway,
        "refused": refused,
        "records": args.records,
        "queries": len(queries),
        "people_with_twin": twins.people_with_twin,
        "variants": {v: {**asdict(t), **t.figures()} for v, t in tallies.items()},
        "all": {**asdict(total), **total.figures()},
        "sweep": {str(t): total.figures(t) for t in THRESHOLDS},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
