"""Authentication: password hashing, login sessions, API keys, demo accounts.

People log in with a password (argon2id) and get a session cookie; integrations
send an API key. Only hashes are stored: the session token and the API key are
shown once and never kept. Demo accounts and the demo key have published
secrets, so they are refused unless the service runs in demo mode.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from central.access import policy
from central.access.models import Account, AccountCreate, ApiKey, LoginSession, Role
from central.access.scope import Scope
from central.config import AccessSettings, placeholder_secret
from central.db.types import utcnow
from central.errors import Conflict, Unprocessable

logger = logging.getLogger(__name__)

SESSION_COOKIE = "gp_session"
API_KEY_HEADER = "X-API-Key"


class _Hashing:
    """The process's password hasher (argon2id, its library's defaults) and a hash of its cost.

    A login for a user that does not exist verifies against ``dummy``, so that the
    time it takes does not tell whether the user exists.
    """

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        self.dummy = hasher.hash("not-a-real-password")


_hashing: list[_Hashing] = []


def _current() -> _Hashing:
    if not _hashing:
        _hashing.append(_Hashing(PasswordHasher()))
    return _hashing[0]


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Hash new passwords with ``hasher`` (tests use a cheap one); hashes made before still verify."""
    _hashing[:] = [_Hashing(hasher)]


class AccessError(Unprocessable):
    """An account or setting that access control cannot accept (named in the message)."""

    code = "access.invalid"


class AccountRefused(AccessError):
    """An account that cannot be created as asked: tenant missing, username taken."""

    status = 409
    code = "access.account_refused"


class WrongPassword(AccessError):
    """The password given to confirm a change is not the account's."""

    status = 403
    code = "access.wrong_password"


def hash_password(password: str) -> str:
    return _current().hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _current().hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scope_of(account: Account) -> Scope:
    return Scope(account.username, Role(account.role), account.company_id, account.jurisdiction)


def _usable(account: Account | None, access: AccessSettings) -> Account | None:
    if account is None or not account.active:
        return None
    if account.demo and not access.demo:
        logger.warning("demo account %s refused: the service is not in demo mode", account.username)
        return None
    return account


def find_account(session: Session, typed: str) -> Account | None:
    """The account named ``typed``, compared as ``policy.login_name`` compares names."""
    name = policy.login_name(typed)
    return session.exec(select(Account).where(func.lower(col(Account.username)) == name)).first()


def check_account(session: Session, data: AccountCreate) -> None:
    """Normalise the username; raise AccessError unless it, the password and the role's tenant can be used.

    That the company exists is the database's to say (a foreign key): ``create_account``.
    """
    data.username = policy.username(data.username)
    policy.check_password(data.password, data.username)
    if data.role in (Role.COMPANY, Role.FIRM) and not data.company_id:
        raise AccountRefused(f"角色 {data.role} 需要有效的单位 / role {data.role} needs an existing company_id")
    if data.role is Role.POLICE and not data.jurisdiction:
        raise AccountRefused("公安账号需要辖区 / a police account needs a jurisdiction")
    if data.supervisor and data.role is not Role.POLICE:
        raise AccountRefused("只有公安账号可设为值班领导 / only a police account can be a supervisor")
    if find_account(session, data.username) is not None:
        raise AccountRefused(f"用户名已存在 / username {data.username!r} is taken")


def create_account(session: Session, data: AccountCreate) -> Account:
    """A new account (checked by ``check_account``), committed."""
    check_account(session, data)
    account = Account(
        username=data.username,
        password_hash=hash_password(data.password),
        display_name=data.display_name,
        role=data.role,
        company_id=data.company_id if data.role in (Role.COMPANY, Role.FIRM) else None,
        jurisdiction=data.jurisdiction if data.role is Role.POLICE else None,
        supervisor=data.supervisor,
    )
    session.add(account)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise AccountRefused(
            f"单位不存在或用户名已存在 / company_id {data.company_id!r} does not exist, or the username is taken"
        ) from exc
    session.refresh(account)
    return account


def login(session: Session, username: str, password: str, access: AccessSettings) -> tuple[str, Account] | None:
    """A new session token and its account, or None for a wrong name or password."""
    account = find_account(session, username)
    if account is None:
        verify_password(_current().dummy, password)
        return None
    if not verify_password(account.password_hash, password) or _usable(account, access) is None:
        return None
    token = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(hours=access.session_hours)
    assert account.id is not None
    session.add(LoginSession(token_hash=_digest(token), account_id=account.id, expires_at=expires))
    session.commit()
    return token, account


def csrf_token(session_token: str) -> str:
    """The CSRF token of a login session: derived from its (HttpOnly) token, so nothing more is stored."""
    return hmac.new(b"guardpost.csrf/1", session_token.encode(), hashlib.sha256).hexdigest()


def csrf_valid(session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token(session_token), presented)


def change_password(session: Session, account: Account, old: str, new: str, keep_token: str | None) -> None:
    """Set ``account``'s password after checking the old one; ends its other sessions and revokes its API keys.

    Raises WrongPassword for a wrong old password, AccessError for a new one that cannot be used.
    """
    if not verify_password(account.password_hash, old):
        raise WrongPassword("旧密码错误 / the current password is wrong")
    if new == old:
        raise policy.WeakPassword("新密码与旧密码相同 / the new password is the old one")
    policy.check_password(new, account.username)
    account.password_hash = hash_password(new)
    account.must_change_password = False
    session.add(account)
    kept = _digest(keep_token) if keep_token else ""
    session.exec(
        delete(LoginSession).where(col(LoginSession.account_id) == account.id, col(LoginSession.token_hash) != kept)
    )
    _revoke_keys(session, account)  # a key made by whoever knew the old password goes with it
    session.commit()


def reset_password(session: Session, account: Account, by: str) -> str:
    """Give ``account`` a new temporary password (returned, stored only hashed) that it must change at its
    next login; its sessions end and its API keys are revoked, as when it changes its password itself.

    Conflict for ``by``'s own account (it changes its password itself) and for a disabled one.
    """
    if account.username == by:
        own = "不能重置自己的密码，请使用「修改密码」 / you cannot reset your own password: use Change password"
        raise Conflict(own, code="access.own_account")
    if not account.active:
        raise Conflict(f"账号 {account.username} 已停用，请先启用 / account {account.username} is disabled: enable it "
                       "first", code="access.account_disabled")  # fmt: skip
    temporary = secrets.token_urlsafe(12)  # 16 characters: the policy's 12 and more
    account.password_hash = hash_password(temporary)
    account.must_change_password = True
    session.add(account)
    session.exec(delete(LoginSession).where(col(LoginSession.account_id) == account.id))
    _revoke_keys(session, account)
    session.commit()
    return temporary


def _revoke_keys(session: Session, account: Account) -> None:
    live = (col(ApiKey.account_id) == account.id, col(ApiKey.revoked_at).is_(None))
    session.execute(update(ApiKey).where(*live).values(revoked_at=utcnow()))


def set_active(session: Session, account: Account, active: bool) -> None:
    """Enable or disable ``account``; disabling ends its sessions and revokes its API keys."""
    account.active = active
    session.add(account)
    if not active:
        session.exec(delete(LoginSession).where(col(LoginSession.account_id) == account.id))
        _revoke_keys(session, account)
    session.commit()


def logout(session: Session, token: str) -> None:
    session.exec(delete(LoginSession).where(col(LoginSession.token_hash) == _digest(token)))
    session.commit()


def account_for_session(session: Session, token: str, access: AccessSettings) -> Account | None:
    row = session.get(LoginSession, _digest(token))
    if row is None or row.expires_at <= utcnow():
        return None
    return _usable(session.get(Account, row.account_id), access)


def account_for_api_key(session: Session, key: str, access: AccessSettings) -> Account | None:
    """The account of a valid, unrevoked key ``gpk_<prefix>_<secret>``."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "gpk":
        return None
    row = session.exec(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, _digest(key)):
        return None
    if row.demo and not access.demo:
        logger.warning("demo API key refused: the service is not in demo mode")
        return None
    return _usable(session.get(Account, row.account_id), access)


def create_api_key(session: Session, account: Account, name: str, *, key: str | None = None) -> tuple[ApiKey, str]:
    """A new key for ``account``; the key itself is returned once and only its hash kept."""
    if key is None:
        key = f"gpk_{secrets.token_hex(6)}_{secrets.token_urlsafe(24)}"
    prefix = key.split("_", 2)[1]
    assert account.id is not None
    row = ApiKey(prefix=prefix, key_hash=_digest(key), account_id=account.id, name=name, demo=account.demo)
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, key


def revoke_api_key(session: Session, key_id: int, at: datetime) -> ApiKey | None:
    row = session.get(ApiKey, key_id)
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = at
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


# --- demo and first start ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    password: str
    display_name: str
    role: Role
    company_id: str | None = None
    jurisdiction: str | None = None
    supervisor: bool = False


DEMO_ACCOUNTS = (
    DemoAccount("admin", "admin-demo", "系统管理员 Administrator", Role.ADMIN),
    DemoAccount("police", "police-demo", "望京派出所 Wangjing police station", Role.POLICE, jurisdiction="110105-WJ"),
    DemoAccount(
        "police-lead",
        "police-lead-demo",
        "望京派出所 值班领导 Wangjing duty supervisor",
        Role.POLICE,
        jurisdiction="110105-WJ",
        supervisor=True,
    ),  # fmt: skip
    DemoAccount("pingan", "pingan-demo", "平安卫士保安服务 Ping'an Guard", Role.COMPANY, company_id="C1"),
    DemoAccount("jinxiu", "jinxiu-demo", "锦绣物业 Jinxiu Property", Role.FIRM, company_id="C2"),
)
# The demo's own reports read the API with this key; valid only in demo mode.
DEMO_API_KEY = "gpk_demoadmin_guardpost-demo-only-key"


def seed_demo_access(session: Session) -> None:
    """Create the demo accounts (see DEMO_ACCOUNTS) and the demo admin key; idempotent."""
    for demo in DEMO_ACCOUNTS:
        if session.exec(select(Account).where(Account.username == demo.username)).first() is None:
            session.add(
                Account(
                    username=demo.username,
                    password_hash=hash_password(demo.password),
                    display_name=demo.display_name,
                    role=demo.role,
                    company_id=demo.company_id,
                    jurisdiction=demo.jurisdiction,
                    supervisor=demo.supervisor,
                    demo=True,
                )
            )
    session.commit()
    if session.exec(select(ApiKey).where(ApiKey.prefix == DEMO_API_KEY.split("_")[1])).first() is None:
        admin = session.exec(select(Account).where(Account.username == "admin")).one()
        create_api_key(session, admin, "演示报告 demo report", key=DEMO_API_KEY)


def check_access_settings(access: AccessSettings) -> None:
    """Raise AccessError for a placeholder bootstrap password outside demo mode."""
    password = access.bootstrap_admin_password
    if password is not None and not access.demo and placeholder_secret(password.get_secret_value()):
        raise AccessError(
            "管理员初始密码过弱或为占位值 / access.bootstrap_admin_password is a placeholder or shorter than 12"
        )


def ensure_bootstrap_admin(session: Session, access: AccessSettings) -> None:
    """Create or reset the account ``admin`` from ``access.bootstrap_admin_password``, if set."""
    check_access_settings(access)
    if access.bootstrap_admin_password is None:
        return
    password = access.bootstrap_admin_password.get_secret_value()
    account = session.exec(select(Account).where(Account.username == "admin")).first()
    if account is None:
        account = Account(username="admin", password_hash="", display_name="系统管理员 Administrator", role=Role.ADMIN)
    account.password_hash = hash_password(password)
    account.demo = False
    session.add(account)
    session.commit()
    logger.info("bootstrap administrator account ready")
