"""The border systems, one module each: what the system is to the broker's rules, how its
adapter reads its answers, and how its mock searches and what it holds.

Adding a system is one module like these and one line in REGISTRY.
"""

from systems.ees import EES
from systems.etias import ETIAS
from systems.eurodac import EURODAC
from systems.registry import BorderSystem, Registry
from systems.sis import SIS
from systems.vis import VIS

REGISTRY = Registry([SIS, VIS, EES, ETIAS, EURODAC])

__all__ = ["REGISTRY", "BorderSystem", "Registry"]
