"""Face templates of wanted persons, computed on central from uploaded photos (``central.faces``).

Terminals receive templates only, never images (人脸识别技术应用安全管理办法,
2025). Central keeps one photo per entry, re-encoded (which drops the uploaded
file's metadata), in ``central.watchlist.portraits``: the alerts page shows it
beside the check-in photo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from central.faces import analyse_photo


@dataclass(frozen=True, slots=True)
class Enrolled:
    templates: tuple[bytes, ...]  # 128 little-endian float32 each, one per photo
    portrait_jpeg: bytes  # the first photo, re-encoded


def enrol(photos: Sequence[bytes]) -> Enrolled:
    """One template per photo; raises central.faces.PhotoRefused for the first photo without a usable face."""
    analysed = [analyse_photo(data, index) for index, data in enumerate(photos, start=1)]
    return Enrolled(tuple(p.template for p in analysed), analysed[0].jpeg if analysed else b"")
