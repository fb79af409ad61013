"""MQTT topic names (v1).

Terminal-scoped topics carry no site id: a terminal's identity is its MQTT
username, and the broker ACL confines it to ``guardpost/v1/t/<username>/#``.
"""

from __future__ import annotations

import re

PREFIX = "guardpost/v1"
CENTRAL_SHARE_GROUP = "central"
EVENT_FILTER = f"{PREFIX}/t/+/event"
SHARED_EVENT_FILTER = f"$share/{CENTRAL_SHARE_GROUP}/{EVENT_FILTER}"


def shared_event_filter(group: str = CENTRAL_SHARE_GROUP) -> str:
    """The event filter for central workers of one deployment: each event goes to one member of ``group``."""
    if not group or any(ch in group for ch in "/+#"):
        raise ValueError(f"invalid share group {group!r}")
    return f"$share/{group}/{EVENT_FILTER}"


STATUS_FILTER = f"{PREFIX}/t/+/status"

_TERMINAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TERMINAL_TOPIC = re.compile(rf"^{re.escape(PREFIX)}/t/([^/]+)/([a-z]+)$")


def validate_terminal_id(terminal_id: str) -> str:
    """Return ``terminal_id`` if it is usable as a topic level and MQTT username."""
    if not _TERMINAL_ID.match(terminal_id):
        raise ValueError(f"invalid terminal id {terminal_id!r}: use 1-64 of A-Z a-z 0-9 _ . -")
    return terminal_id


def event_topic(terminal_id: str) -> str:
    return f"{PREFIX}/t/{validate_terminal_id(terminal_id)}/event"


def status_topic(terminal_id: str) -> str:
    return f"{PREFIX}/t/{validate_terminal_id(terminal_id)}/status"


def cmd_topic(terminal_id: str) -> str:
    return f"{PREFIX}/t/{validate_terminal_id(terminal_id)}/cmd"


def receipt_topic(terminal_id: str) -> str:
    return f"{PREFIX}/t/{validate_terminal_id(terminal_id)}/receipt"


def police_alert_topic(jurisdiction: str) -> str:
    return f"{PREFIX}/police/{jurisdiction}/alert"


def police_registry_hit_topic(jurisdiction: str) -> str:
    """Registered guards found on the wanted list by a registry sweep (``RegistryHitAlert``)."""
    return f"{PREFIX}/police/{jurisdiction}/registry_hit"


def split_terminal_topic(topic: str) -> tuple[str, str] | None:
    """``guardpost/v1/t/T1/event`` -> ``("T1", "event")``; None for other topics."""
    match = _TERMINAL_TOPIC.match(topic)
    return (match.group(1), match.group(2)) if match else None
