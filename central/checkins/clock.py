"""Check-in times central can trust: the terminal's clock against central's when the event arrived.

An event says when it happened (``occurred_at``, the terminal's clock) and how
long it waited in the terminal's outbox before this copy was sent
(``outbox_age_s``). Their sum is when the terminal sent it by its own clock;
central received it moments later by its clock. A difference beyond the margin
is the terminal's clock being wrong, and the event is stored with a
``CLOCK_SKEW`` violation naming the terminal and the offset, never as a
normal check-in. An event without ``outbox_age_s`` (an older terminal, an
import) is judged only on what no outbox explains: a time in the future, or
one before any terminal of this system could have recorded it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from central.checkins.rules import RuleViolation
from protocol.checkin import CheckinEvent

DEFAULT_MARGIN_S = 300.0  # network, broker queues and ingest backlog stay well within this
EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)  # no terminal of this system recorded anything before
ARTICLE = "考勤真实性（签到时间须可信）"


def clock_offset(event: CheckinEvent, received_at: datetime, margin_s: float = DEFAULT_MARGIN_S) -> float | None:
    """Seconds the terminal's clock is ahead (+) or behind (-) of central's, when beyond the margin; else None."""
    if event.outbox_age_s is not None:
        sent_at = event.occurred_at + timedelta(seconds=event.outbox_age_s)
        offset = (sent_at - received_at).total_seconds()
        return offset if abs(offset) > margin_s else None
    ahead = (event.occurred_at - received_at).total_seconds()
    return ahead if ahead > margin_s or event.occurred_at < EARLIEST else None


def _span(seconds: float) -> tuple[str, str]:
    s = abs(seconds)
    if s < 3600:
        return f"{s:.0f} 秒", f"{s:.0f} s"
    if s < 86400 * 3:
        return f"{s / 3600:.1f} 小时", f"{s / 3600:.1f} h"
    return f"{s / 86400:.0f} 天", f"{s / 86400:.0f} days"


def clock_violation(
    event: CheckinEvent, received_at: datetime, margin_s: float = DEFAULT_MARGIN_S
) -> RuleViolation | None:
    """``CLOCK_SKEW`` with the terminal and the offset in its reason, or None for a time central can trust."""
    offset = clock_offset(event, received_at, margin_s)
    if offset is None:
        return None
    zh, en = _span(offset)
    way_zh, way_en = ("快", "ahead") if offset > 0 else ("慢", "behind")
    return RuleViolation(
        "CLOCK_SKEW",
        f"终端 {event.terminal_id} 时钟{way_zh}约 {zh}，签到时间不可信",
        f"terminal {event.terminal_id} clock is about {en} {way_en}: the check-in time cannot be trusted",
        ARTICLE,
    )
