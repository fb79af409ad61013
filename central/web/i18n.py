"""Messages of the dashboard in Chinese (the default) and English, and the language of a request."""

from __future__ import annotations

from collections.abc import Callable

LANG_COOKIE = "gp_lang"
LANGS = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    "app": ("保安员持证上岗考勤", "Guard attendance"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码错误", "Wrong username or password"),
    "board": ("今日在岗", "On duty today"),
    "calendar": ("考勤日历", "Attendance calendar"),
    "attendance": ("考勤明细", "Attendance"),
    "violations": ("违规记录", "Violations"),
    "guards": ("保安员", "Guards"),
    "alerts": ("比中告警", "Wanted-person alerts"),
    "overview": ("违规概览", "Violations overview"),
    "admin": ("系统管理", "Administration"),
    "site": ("场所", "Site"),
    "guard": ("保安员", "Guard"),
    "id_number": ("身份证号", "ID number"),
    "employer": ("所属单位", "Employer"),
    "level": ("等级", "Level"),
    "first_in": ("签到", "First in"),
    "last_out": ("签退", "Last out"),
    "last_tap": ("最后刷卡", "Last tap"),
    "status": ("状态", "Status"),
    "on_duty": ("在岗", "On duty"),
    "off_duty": ("已离岗", "Off duty"),
    "unknown_card": ("未登记卡", "Unregistered card"),
    "taps": ("刷卡", "Taps"),
    "time": ("时间", "Time"),
    "code": ("代码", "Code"),
    "reason": ("原因", "Reason"),
    "basis": ("依据", "Legal basis"),
    "photo": ("照片", "Photo"),
    "view_photo": ("查看照片", "View photo"),
    "no_photo": ("无照片", "No photo"),
    "none_today": ("今日暂无刷卡记录", "No taps today"),
    "none": ("暂无记录", "Nothing yet"),
    "shift": ("班次", "Shift"),
    "late": ("迟到", "Late"),
    "early_leave": ("早退", "Early leave"),
    "absent": ("缺勤", "Absent"),
    "minutes": ("分钟", "min"),
    "late_absent": ("迟到 / 早退 / 缺勤", "Late / early leave / absent"),
    "checkins": ("刷卡记录", "Check-ins"),
    "direction": ("方向", "Direction"),
    "dir_in": ("进", "in"),
    "dir_out": ("出", "out"),
    "face": ("人脸", "Face"),
    "export_csv": ("导出 CSV", "Export CSV"),
    "export_xlsx": ("导出 Excel", "Export XLSX"),
    "export_month": ("导出本月 Excel", "Export month (XLSX)"),
    "date": ("日期", "Date"),
    "month": ("月份", "Month"),
    "show": ("查看", "Show"),
    "prev": ("上月", "Previous"),
    "next": ("下月", "Next"),
    "weekdays": ("一,二,三,四,五,六,日", "Mon,Tue,Wed,Thu,Fri,Sat,Sun"),
    "live": ("实时推送", "Live"),
    "connecting": ("连接中…", "Connecting…"),
    "disconnected": ("连接中断，正在重连", "Disconnected, reconnecting"),
    "checkin_photo": ("现场照片", "Check-in photo"),
    "watchlist_photo": ("在逃人员照片", "Watchlist photo"),
    "no_watchlist_photo": ("无登记照片", "No enrolled photo"),
    "wanted": ("比中人员", "Wanted person"),
    "score": ("相似度", "Score"),
    "matched_by": ("比中方式", "Matched by"),
    "acknowledge": ("确认", "Acknowledge"),
    "dispatch": ("已出警", "Dispatched"),
    "false_positive": ("误报", "False positive"),
    "st_new": ("新告警", "New"),
    "st_acknowledged": ("已确认", "Acknowledged"),
    "st_dispatched": ("已出警", "Dispatched"),
    "st_false_positive": ("误报", "False positive"),
    "history": ("处置记录", "History"),
    "no_alerts": ("暂无比中告警", "No alerts"),
    "count": ("次数", "Count"),
    "last_seen": ("最近一次", "Latest"),
    "from": ("从", "From"),
    "to": ("至", "To"),
    "accounts": ("账号", "Accounts"),
    "role": ("角色", "Role"),
    "tenant": ("所属单位 / 辖区", "Company / jurisdiction"),
    "api_keys": ("API 密钥", "API keys"),
    "audit": ("审计日志（只读）", "Audit log (read only)"),
    "actor": ("操作人", "Actor"),
    "action": ("操作", "Action"),
    "target": ("对象", "Target"),
    "detail": ("详情", "Detail"),
    "revoked": ("已吊销", "Revoked"),
    "forbidden": ("无权访问此页面", "You may not open this page"),
    "not_found": ("未找到，或不属于您的单位", "Not found, or not yours"),
    "search": ("搜索", "Search"),
    "role_admin": ("管理员", "Administrator"),
    "role_police": ("公安", "Police"),
    "role_company": ("保安服务公司", "Security company"),
    "role_firm": ("物业 / 自招单位", "Property firm"),
    "watchlist_editor_later": ("在逃人员名单由名单导入维护", "The watchlist is maintained by the watchlist import"),
    "close": ("关闭", "Close"),
}


def language(cookie: str | None) -> str:
    return cookie if cookie in LANGS else "zh"


def translator(lang: str) -> Callable[[str], str]:
    index = LANGS.index(lang) if lang in LANGS else 0

    def t(key: str) -> str:
        pair = MESSAGES.get(key)
        return pair[index] if pair else key

    return t
