"""Police webhooks set up through the API by the administrator: the secret taken and never answered, refusals
in words, each change audited; nobody else may touch them."""

from __future__ import annotations

from sqlmodel import Session, select

from central.access.models import AuditEntry
from tests.fixtures.tenants import Apps

SECRET = "wangjing-receiver-secret-2026"


def test_the_administrator_sets_up_changes_and_removes_a_webhook(apps: Apps) -> None:
    admin = apps.client("admin")
    made = admin.put("/api/admin/webhooks/110105-WJ", json={"url": "https://jjzx.example.cn/hook", "secret": SECRET})
    assert made.status_code == 200, made.text
    assert made.json()["url"] == "https://jjzx.example.cn/hook"
    assert (made.json()["pending"], made.json()["delivered"]) == (0, 0)
    listed = admin.get("/api/admin/webhooks")
    assert [h["jurisdiction"] for h in listed.json()] == ["110105-WJ"]
    assert SECRET not in listed.text

    moved = admin.put("/api/admin/webhooks/110105-WJ", json={"url": "https://jjzx2.example.cn/hook"})  # keeps it
    assert moved.json()["url"] == "https://jjzx2.example.cn/hook"
    bad = admin.put("/api/admin/webhooks/110105-WJ", json={"url": "ftp://x.example.cn/", "secret": SECRET})
    assert (bad.status_code, bad.json()["code"]) == (422, "webhook.url")
    assert "推送地址须为" in bad.json()["detail"]
    short = admin.put("/api/admin/webhooks/110106-XX", json={"url": "https://x.example.cn/", "secret": "short"})
    assert (short.status_code, short.json()["code"]) == (422, "webhook.secret")

    assert admin.delete("/api/admin/webhooks/110105-WJ").status_code == 204
    assert admin.delete("/api/admin/webhooks/110105-WJ").status_code == 404
    assert admin.get("/api/admin/webhooks").json() == []
    with Session(apps.engine) as session:
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.target == "110105-WJ")).all()
    assert actions == ["webhook.set", "webhook.set", "webhook.remove"]


def test_only_the_administrator_may(apps: Apps) -> None:
    for user in ("police", "pingan", "jinxiu"):
        client = apps.client(user)
        assert client.get("/api/admin/webhooks").status_code == 403
        put = client.put("/api/admin/webhooks/110105-WJ", json={"url": "https://x.example.cn/", "secret": SECRET})
        assert put.status_code == 403
