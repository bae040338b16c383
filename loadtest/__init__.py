"""Load generators, benchmarks and their reports."""
