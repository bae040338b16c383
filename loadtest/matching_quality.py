"""Matching quality: precision and recall per query variant, against a baseline.

    python -m loadtest.matching_quality --records 1000000 --per-variant 2000

A hit is a returned match of class SAME or SIMILAR. For a positive query the hit
on its true record is a true positive and every other hit a false positive; a
near-namesake query (nobody in the population) has only false positives. The
candidate column is the recall of candidate generation alone. The baseline is an
exact lookup on normalised surname + given names + date of birth, or document.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from broker.matching import Identity, IdentityIndex, MatchClass, normalise_name
from broker.matching.normalise import normalise_document
from mocks.population import NEGATIVE, VARIANTS, LabelledQuery, Population, generate
from mocks.population import labelled_queries as make_queries


@dataclass
class Tally:
    """Counts for one variant (or all)."""

    queries: int = 0
    positives: int = 0
    true_positives: int = 0
    false_positives: int = 0
    candidate_hits: int = 0
    baseline_true: int = 0
    baseline_false: int = 0

    def add(self, other: Tally) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    @staticmethod
    def ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    def figures(self) -> dict[str, float | None]:
        hits = self.true_positives + self.false_positives
        baseline_hits = self.baseline_true + self.baseline_false
        return {
            "recall": self.ratio(self.true_positives, self.positives),
            "precision": self.ratio(self.true_positives, hits),
            "candidate_recall": self.ratio(self.candidate_hits, self.positives),
            "baseline_recall": self.ratio(self.baseline_true, self.positives),
            "baseline_precision": self.ratio(self.baseline_true, baseline_hits),
        }


def _key(identity: Identity) -> tuple[str, str, str]:
    given = normalise_name(" ".join(identity.given_names))
    return normalise_name(identity.surname), given, identity.date_of_birth


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
        found = set(self._names.get(_key(query), ()))
        document = normalise_document(query.document_number)
        if document in self._documents:
            found.add(self._documents[document])
        return found


def evaluate(
    index: IdentityIndex, baseline: ExactLookup, queries: Sequence[LabelledQuery]
) -> dict[str, Tally]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for labelled in queries:
        tally = tallies[labelled.variant]
        tally.queries += 1
        hits = {
            m.position
            for m in index.search(labelled.query)
            if m.match_class is not MatchClass.DIFFERENT
        }
        expected = baseline.search(labelled.query)
        truth = labelled.truth
        if truth >= 0:
            tally.positives += 1
            tally.true_positives += truth in hits
            tally.candidate_hits += truth in set(index.candidates(labelled.query).tolist())
            tally.baseline_true += truth in expected
        tally.false_positives += len(hits - {truth})
        tally.baseline_false += len(expected - {truth})
    return tallies


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:.4f}"


def print_report(tallies: dict[str, Tally]) -> Tally:
    total = Tally()
    header = f"{'variant':22} {'queries':>7} {'recall':>7} {'precision':>9} {'false+':>6} "
    header += f"{'cand.rec':>8} | {'base.rec':>8} {'base.prec':>9}"
    print(header)
    print("-" * len(header))
    for variant in (*VARIANTS, NEGATIVE):
        tally = tallies[variant]
        total.add(tally)
        f = tally.figures()
        print(
            f"{variant:22} {tally.queries:7d} {_fmt(f['recall']):>7} {_fmt(f['precision']):>9} "
            f"{tally.false_positives:6d} {_fmt(f['candidate_recall']):>8} | "
            f"{_fmt(f['baseline_recall']):>8} {_fmt(f['baseline_precision']):>9}"
        )
    f = total.figures()
    print("-" * len(header))
    print(
        f"{'all':22} {total.queries:7d} {_fmt(f['recall']):>7} {_fmt(f['precision']):>9} "
        f"{total.false_positives:6d} {_fmt(f['candidate_recall']):>8} | "
        f"{_fmt(f['baseline_recall']):>8} {_fmt(f['baseline_precision']):>9}"
    )
    return total


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--per-variant", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=Path("var/matching-quality.json"))
    args = parser.parse_args(argv)

    start = time.perf_counter()
    population = generate(args.records, args.seed)
    index = IdentityIndex.build(population.columns())
    baseline = ExactLookup(population)
    queries = make_queries(population, args.per_variant, seed=args.seed + 1)
    print(f"{args.records:,} records, {len(queries):,} labelled queries "
          f"(set up in {time.perf_counter() - start:.0f} s)")  # fmt: skip
    tallies = evaluate(index, baseline, queries)
    total = print_report(tallies)
    report = {
        "records": args.records,
        "queries": len(queries),
        "variants": {v: {**asdict(t), **t.figures()} for v, t in tallies.items()},
        "all": {**asdict(total), **total.figures()},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
