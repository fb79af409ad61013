"""What an account name and a password must be: one policy for creating an account and for every change.

Usernames are compared as people read them: NFKC (a full-width ``ａｄｍｉｎ`` is
``admin``), surrounding blanks dropped, case folded; what is left must be
3 to 64 of ``a-z 0-9 _ . @ -``, so no control character, bidi mark or
look-alike letter from another script can make a second ``admin``.
Passwords have 12 characters or more, are none of the known placeholders,
and are not the username.
"""

from __future__ import annotations

import re
import unicodedata

from central.config import placeholder_secret
from central.errors import Unprocessable

_USERNAME = re.compile(r"^[a-z0-9_.@-]{3,64}$")


class BadUsername(Unprocessable):
    code = "access.bad_username"


class WeakPassword(Unprocessable):
    code = "access.weak_password"


def login_name(typed: str) -> str:
    """The name as accounts are looked up and throttled by, whatever its case or width."""
    return unicodedata.normalize("NFKC", typed).strip().lower()


def username(typed: str) -> str:
    """The name a new account is stored under; BadUsername when it is not one."""
    name = login_name(typed)
    if not _USERNAME.fullmatch(name):
        raise BadUsername("用户名须为3至64个字母、数字或 _ . @ - / a username is 3 to 64 of a-z 0-9 _ . @ -")
    return name


def check_password(password: str, name: str) -> None:
    """WeakPassword unless ``password`` may protect account ``name``."""
    if placeholder_secret(password) or login_name(password) == login_name(name):
        raise WeakPassword(
            "密码须至少12个字符，且不得为常见占位值或用户名 / "
            "a password has 12 characters or more and is neither a placeholder nor the username"
        )
