"""The kernel's clock-synchronised flag, read as adjtimex(2) reports it."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import pytest

from shared.clock_sync import TIME_ERROR, clock_synchronized


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="adjtimex is Linux's")
def test_the_answer_is_the_kernels_clock_state() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    state = libc.adjtimex(ctypes.create_string_buffer(512))

    assert clock_synchronized() is (state != TIME_ERROR)


def test_none_where_the_kernel_cannot_be_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")

    assert clock_synchronized() is None
