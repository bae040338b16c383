"""The use cases of the gateway as plain async functions over small ports: a check, a
streamed check, an EES crossing. No gRPC and no bus here; entry points call these."""
