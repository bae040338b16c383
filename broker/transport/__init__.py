"""How the broker's parts talk: the bus and its two implementations, topics, the wire
format, sealed envelopes, TLS, gRPC server plumbing and the bus-backed dispatcher."""
