"""Fuzzing the gateway's edge and the MRZ parser: a short run in CI (test_fuzz.py), a long
one by `python -m tests.fuzz --examples 100000`."""
