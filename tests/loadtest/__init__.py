"""Tests of the load generator: pure units, and runs against a stack started as a user would."""
