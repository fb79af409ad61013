"""Test-wide setup: the shared fixtures, and the demo ID-number key for databases opened without one.

The fixtures live in ``tests/fixtures/`` and are registered here once
(``pytest_plugins``); a test asks for them by name and imports only helpers.
Production entry points bind the key of their settings (``central.db.sealing``);
tests build engines directly, and the demo registry they load is the demo's. A
command run by a test sets the process default from its settings: it is put
back after each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from central.access import auth
from central.db import sealing as id_protect

pytest_plugins = [  # in the order they import each other
    "tests.fixtures.central",
    "tests.fixtures.tenants",
    "tests.fixtures.browser",
]

id_protect.use_by_default(id_protect.DEMO_CIPHER)
# Argon2 at its production cost takes tens of milliseconds a hash; the tests make hundreds.
auth.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(autouse=True)
def _demo_id_key() -> Iterator[None]:
    yield
    id_protect.use_by_default(id_protect.DEMO_CIPHER)
