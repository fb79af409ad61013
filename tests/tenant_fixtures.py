"""Accounts and a second property firm for the access-control tests.

The demo registry has one security company (C1, serving S2 and S3) and one
self-recruiting property firm (C2, managing S1). ``add_second_firm`` adds
another firm (C-T2) with its own site and guard, so that firm-against-firm
isolation is tested as well as firm-against-company.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.access import auth
from central.access.models import Account, AccountCreate, Role
from central.app import create_app
from central.config import AccessSettings, CentralSettings, RetentionSettings
from central.registry.models import Card, Company, CompanyKind, Guard, Site, SiteKind, Terminal

SECOND_FIRM, SECOND_SITE, SECOND_GUARD, SECOND_CARD = "C-T2", "S-T2", "G-T2", "7E57CA4D"
SECOND_TERMINAL = "T-S-T2-GATE"
PASSWORDS = {"admin": "admin-demo", "police": "police-demo", "pingan": "pingan-demo", "jinxiu": "jinxiu-demo"}
SECOND_USER, SECOND_PASSWORD = "firm2", "second-firm-password"
OTHER_POLICE, OTHER_POLICE_PASSWORD = "police-other", "other-police-password"


def add_second_firm(engine: Engine) -> None:
    """Another property firm with its own site, guard, card and terminal, and its account (idempotent)."""
    with Session(engine) as session:
        if session.get(Company, SECOND_FIRM) is not None:
            return
        session.add(Company(id=SECOND_FIRM, name_zh="第二物业", kind=CompanyKind.SELF_RECRUITING, region="110105"))
        session.flush()
        session.add(
            Site(
                id=SECOND_SITE,
                name_zh="第二小区",
                kind=SiteKind.RESIDENTIAL,
                region="110105",
                jurisdiction="110106-XX",
                managed_by=SECOND_FIRM,
            )
        )
        session.flush()
        session.add(Guard(id=SECOND_GUARD, name_zh="周敏", id_number="110106199001011234", employer_id=SECOND_FIRM))
        session.add(Terminal(id=SECOND_TERMINAL, site_id=SECOND_SITE, post_name_zh="大门"))
        session.flush()
        session.add(Card(uid=SECOND_CARD, kind="mifare", guard_id=SECOND_GUARD))
        session.commit()
        auth.create_account(
            session,
            AccountCreate(username=SECOND_USER, password=SECOND_PASSWORD, role=Role.FIRM, company_id=SECOND_FIRM),
        )
        auth.create_account(
            session,
            AccountCreate(
                username=OTHER_POLICE, password=OTHER_POLICE_PASSWORD, role=Role.POLICE, jurisdiction="110106-XX"
            ),
        )


def credentials(username: str) -> tuple[str, str]:
    extra = {SECOND_USER: SECOND_PASSWORD, OTHER_POLICE: OTHER_POLICE_PASSWORD}
    return username, (PASSWORDS | extra)[username]


def demo_settings(data_dir: Path, **overrides: object) -> CentralSettings:
    """Central in demo mode (the demo accounts log in), no scheduled purge, no ingest client id clash."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "client_id": "central-tenant-test",
        "access": AccessSettings(demo=True),
        "retention": RetentionSettings(purge_enabled=False),
    }
    return CentralSettings(**(values | overrides))  # type: ignore[arg-type]


@dataclass
class Apps:
    """One app on the seeded database; ``client(user)`` is a client logged in as ``user``."""

    engine: Engine
    data_dir: Path
    clients: dict[str, TestClient]

    def client(self, username: str) -> TestClient:
        return self.clients[username]


USERS = (*PASSWORDS, SECOND_USER, OTHER_POLICE)
# API keys per database and user: logging in hashes a password (slow by design), a key is one SHA-256.
_keys: dict[str, dict[str, str]] = {}


def keys_for(engine: Engine) -> dict[str, str]:
    """An API key for each test account on ``engine``'s database, made once per test session."""
    url = str(engine.url)
    if url not in _keys:
        with Session(engine) as session:
            auth.seed_demo_access(session)
            _keys[url] = {user: auth.create_api_key(session, account(engine, user), "tests")[1] for user in USERS}
    return _keys[url]


@pytest.fixture(name="apps")
def apps_fixture(engine: Engine, tmp_path: Path) -> Iterator[Apps]:
    """The app in demo mode on the seeded database, and a client per account (by API key)."""
    add_second_firm(engine)
    keys = keys_for(engine)
    app = create_app(demo_settings(tmp_path), engine=engine, run_ingest=False)
    clients = {user: TestClient(app, headers={auth.API_KEY_HEADER: keys[user]}) for user in USERS}
    with clients["admin"]:
        yield Apps(engine, tmp_path, clients)


def account(engine: Engine, username: str) -> Account:
    with Session(engine) as session:
        return session.exec(select(Account).where(Account.username == username)).one()
