"""One adapter per system: take a query off the bus, ask the system, put the answer back."""
