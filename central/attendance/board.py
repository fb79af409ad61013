"""The on-duty board: per site, who is expected today, who is on post, who is missing, late, gone, or not in order.

One source of truth with the attendance page: the rows are ``day_report``'s
(the roster's duties and the unrostered taps, the same folding and matching);
the board adds where each guard is now (``Presence``, from the row and the
clock) and the credential problems: the rules the guard breaks by standing at
the site that day (certificate, bars, contracts...) and those the day's taps broke.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, func, select

from central.access.scope import Scope
from central.attendance.models import OnDutyRow
from central.attendance.queries import attendance_employer, on_duty_at
from central.attendance.report import day_report
from central.attendance.rules import AttendanceRow
from central.checkins.models import Checkin
from central.checkins.queries import codes_seen
from central.checkins.rules import RULES, evaluate_standing
from central.paging import Paging
from central.registry.faces import GuardPortrait
from central.registry.local_time import local_day_bounds
from central.registry.models import Site, Terminal
from central.registry.roster import Post, Shift
from central.registry.snapshot import DEFAULT_ZONE, terminals_snapshots


class Presence(StrEnum):
    ON_POST = "on_post"  # 在岗: the latest own tap is in
    LEFT = "left"  # 已离岗: the latest own tap is out
    NOT_YET = "not_yet"  # 待到岗: rostered, the shift (and its grace) has not begun
    MISSING = "missing"  # 未到: rostered, past the start and its grace, not there
    ABSENT = "absent"  # 缺勤: rostered, the shift is over, never came
    ON_LEAVE = "on_leave"  # 请假: rostered, excused by an approved leave, not come


# The status filter: each choice and the rows it keeps.
FILTERS = ("on_post", "left", "missing", "late", "early", "violation", "unrostered", "on_leave")

_RULE_ORDER = {rule.code: n for n, rule in enumerate(RULES)}


def presence(row: AttendanceRow, now: datetime) -> Presence:
    """Where the guard of ``row`` is at ``now``: by the own taps, else by the clock against the shift."""
    if row.last_in is not None and (row.last_out is None or row.last_in > row.last_out):
        return Presence.ON_POST
    if row.last_out is not None:
        return Presence.LEFT
    if row.first_in is not None:  # unrostered rows without a separate last in
        return Presence.ON_POST
    if row.on_leave:
        return Presence.ON_LEAVE
    if row.shift_end is not None and now >= row.shift_end:
        return Presence.ABSENT
    if row.due_by is not None and now >= row.due_by:
        return Presence.MISSING
    return Presence.NOT_YET


@dataclass(frozen=True, slots=True)
class BoardRow:
    row: AttendanceRow
    presence: Presence
    codes: tuple[str, ...]  # credential problems and the day's violations, in the rules' order
    last_event_id: uuid.UUID | None  # the latest tap: its photo is the thumbnail
    has_portrait: bool = False  # a registered portrait to show beside it
    post: tuple[str, str] | None = None  # the post (岗位) of the rostered shift, Chinese and English

    @property
    def rostered(self) -> bool:
        return self.row.shift_id is not None

    def matches(self, status: str | None) -> bool:
        checks = {
            "on_post": self.presence is Presence.ON_POST,
            "left": self.presence is Presence.LEFT,
            "missing": self.presence in (Presence.MISSING, Presence.ABSENT),
            "late": self.row.late,
            "early": self.row.early_leave,
            "violation": bool(self.codes),
            "unrostered": not self.rostered,
            "on_leave": self.presence is Presence.ON_LEAVE,
        }
        return checks.get(status or "", True)


@dataclass
class Counts:
    """The board's header: 应到 / 实到 / 未到 / 迟到 / 违规; a guard on approved leave is not expected (请假)."""

    expected: int = 0
    present: int = 0
    missing: int = 0
    late: int = 0
    violations: int = 0
    on_leave: int = 0

    def add(self, rows: Iterable[BoardRow]) -> None:
        for r in rows:
            self.on_leave += r.presence is Presence.ON_LEAVE
            self.expected += r.rostered and r.presence is not Presence.ON_LEAVE
            self.present += r.rostered and r.presence in (Presence.ON_POST, Presence.LEFT)
            self.missing += r.presence in (Presence.MISSING, Presence.ABSENT)
            self.late += r.row.late
            self.violations += bool(r.codes)


@dataclass
class SiteBoard:
    site: Site
    rows: list[BoardRow]
    counts: Counts = field(default_factory=Counts)
    elsewhere: bool = False  # a site the reader does not see, where its own guards tapped today


_ORDER = {Presence.MISSING: 0, Presence.ABSENT: 1, Presence.ON_POST: 2, Presence.NOT_YET: 3, Presence.LEFT: 4,
          Presence.ON_LEAVE: 5}  # fmt: skip


def _rows(session: Session, scope: Scope, sites: Sequence[Site], day: date) -> dict[str, list[AttendanceRow]]:
    """Each site's attendance rows as ``scope`` sees them: one report per employer filter for all the sites."""
    by_filter: dict[str | None, list[str]] = defaultdict(list)
    for site in sites:
        by_filter[attendance_employer(scope, site)].append(site.id)
    rows: dict[str, list[AttendanceRow]] = defaultdict(list)
    for employer, site_ids in by_filter.items():
        for row in day_report(session, site_ids, day, employer):
            rows[row.site_id or ""].append(row)
    return rows


_Broke = dict[tuple[str, str | None], set[str]]  # (site id, guard id) -> the rules the day's taps broke


def _codes_seen(session: Session, scope: Scope, sites: Sequence[Site], day: date) -> _Broke:
    """Per site and guard, the rules the day's taps there broke (as ``on_duty_at`` gathers them), read alone:
    the taps that broke none are not loaded."""
    bounds = {site.id: local_day_bounds(day, site.timezone) for site in sites}
    if not bounds:
        return {}
    start, end = min(b[0] for b in bounds.values()), max(b[1] for b in bounds.values())
    found: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for site_id, guard_id, at, code in codes_seen(session, scope, site_ids=list(bounds), start=start, end=end):
        local = bounds.get(site_id or "")
        if local is not None and local[0] <= at < local[1]:
            found[(site_id or "", guard_id)].add(code)
    return found


def _ordered(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(codes, key=lambda c: _RULE_ORDER.get(c, len(_RULE_ORDER))))


def _light_rows(
    site_id: str,
    rows: list[AttendanceRow],
    now: datetime,
    standing: dict[str, list[str]],
    broke: _Broke,
) -> list[BoardRow]:
    """A site's rows with their presence and problems, without the thumbnails, portraits and posts: enough for
    the counts and the status filter (the same presence and codes as the full rows)."""
    return [
        BoardRow(row, presence(row, now), _ordered(set(standing.get(row.guard_id or "", ())) |
                                                   broke.get((site_id, row.guard_id), set())), None)
        for row in rows
    ]  # fmt: skip


def _site_boards(
    session: Session,
    scope: Scope,
    sites: Sequence[Site],
    day: date,
    now: datetime,
    rows: dict[str, list[AttendanceRow]],
    standing: dict[str, dict[str, list[str]]],
) -> list[SiteBoard]:
    """The full boards of ``sites`` (missing and absent first, then on post): their taps, thumbnails,
    portraits and posts read for these sites only."""
    if not sites:
        return []
    seen = on_duty_at(session, scope, sites, day)
    guard_ids = {r.guard_id for site in sites for r in rows[site.id] if r.guard_id}
    portraits = set(session.exec(select(GuardPortrait.guard_id).where(col(GuardPortrait.guard_id).in_(guard_ids))))
    posts = _posts(session, [site.id for site in sites])
    return [
        _site_board(site, now, rows[site.id], seen.get(site.id, []), _Extras(portraits, posts, standing[site.id]))
        for site in sites
    ]


@dataclass(frozen=True, slots=True)
class _Extras:
    portraits: set[str]  # guards with a registered portrait
    posts: dict[int, tuple[str, str]]  # shift id -> its post's names
    standing: dict[str, list[str]]  # guard id -> the rules the guard breaks by being on duty at the site


def _posts(session: Session, site_ids: Sequence[str]) -> dict[int, tuple[str, str]]:
    query = (
        select(Shift.id, Post.name_zh, Post.name_en)
        .join(Post, col(Post.id) == col(Shift.post_id))
        .where(col(Shift.site_id).in_(site_ids))
    )
    return {shift_id: (zh, en) for shift_id, zh, en in session.exec(query).all() if shift_id is not None}


def _site_board(
    site: Site, now: datetime, rows: list[AttendanceRow], seen_rows: list[OnDutyRow], extras: _Extras
) -> SiteBoard:
    seen = {r.guard_id: r for r in seen_rows}
    standing = extras.standing
    board = []
    for row in rows:
        tapped = seen.get(row.guard_id)
        codes = set(standing.get(row.guard_id or "", ())) | set(tapped.codes if tapped else ())
        ordered = _ordered(codes)
        event_id = tapped.last_event_id if tapped else None
        post = extras.posts.get(row.shift_id) if row.shift_id is not None else None
        board.append(BoardRow(row, presence(row, now), ordered, event_id, row.guard_id in extras.portraits, post))
    board.sort(key=lambda r: (_ORDER[r.presence], not r.codes, r.row.guard_name_zh or "~"))
    counts = Counts()
    counts.add(board)
    return SiteBoard(site, board, counts)


# A guard's standing (certificate, bars, contracts) changes a few times a year, the board is read after every
# tap: the verdicts are kept this long per database, site, day and guards (a change shows within it).
STANDING_TTL_S = 60.0
_StandingKey = tuple[str, str, date, frozenset[str]]
_standing_cache: dict[_StandingKey, tuple[float, dict[str, list[str]]]] = {}


def _standings(session: Session, guards: dict[str, list[str]], day: date) -> dict[str, dict[str, list[str]]]:
    """Per site id, the rules each of its guards breaks by being on duty there on ``day`` (as a terminal there
    judges): the verdicts kept, and the others read for all the sites at once."""
    url, now = str(session.get_bind().engine.url), time.monotonic()
    found: dict[str, dict[str, list[str]]] = {}
    missing: dict[str, _StandingKey] = {}
    for site_id, guard_ids in guards.items():
        key = (url, site_id, day, frozenset(guard_ids))
        kept = _standing_cache.get(key)
        if not guard_ids:
            found[site_id] = {}
        elif kept is not None and now - kept[0] < STANDING_TTL_S:
            found[site_id] = kept[1]
        else:
            missing[site_id] = key
    first = (
        select(Terminal.site_id, func.min(Terminal.id))
        .where(col(Terminal.site_id).in_(missing))
        .group_by(Terminal.site_id)
    )
    terminals = dict(session.exec(first).all()) if missing else {}
    snapshots = terminals_snapshots(session, {terminals[s]: sorted(missing[s][3]) for s in terminals}, day)
    for site_id, key in missing.items():
        judged = snapshots.get(terminals.get(site_id, ""), {})
        verdicts = {guard_id: [v.code for v in evaluate_standing(s)] for guard_id, s in judged.items()}
        if len(_standing_cache) > 10_000:  # sites x days in use: old entries go
            _standing_cache.clear()
        _standing_cache[key] = (now, verdicts)
        found[site_id] = verdicts
    return found


@dataclass
class Board:
    """The boards of the sites asked for, filtered (the page's, when paged); the counts over all of them
    (before the status filter)."""

    sites: list[SiteBoard]
    counts: Counts
    quiet: int  # sites with nobody rostered and no tap: counted, not drawn
    count: int = 0  # sites with rows the filter keeps, not only this page's


def elsewhere(session: Session, scope: Scope, sites: Sequence[Site], day: date) -> list[Site]:
    """Sites outside ``sites`` where the reader's own guards tapped on ``day`` (a company's or firm's guard
    out of its area): the board shows them too, with those guards only (the reader reads their taps there)."""
    if scope.company_id is None:
        return []
    start, end = local_day_bounds(day, DEFAULT_ZONE)
    padded = (start - timedelta(hours=12), end + timedelta(hours=12))  # any site's zone; each is cut to its day
    query = (
        select(Checkin.site_id)
        .where(
            col(Checkin.employer_id) == scope.company_id,
            col(Checkin.occurred_at) >= padded[0],
            col(Checkin.occurred_at) < padded[1],
            col(Checkin.site_id).is_not(None),
            col(Checkin.site_id).not_in([s.id for s in sites]),
        )
        .distinct()
    )
    ids = [site_id for site_id in session.exec(query).all() if site_id]
    return list(session.exec(select(Site).where(col(Site.id).in_(ids)).order_by(col(Site.id))).all()) if ids else []


def boards(
    session: Session,
    scope: Scope,
    sites: Sequence[Site],
    day: date,
    now: datetime,
    status: str | None = None,
    away: Sequence[Site] = (),
    paging: Paging | None = None,
) -> Board:
    """Each site's board with the rows ``status`` keeps (sites left with none are dropped); then the ``away``
    sites (see ``elsewhere``). ``paging``: only the boards of that page of those sites are built in full
    (taps, thumbnails, portraits, posts); the counts and the number of sites are over all of them."""
    everything = [*sites, *away]
    outside = {site.id for site in away}
    rows = _rows(session, scope, everything, day)
    standing = _standings(session, {s.id: [r.guard_id for r in rows[s.id] if r.guard_id] for s in everything}, day)
    broke = _codes_seen(session, scope, everything, day)
    counts, quiet = Counts(), 0
    listed: list[Site] = []
    for site in everything:
        light = _light_rows(site.id, rows[site.id], now, standing[site.id], broke)
        counts.add(light)
        if not light:
            quiet += site.id not in outside
        elif any(r.matches(status) for r in light):
            listed.append(site)
    page = (paging or Paging(limit=max(1, len(listed)))).slice(listed)
    shown = []
    for board in _site_boards(session, scope, page.rows, day, now, rows, standing):
        kept = [r for r in board.rows if r.matches(status)]
        shown.append(SiteBoard(board.site, kept, board.counts, elsewhere=board.site.id in outside))
    return Board(shown, counts, quiet, page.count)
