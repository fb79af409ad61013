"""The terminals page: each terminal of the sites a user may see, what is wrong with it, and the clock.

Administrators see every terminal; a security company or property firm the
terminals of its own sites (the scope of ``GET /api/terminals``). Flagged
terminals come first; the page reloads itself every 30 seconds.
"""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from central.api.deps import PageScopeDep, SessionDep, SettingsDep
from central.api.terminals import CLOCK_OFF_AFTER_S, TerminalState, list_terminal_health
from central.registry.queries import visible_sites
from central.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/terminals")
def terminals_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    settings: SettingsDep,
    state: TerminalState | None = None,
) -> HTMLResponse:
    health = list_terminal_health(session, scope, settings.terminal_silent_after_s)
    counts = Counter(h.state for h in health)
    sites = {site.id: site for site in visible_sites(session, scope)}
    context = {
        "rows": [h for h in health if state is None or h.state == state],
        "total": len(health),
        "counts": counts,
        "flagged": sum(h.flagged for h in health),
        "state": state,
        "sites": sites,
        "clock_limit_s": CLOCK_OFF_AFTER_S,
    }
    return render(request, "terminals.html", scope, context)
