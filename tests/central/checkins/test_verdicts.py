"""The terminal's verdict against central's: agreement, and each way they can differ."""

from __future__ import annotations

import pytest

from central.checkins.verdicts import difference
from protocol.checkin import Outcome, TerminalDecision
from tests.fixtures.central import make_event


def told(outcome: Outcome, code: str) -> TerminalDecision:
    return TerminalDecision(outcome=outcome, code=code, message_zh="…", message_en="…")


@pytest.mark.parametrize(
    ("outcome", "code", "central", "expected"),
    [
        (Outcome.ACCEPTED, "OK", [], None),
        (Outcome.REFUSED, "CERT_REVOKED", ["CERT_REVOKED"], None),
        (Outcome.REFUSED, "NOT_ROSTERED", ["SELF_RECRUITED_OUT_OF_AREA"], None),
        (Outcome.REFUSED, "NOT_ROSTERED", ["CARD_UNKNOWN"], None),
        (
            Outcome.SEE_SUPERVISOR,
            "FACE_MISMATCH",
            ["FACE_MISMATCH"],
            None,
        ),  # not a standing rule: no verdict to compare
        (Outcome.ACCEPTED, "OK", ["CERT_REVOKED"], "terminal_allowed_central_refused"),  # a stale or missing roster
        (Outcome.REFUSED, "CERT_REVOKED", [], "terminal_refused_central_allowed"),  # restored since the roster
        (Outcome.REFUSED, "NOT_ROSTERED", ["NO_FACE"], "terminal_refused_central_allowed"),
        (Outcome.REFUSED, "CERT_MISSING", ["CERT_REVOKED"], "other_reason"),
    ],
)
def test_verdicts_are_compared(outcome: Outcome, code: str, central: list[str], expected: str | None) -> None:
    event = make_event().model_copy(update={"decision": told(outcome, code)})
    assert difference(event, central) == expected
