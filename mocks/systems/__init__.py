"""The search rules and record semantics of each mock system."""

from mocks.engine import Rules
from mocks.systems import ees, etias, eurodac, sis, vis

RULES: dict[str, Rules] = {
    "sis": sis.RULES,
    "vis": vis.RULES,
    "ees": ees.RULES,
    "etias": etias.RULES,
    "eurodac": eurodac.RULES,
}
