"""Interoperability broker for EU border systems."""
