"""The load tool (`python -m loadtest run|compare`): open and closed loop, SLOs, reports."""
