"""What the demo prints after its shift, read back from central's API and the police feed.

The demo checks its own outcome too: each tap must have produced exactly the
violations and alerts the script expects, or the demo exits non-zero.
"""

from __future__ import annotations

import json
import urllib.request
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bench.table import format_table
from central.access.auth import API_KEY_HEADER, DEMO_API_KEY
from edge.checkin import CheckinResult
from guardpost.demo_script import Tap
from protocol.messages import PoliceAlert

SITE_ZONE = ZoneInfo("Asia/Shanghai")
DEMO_SITE = "S2"


def get_json(url: str) -> Any:
    # Loopback URL of the demo's own API, read with the demo administrator's key (valid in demo mode only).
    request = urllib.request.Request(url, headers={API_KEY_HEADER: DEMO_API_KEY})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.load(response)


def get_all(url: str) -> list[dict[str, Any]]:
    """Every row of a paged list endpoint (``{data, count}``), page after page."""
    rows: list[dict[str, Any]] = []
    separator = "&" if "?" in url else "?"
    while True:
        page = get_json(f"{url}{separator}limit=1000&offset={len(rows)}")
        rows.extend(page["data"])
        if not page["data"] or len(rows) >= page["count"]:
            return rows


def local_time(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(SITE_ZONE).strftime("%H:%M:%S")


def verify_outcomes(api_url: str, played: Sequence[tuple[Tap, CheckinResult]]) -> list[dict[str, object]]:
    """One row per tap whose stored result differs from the script; empty when all is as expected."""
    violations: dict[str, set[str]] = defaultdict(set)
    for row in get_all(f"{api_url}/api/violations"):
        violations[row["event_id"]].add(row["code"])
    alerted = {row["alert_id"] for row in get_all(f"{api_url}/api/alerts")}
    problems: list[dict[str, object]] = []
    for tap, result in played:
        if result.event is None:
            problems.append({"tap": tap.en, "expected": "recorded", "got": result.feedback.code})
            continue
        if result.feedback.code != tap.shows:
            problems.append({"tap": tap.en, "expected": f"terminal: {tap.shows}", "got": result.feedback.code})
        event_id = str(result.event.event_id)
        got = violations.get(event_id, set())
        if got != tap.expect_violations:
            problems.append({"tap": tap.en, "expected": sorted(tap.expect_violations), "got": sorted(got)})
        if (event_id in alerted) != tap.expect_alert:
            problems.append({"tap": tap.en, "expected": f"alert={tap.expect_alert}", "got": event_id in alerted})
    return problems


def attendance_today(api_url: str) -> list[dict[str, Any]]:
    """Central's attendance rows for the demo site on today's date in the site's zone."""
    today = datetime.now(SITE_ZONE).date().isoformat()
    return get_all(f"{api_url}/api/attendance?date={today}&site_id={DEMO_SITE}")


def attendance_rows(api_url: str) -> list[dict[str, object]]:
    return [
        {
            "保安员 guard": f"{r['guard_name_zh']} {r['guard_name_en']}" if r["guard_id"] else "未登记卡 unknown card",
            "签到 first in": local_time(r["first_in"]),
            "签退 last out": local_time(r["last_out"]),
            "刷卡 taps": r["taps"],
            "违规 violations": r["violations"],
        }
        for r in attendance_today(api_url)
    ]


def violation_rows(api_url: str) -> list[dict[str, object]]:
    rows = get_all(f"{api_url}/api/violations")
    return [
        {
            "时间 time": local_time(r["occurred_at"]),
            "保安员 guard": r["guard_name_zh"] or "—",
            "代码 code": r["code"],
            "原因 reason": f"{r['reason_zh']} / {r['reason_en']}",
            "依据 basis": r["article"],
        }
        for r in sorted(rows, key=lambda r: r["occurred_at"])
    ]


def alert_rows(alerts: Sequence[PoliceAlert]) -> list[dict[str, object]]:
    return [
        {
            "时间 time": a.occurred_at.astimezone(SITE_ZONE).strftime("%H:%M:%S"),
            "地点 site": a.site_name,
            "比中人员 wanted": f"{a.watchlist_name} ({a.watchlist_entry_id})",
            "相似度 score": round(a.score, 3),
            "方式 by": "人脸 face" if a.matched_by == "face" else "身份证号 ID number",
            "照片 photo": a.photo_url,
        }
        for a in alerts
    ]


def print_report(api_url: str, alerts: Sequence[PoliceAlert]) -> None:
    today = datetime.now(SITE_ZONE).date().isoformat()
    print(f"\n== 考勤 / Attendance — 星光大厦 Xingguang Tower, {today} ==")
    print(format_table(attendance_rows(api_url)))
    print("\n== 违规 / Violations (保安服务管理条例) ==")
    print(format_table(violation_rows(api_url)))
    print("\n== 公安告警 / Police alerts (MQTT 推送 / pushed over MQTT) ==")
    print(format_table(alert_rows(alerts)))
