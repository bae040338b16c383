"""The gRPC entry point of the broker: `interop.v1.BorderCheck` over the service layer."""
