"""The broker's rules as plain Python: validation, MRZ, countries, names, profiles and
routing, answers, merge, links, audit records. No I/O, no gRPC server, no bus."""
