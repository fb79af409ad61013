"""The police workflow's steps: new -> acknowledged -> dispatched -> closed, or false positive with a note."""

from __future__ import annotations

import pytest

from central.alerts.models import AlertStatus
from central.alerts.workflow import AlertNoteRequired, AlertTransitionError, check_step, next_steps

S = AlertStatus


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (S.NEW, (S.ACKNOWLEDGED, S.FALSE_POSITIVE)),
        (S.ACKNOWLEDGED, (S.DISPATCHED, S.CLOSED, S.FALSE_POSITIVE)),
        (S.DISPATCHED, (S.CLOSED, S.FALSE_POSITIVE)),
        (S.CLOSED, ()),
        (S.FALSE_POSITIVE, ()),
    ],
)
def test_only_forward_steps_are_open(current: AlertStatus, expected: tuple[AlertStatus, ...]) -> None:
    assert next_steps(current) == expected
    for status in AlertStatus:
        if status in expected:
            check_step(current, status, note="说明")
        else:
            with pytest.raises(AlertTransitionError, match=r"^告警当前为「.+」，不能改为「.+」 / the alert is "):
                check_step(current, status, note="说明")


@pytest.mark.parametrize("note", ["", "   ", "\n"])
def test_a_false_positive_needs_a_note(note: str) -> None:
    with pytest.raises(AlertNoteRequired, match="^标记误报须填写说明 / "):
        check_step(S.ACKNOWLEDGED, S.FALSE_POSITIVE, note)
    check_step(S.ACKNOWLEDGED, S.DISPATCHED, note)  # other steps need none
