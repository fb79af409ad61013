"""Police webhooks set up on the administration page: the secret never shown again, refusals in words,
audited, removed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.access.models import AuditEntry
from central.alerts.webhook_models import PoliceWebhook

SECRET = "wangjing-police-webhook-secret"
JURISDICTION = "110105-WJ"
URL = "https://jingwu.example.cn/guardpost/alerts"


def test_the_administrator_sets_up_a_webhook_on_the_page(admin: tuple[TestClient, str], sqlite_engine: Engine) -> None:
    client, token = admin
    page = client.get("/admin/webhooks")
    assert page.status_code == 200
    assert "报警推送" in page.text

    def save(**form: str) -> str:
        answer = client.post("/admin/webhooks", data={"csrf_token": token, **form})
        return answer.text if answer.status_code == 422 else ""

    assert "推送地址须为 http:// 或 https:// 网址" in save(jurisdiction=JURISDICTION, url="ftp://x", secret=SECRET)
    assert "签名密钥须为16至200个字符" in save(jurisdiction=JURISDICTION, url=URL, secret="short")
    assert "签名密钥须为16至200个字符" in save(jurisdiction=JURISDICTION, url=URL)  # a new one needs it
    assert "辖区代码须为" in save(jurisdiction="望京", url=URL, secret=SECRET)
    assert save(jurisdiction=JURISDICTION, url=URL, secret=SECRET) == ""
    assert save(jurisdiction=JURISDICTION, url=URL + "/v2") == ""  # the secret kept

    shown = client.get("/admin/webhooks").text
    assert f'id="webhook-{JURISDICTION}"' in shown
    assert URL + "/v2" in shown
    assert SECRET not in shown
    with Session(sqlite_engine) as session:
        hook = session.get(PoliceWebhook, JURISDICTION)
        assert hook is not None
        assert hook.secret == SECRET
        assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "webhook.set")).all()) == 2
    removed = client.post(f"/admin/webhooks/{JURISDICTION}/remove", data={"csrf_token": token})
    assert removed.status_code == 200
    assert f'id="webhook-{JURISDICTION}"' not in removed.text
    again = client.post(f"/admin/webhooks/{JURISDICTION}/remove", data={"csrf_token": token})
    assert again.status_code == 404
    assert "无此辖区的推送设置" in again.text
