"""The demo's cast and its scripted shift at 星光大厦 (Xingguang Tower), east gate.

The registry (companies, sites, guards, cards) is central's demo seed; this
module adds who each card holder looks like (ORL subjects) and what happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

TERMINAL_ID = "T-S2-GATE"
JURISDICTION = "110105-WJ"


def faces_dir() -> Path:
    return Path(str(resources.files("guardpost") / "demo_data" / "faces"))


@dataclass(frozen=True, slots=True)
class CastMember:
    guard_id: str
    name: str
    card_uid: str
    subject: str  # ORL folder
    enrol_shots: tuple[int, ...] = (1, 2, 3)  # images that pass the quality gates as enrolment photos

    def enrolment_photos(self) -> list[Path]:
        return [faces_dir() / self.subject / f"{k}.pgm" for k in self.enrol_shots]


GUARDS = (
    CastMember("G1", "张伟", "DEADBEEF", "s1", (1, 2, 9)),
    CastMember("G2", "李娜", "04A1B2C3", "s2", (1, 3)),
    CastMember("G3", "王强", "04C3D4E5", "s3"),
    CastMember("G4", "刘洋", "04E5F607", "s4"),
    CastMember("G5", "陈静", "11223344", "s5"),
    CastMember("G6", "赵磊", "55667788", "s6"),
)
# 孙立军 is wanted; his face is G6's subject: a fugitive working under a borrowed identity.
WANTED_ID, WANTED_NAME, WANTED_SUBJECT, WANTED_ID_NUMBER = "W-0001", "孙立军", "s6", "110105198203150079"


@dataclass(frozen=True, slots=True)
class Tap:
    zh: str
    en: str
    card_uid: str
    photo: str | None  # "sN/K.pgm", or None for a frame with nobody's face in it
    expect_violations: frozenset[str] = frozenset()
    expect_alert: bool = False
    shows: str = "OK"  # the terminal's answer (its feedback code): the verdict at the post
    finger: str | None = None  # the finger on the fingerprint module during the tap (None: none)


# The site's check is card + either (central.demo.seed): a finger is asked for when the face does
# not confirm the card holder, from guards whose fingerprints are enrolled (李娜's right index).
FINGERS = {"G2": "li-na-right-index"}

SCRIPT = (
    Tap("张伟 正常签到", "Zhang Wei checks in", "DEADBEEF", "s1/5.pgm"),
    Tap("李娜 正常签到", "Li Na checks in", "04A1B2C3", "s2/5.pgm"),
    Tap(
        "王强 保安员证已吊销",
        "Wang Qiang: certificate revoked",
        "04C3D4E5",
        "s3/5.pgm",
        frozenset({"CERT_REVOKED"}),
        shows="CERT_REVOKED",
    ),
    Tap(
        "刘洋 未取得保安员证",
        "Liu Yang: holds no certificate",
        "04E5F607",
        "s4/5.pgm",
        frozenset({"CERT_MISSING"}),
        shows="CERT_MISSING",
    ),
    Tap(
        "陈静 自招单位保安员在非本单位区域上岗",
        "Chen Jing: self-recruiting unit's guard outside its own premises",
        "11223344",
        "s5/5.pgm",
        frozenset({"SELF_RECRUITED_OUT_OF_AREA"}),
        shows="NOT_ROSTERED",  # not expected at this site: not on its terminal's roster
    ),
    Tap(
        "他人冒用李娜的卡（人脸不符，再按指纹也不符）",
        "someone else taps Li Na's card (the face does not match; their finger does not either)",
        "04A1B2C3",
        "s8/5.pgm",
        frozenset({"FACE_MISMATCH", "FINGERPRINT_MISMATCH"}),
        shows="FINGERPRINT_MISMATCH",
        finger="impostor-right-index",
    ),
    Tap(
        "未登记的卡", "an unregistered card", "0BADCAFE", "s9/5.pgm", frozenset({"CARD_UNKNOWN"}), shows="NOT_ROSTERED"
    ),
    Tap(
        "张伟 签退时未拍到人脸",
        "Zhang Wei checks out, no face in the photo",
        "DEADBEEF",
        None,
        frozenset({"NO_FACE"}),
        shows="NO_FACE",
    ),
    Tap(
        "赵磊 签到（人脸命中网上逃犯）",
        "Zhao Lei checks in (face matches a wanted person)",
        "55667788",
        "s6/6.pgm",
        expect_alert=True,
    ),
    Tap(
        "李娜 戴安全帽未拍到人脸，凭指纹签到",
        "Li Na, in a hard hat (no face in the photo), checks in by her fingerprint",
        "04A1B2C3",
        None,
        shows="OK",
        finger="li-na-right-index",
    ),
)
