"""Adapters: take a system's queries off the bus, ask the system through its port, put the
answers back. One runtime for every system; what differs is the system's client."""
