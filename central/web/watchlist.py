"""The watchlist editor page (police, administrator): entries, add / change / remove forms, terminals, push.

The page renders the entries and where each terminal of the jurisdiction
stands; its forms post JSON to ``/api/watchlist`` with ``fetch`` (photos read
in the browser and sent as base64). Opening it shows ID numbers in clear, so
it is a watchlist read and is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from central.access.audit import audit
from central.access.models import Role
from central.api.deps import PageScopeDep, PortraitsDep, SessionDep, SettingsDep
from central.paging import Paging
from central.watchlist import editor as crud_watchlist
from central.web.i18n import LANGS
from central.web.police import forbidden
from central.web.render import lang_of, render

router = APIRouter(include_in_schema=False)
MAX_EDITOR_ROWS = 5000

MESSAGES: dict[str, tuple[str, str]] = {
    "title": ("布控名单", "Watchlist"),
    "intro": (
        "在逃人员名单：登记照片只保存在中心，终端只接收人脸特征值。",
        "Wanted persons: photos stay on central; terminals receive face templates only.",
    ),
    "version": ("当前版本", "Current version"),
    "issued": ("发布时间", "Issued"),
    "entries": ("名单人数", "Entries"),
    "no_list": ("尚无名单", "No list yet"),
    "unversioned": ("尚未生成版本（下发时生成）", "No version yet (made at the first push)"),
    "terminals": ("辖区终端", "Terminals"),
    "terminal": ("终端", "Terminal"),
    "reported": ("终端上报版本", "Reported version"),
    "pushed": ("最近下发版本", "Last pushed"),
    "seen": ("最近在线", "Last seen"),
    "state_current": ("已是最新", "Current"),
    "state_behind": ("落后，可增量更新", "Behind (incremental)"),
    "state_needs_full": ("版本未知，需全量更新", "Unknown version (full update)"),
    "state_unreported": ("未上报", "Not reported"),
    "state_no_list": ("中心尚未生成版本", "No version at central yet"),
    "terminal_says": ("终端自报", "Terminal says"),
    "stale_none": ("名单有效", "List current"),
    "stale_behind": ("名单落后", "List behind"),
    "stale_needs_full": ("需全量更新", "Needs a full update"),
    "stale_too_old": ("名单久未确认", "List not confirmed for too long"),
    "push": ("下发到终端", "Push to terminals"),
    "push_full": ("全量下发", "Full update"),
    "pushing": ("正在下发…", "Pushing…"),
    "pushed_to": ("已下发到终端", "Pushed to terminals"),
    "no_terminals": ("辖区内无终端", "No terminals in the jurisdiction"),
    "add": ("新增人员", "Add a person"),
    "edit": ("修改", "Edit"),
    "editing": ("修改人员", "Edit person"),
    "remove": ("删除", "Remove"),
    "confirm_remove": ("确认从名单中删除", "Remove from the watchlist:"),
    "entry_id": ("编号", "ID"),
    "name_zh": ("姓名", "Name"),
    "name_en": ("英文名", "Name (English)"),
    "notes": ("备注", "Note"),
    "jurisdiction": ("辖区", "Jurisdiction"),
    "templates": ("特征数", "Templates"),
    "photos": ("照片（一张或多张，正面免冠）", "Photos (one or more, frontal)"),
    "photos_keep": ("不选照片则保留原有特征", "No photo chosen: the templates are kept"),
    "save": ("保存", "Save"),
    "cancel": ("取消", "Cancel"),
    "saving": ("正在计算特征并保存…", "Computing templates and saving…"),
    "no_entries": ("名单为空", "The list is empty"),
    "actions": ("操作", "Actions"),
    "failed": ("操作失败", "Failed"),
}


def _translator(lang: str) -> Callable[[str], str]:
    index = LANGS.index(lang) if lang in LANGS else 0
    return lambda key: MESSAGES[key][index] if key in MESSAGES else key


@router.get("/police/watchlist")
def watchlist_page(
    request: Request, session: SessionDep, scope: PageScopeDep, settings: SettingsDep, portraits: PortraitsDep
) -> HTMLResponse:
    """Entries of the jurisdiction with the forms to change them; the terminals and the push button."""
    if not scope.sees_alerts:
        return forbidden(request, scope)
    # The whole list: the editor works on every entry (status.entries says how many there are).
    entries = crud_watchlist.entries(session, scope, portraits, Paging(limit=MAX_EDITOR_ROWS))
    audit(session, scope, "watchlist.list", scope.jurisdiction or "*", f"{entries.count} entries (editor page)")
    lang = lang_of(request)
    w = _translator(lang)
    context = {
        "entries": entries.rows,
        "entries_total": entries.count,
        "status": crud_watchlist.sync_status(session, scope),
        "w": w,
        "is_admin": scope.role is Role.ADMIN,
        "messages": {key: w(key) for key in MESSAGES},
    }
    return render(request, "watchlist.html", scope, context)
