"""The on-duty board for programs: per site, who is expected, on post, missing, late; and its live stream.

``GET /api/board`` pages the sites (``limit``/``offset``, ``count``) and
carries the same rows and statuses as the board page (``central.attendance.board``);
``GET /api/board/stream`` tells an open board of each new check-in its account may read.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from central.api.deps import ScopeDep, SessionDep
from central.api.operations import OptionalDateQuery, today_at
from central.api.paging import PagingDep
from central.attendance.board import Board, BoardRow, Counts, Presence, boards, elsewhere
from central.attendance.rules import AttendanceRow
from central.checkins.live import CheckinHub, checkin_events
from central.errors import found
from central.paging import Paging
from central.registry import queries as registry_queries
from central.registry.models import Site

router = APIRouter(prefix="/api", tags=["attendance"])

StatusFilter = Literal["on_post", "left", "missing", "late", "early", "violation", "unrostered", "on_leave"]


@dataclass(slots=True)
class BoardRowPublic(AttendanceRow):
    """An attendance row as the board shows it (defaults only because a dataclass's base has them)."""

    presence: Presence = Presence.NOT_YET
    codes: list[str] = field(default_factory=list)  # credential problems and the day's violations (rule codes)
    last_event_id: uuid.UUID | None = None
    post_name_zh: str | None = None  # the rostered shift's post (岗位)
    post_name_en: str | None = None


class CountsPublic(BaseModel):
    expected: int  # 应到
    present: int  # 实到
    missing: int  # 未到 (and 缺勤)
    late: int  # 迟到
    violations: int  # 违规: guards with a credential problem or a violation
    on_leave: int = 0  # 请假: rostered, on approved leave (not in expected)


class SiteBoardPublic(BaseModel):
    elsewhere: bool  # not the account's site: its own guards who tapped there today
    site_id: str
    site_name_zh: str
    site_name_en: str
    counts: CountsPublic
    rows: list[BoardRowPublic]


class BoardPage(BaseModel):
    day: date
    counts: CountsPublic
    data: list[SiteBoardPublic]
    count: int  # sites with rows the filter keeps, not only this page's
    quiet_sites: int  # sites with nobody rostered and no tap
    limit: int
    offset: int


def board_of(
    session: SessionDep,
    scope: ScopeDep,
    site_id: str | None,
    status: str | None,
    day: date | None,
    paging: Paging | None = None,
) -> tuple[Board, date]:
    """The board the page and the API show: every visible site, or the one asked for (``paging``: the boards
    of that page of sites in full, the counts over all)."""
    if site_id:
        sites: list[Site] = [found(registry_queries.get_site(session, scope, site_id), "site")]
    else:
        sites = registry_queries.visible_sites(session, scope)
    shown = day or (today_at(sites[0]) if sites else datetime.now(UTC).date())
    away = [] if site_id else elsewhere(session, scope, sites, shown)
    return boards(session, scope, sites, shown, datetime.now(UTC), status, away, paging), shown


def _row(r: BoardRow) -> BoardRowPublic:
    zh, en = r.post or (None, None)
    return BoardRowPublic(
        **asdict(r.row),
        presence=r.presence,
        codes=list(r.codes),
        last_event_id=r.last_event_id,
        post_name_zh=zh,
        post_name_en=en,
    )


def _counts(c: Counts) -> CountsPublic:
    return CountsPublic(
        expected=c.expected, present=c.present, missing=c.missing, late=c.late, violations=c.violations,
        on_leave=c.on_leave,
    )  # fmt: skip


@router.get("/board")
def board(
    session: SessionDep,
    scope: ScopeDep,
    paging: PagingDep,
    site_id: Annotated[str | None, Query(max_length=32)] = None,
    status: StatusFilter | None = None,
    day: OptionalDateQuery = None,
) -> BoardPage:
    """Per site, the day's rostered and tapping guards with where each is now and what is wrong."""
    result, shown = board_of(session, scope, site_id, status, day, paging)
    data = [
        SiteBoardPublic(
            elsewhere=b.elsewhere,
            site_id=b.site.id,
            site_name_zh=b.site.name_zh,
            site_name_en=b.site.name_en,
            counts=_counts(b.counts),
            rows=[_row(r) for r in b.rows],
        )
        for b in result.sites
    ]
    return BoardPage(
        day=shown,
        counts=_counts(result.counts),
        data=data,
        count=result.count,
        quiet_sites=result.quiet,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/board/stream", response_class=StreamingResponse)
async def board_stream(request: Request, scope: ScopeDep) -> StreamingResponse:
    """Server-sent events: a ``checkin`` event (``event_id``, ``site_id``) for each new check-in the account reads.

    The stream ends after a while and the browser reconnects; a board reloads its rows on each (re)connection.
    """
    hub: CheckinHub = request.app.state.checkin_hub
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(checkin_events(hub, scope), media_type="text/event-stream", headers=headers)
