"""The fixed demo registry: two employers, three sites in 望京, six guards, one wanted person.

The demo and its integration test rely on these ids and card uids. Seeding is
idempotent (rows are upserted by natural key), so it may run on every start.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlmodel import Session, SQLModel, select

from central.registry.cards import issue_to
from central.registry.credentials import Certificate, CompanyCredential, CredentialKind
from central.registry.models import Company, CompanyKind, Guard, ServiceContract, Site, SiteKind, Terminal
from central.registry.roster import Post, Shift
from central.registry.upsert import upsert
from central.watchlist.models import WatchlistEntry
from protocol.cards import CardTech

JURISDICTION = "110105-WJ"  # 望京派出所
REGION = "110105"  # 北京市朝阳区

COMPANIES = [
    Company(
        id="C1",
        name_zh="平安卫士保安服务有限公司",
        name_en="Ping'an Guard Security Services Co., Ltd.",
        kind=CompanyKind.SECURITY_COMPANY,
        region=REGION,
    ),
    Company(
        id="C2",
        name_zh="锦绣物业管理有限公司",
        name_en="Jinxiu Property Management Co., Ltd.",
        kind=CompanyKind.SELF_RECRUITING,
        region=REGION,
    ),
]

CREDENTIALS = [
    CompanyCredential(
        company_id="C1", kind=CredentialKind.LICENCE, number="京公保服字2019001号", valid_from=date(2019, 3, 1)
    ),
    CompanyCredential(
        company_id="C2", kind=CredentialKind.FILING, number="京公保备2021017号", valid_from=date(2021, 6, 1)
    ),
]

SITES = [
    Site(
        id="S1",
        name_zh="锦绣花园小区",
        name_en="Jinxiu Garden residential compound",
        kind=SiteKind.RESIDENTIAL,
        region=REGION,
        jurisdiction=JURISDICTION,
        managed_by="C2",
    ),
    Site(
        id="S2",
        name_zh="星光大厦",
        name_en="Xingguang Tower",
        kind=SiteKind.OFFICE,
        region=REGION,
        jurisdiction=JURISDICTION,
        check_policy="either",  # card + face, or card + fingerprint when the face does not confirm the holder
    ),
    Site(
        id="S3",
        name_zh="金色年华KTV",
        name_en="Golden Years KTV",
        kind=SiteKind.ENTERTAINMENT,
        region=REGION,
        jurisdiction=JURISDICTION,
    ),
]

CONTRACTS = [
    ServiceContract(
        company_id="C1",
        site_id="S2",
        valid_from=date(2026, 1, 1),
        valid_to=date(2027, 12, 31),
        contract_number="PA-2026-S2",
    ),
    ServiceContract(
        company_id="C1",
        site_id="S3",
        valid_from=date(2026, 1, 1),
        valid_to=date(2027, 12, 31),
        contract_number="PA-2026-S3",
    ),
]

POSTS = [Post(id="P-S2-EAST", site_id="S2", name_zh="东门岗", name_en="east gate")]

TERMINALS = [
    Terminal(id="T-S2-GATE", site_id="S2", post_id="P-S2-EAST", post_name_zh="东门岗", post_name_en="east gate")
]

# (id, name_zh, name_en, employer, card uid, ID number)
_GUARDS = [
    ("G1", "张伟", "Zhang Wei", "C1", "DEADBEEF", "110105198503120012"),
    ("G2", "李娜", "Li Na", "C1", "04A1B2C3", "11010519900728002X"),
    ("G3", "王强", "Wang Qiang", "C1", "04C3D4E5", "130102198804050032"),
    ("G4", "刘洋", "Liu Yang", "C1", "04E5F607", "370203199209170049"),
    ("G5", "陈静", "Chen Jing", "C2", "11223344", "110105198702140024"),
    ("G6", "赵磊", "Zhao Lei", "C1", "55667788", "410105198306110035"),
]

GUARDS = [
    Guard(id=gid, name_zh=zh, name_en=en, id_number=id_number, employer_id=employer)
    for gid, zh, en, employer, _uid, id_number in _GUARDS
]

# (guard, card number as the PN532 reads it): IC cards (ISO 14443A)
CARDS = [(gid, uid) for gid, *_rest, uid, _idn in _GUARDS]

# G4 (刘洋) holds none; G3's (王强) was revoked before the demo's days.
CERTIFICATES = [
    Certificate(number="京保证2020012345", guard_id="G1", issued_on=date(2020, 4, 8)),
    Certificate(number="京保证2020012346", guard_id="G2", issued_on=date(2020, 4, 8)),
    Certificate(
        number="京保证2019008812",
        guard_id="G3",
        issued_on=date(2019, 9, 2),
        revoked_on=date(2025, 11, 20),
        revoke_reason="违反条例 第45条被吊销 / revoked under article 45",
    ),
    Certificate(number="京保证2021004521", guard_id="G5", issued_on=date(2021, 7, 15)),
    Certificate(number="京保证2020019876", guard_id="G6", issued_on=date(2020, 10, 30)),
]

WATCHLIST = [
    WatchlistEntry(
        id="W-0001",
        name_zh="孙立军",
        name_en="Sun Lijun",
        id_number="23010319780615341X",
        jurisdiction=JURISDICTION,
        notes="网上逃犯；可能冒用他人身份从事保安工作 / fugitive, may work under a borrowed identity",
    )
]

SHIFTS = [Shift(site_id="S2", name_zh="白班", name_en="day shift", starts=time(8), ends=time(20))]


def seed_demo_registry(session: Session) -> None:
    """Create (or restore) the demo registry and commit."""
    # Parents before children so that foreign keys hold at every flush.
    groups: list[list[SQLModel]] = [
        list(COMPANIES),
        list(CREDENTIALS),
        list(SITES),
        list(CONTRACTS),
        list(POSTS),
        list(TERMINALS),
        list(GUARDS),
        list(CERTIFICATES),
        list(SHIFTS),
    ]
    for group in groups:
        for row in group:
            upsert(session, type(row), row.model_dump(exclude_unset=True))
    for guard_id, card in CARDS:
        issue_to(session, card, CardTech.ISO14443A, guard_id)
    for entry in WATCHLIST:
        upsert(session, WatchlistEntry, entry.model_dump(exclude_unset=True), key=("id",))
    session.commit()


def seed_check_examples(session: Session, today: date) -> None:
    """What ``guardpost registry check`` finds in the demo (on top of the registry): a bar with no
    security company under contract, and a company whose licence ends in three weeks. Commits."""
    upsert(session, Company, {"id": "C3", "name_zh": "安居保安服务有限公司", "name_en": "Anju Security Services",
                              "kind": CompanyKind.SECURITY_COMPANY, "region": REGION})  # fmt: skip
    number = "京公保服字2016007号"
    if session.exec(select(CompanyCredential).where(CompanyCredential.number == number)).first() is None:
        session.add(CompanyCredential(company_id="C3", kind=CredentialKind.LICENCE, number=number,
                                      valid_from=date(2016, 1, 1), valid_to=today + timedelta(days=21)))  # fmt: skip
    upsert(session, Site, {"id": "S4", "name_zh": "夜色酒吧", "name_en": "Yese Bar", "kind": SiteKind.ENTERTAINMENT,
                           "region": REGION, "jurisdiction": JURISDICTION})  # fmt: skip
    session.commit()
