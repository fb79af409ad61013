"""Badges and muted text are readable: at least 4.5:1 against what they sit on (WCAG AA, normal text)."""

from __future__ import annotations

import re

from central.web.render import WEB_DIR

CSS = (WEB_DIR / "static" / "app.css").read_text(encoding="utf-8")


def _colour(value: str) -> str:
    match = re.fullmatch(r"var\(--([\w-]+)\)", value)
    if match is None:
        return value
    found = re.search(rf"--{match.group(1)}:(#[0-9a-fA-F]{{6}})", CSS)
    assert found, value
    return found.group(1)


def _rule(selector: str) -> dict[str, str]:
    found = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS)
    assert found, selector
    pairs = (part.split(":", 1) for part in found.group(1).split(";") if ":" in part)
    return {k.strip(): _colour(v.strip()) for k, v in pairs}


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_badges_and_muted_text_reach_4_5_to_1() -> None:
    for badge in (".badge.ok", ".badge.off", ".badge.warn", ".badge.bad"):
        rule = _rule(badge)
        assert contrast(rule["color"], rule["background"]) >= 4.5, badge
    muted = _colour("var(--muted)")
    for ground in ("#ffffff", _colour("var(--bg)"), _rule("tr.warn td")["background"]):
        assert contrast(muted, ground) >= 4.5, ground
    assert contrast(_colour("var(--bad)"), _rule("tr.presence-missing td, tr.presence-absent td")["background"]) >= 4.5
