"""Identity links between hits from different systems (Multiple Identity Detector rules).

White when the identities are the same, yellow when only similar; green and red are
set by a person after manual verification, never here.
"""

from __future__ import annotations

from collections.abc import Sequence

from interop.v1 import border_check_pb2 as pb


def link_hits(hits: Sequence[pb.Hit]) -> list[pb.IdentityLink]:
    return []
