"""The composition root: wires the gateway, the adapters and the mocks of the systems in
the registry (`interop up`, `interop serve ...`), and the `interop` command line."""
