"""Faults under load: how checks are judged, and the fault runs themselves."""
