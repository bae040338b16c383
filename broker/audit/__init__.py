"""The audit trail of every check: a hash-chained file, verified by `interop audit verify`,
and its copy on the audit topic."""
