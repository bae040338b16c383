"""A client of the stack: the load tool (load/), benchmarks, fault tools, and the launcher."""
