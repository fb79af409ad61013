"""Test-wide setup: databases opened without a key of their own seal ID numbers with the demo key.

Production entry points bind the key of their settings (``central.db.sealing``);
tests build engines directly, and the demo registry they load is the demo's. A
command run by a test sets the process default from its settings: it is put
back after each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from central.db import sealing as id_protect

id_protect.use_by_default(id_protect.DEMO_CIPHER)


@pytest.fixture(autouse=True)
def _demo_id_key() -> Iterator[None]:
    yield
    id_protect.use_by_default(id_protect.DEMO_CIPHER)
