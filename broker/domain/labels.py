"""Enum values as people read them: `OUTCOME_STATUS_NOT_PERMITTED` -> "NOT_PERMITTED"
or "not permitted".

The protos prefix every value with its type's name (buf's style); this is the one place
that strips it, for the terminal, the logs, the scenario runner and category names.
"""

from __future__ import annotations

import re
from typing import Protocol

from google.protobuf.descriptor import EnumDescriptor


class EnumType(Protocol):
    """A generated protobuf enum (`pb.OutcomeStatus`, `systems_pb2.Action`, ...)."""

    DESCRIPTOR: EnumDescriptor


def enum_prefix(descriptor: EnumDescriptor) -> str:
    """`SisAlertCategory` -> `SIS_ALERT_CATEGORY_`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", descriptor.name).upper() + "_"


def short_name(enum: EnumType | EnumDescriptor, value: int) -> str:
    """The value's name without its type prefix (`TIMEOUT`); a number it does not know."""
    descriptor = enum if isinstance(enum, EnumDescriptor) else enum.DESCRIPTOR
    found = descriptor.values_by_number.get(value)
    if found is None:
        return str(value)
    return found.name.removeprefix(enum_prefix(descriptor))


def label(enum: EnumType | EnumDescriptor, value: int) -> str:
    """The value as words: `OUTCOME_STATUS_NOT_PERMITTED` -> "not permitted"."""
    return short_name(enum, value).replace("_", " ").lower()
