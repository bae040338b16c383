"""Fault tools: faults injected under load (`python -m loadtest.faults`), overload and soak."""
