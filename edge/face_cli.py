"""``guardpost face``: enrol guards (from photos, keyed by a card uid or a resident ID card's
fields), verify two photos, search and build a watchlist.

Exit codes of ``verify`` and ``search``: 0 match / hit, 1 no match / no hit, 3 no decision
(no usable face, unreadable image, empty list); 4 when the face models (or a template
file) do not load; 2 for options that cannot be used.
Only the standard library at module level (``guardpost --help`` imports this module);
each command imports the face stack when it runs, and loads the models once.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from edge.cards_cli import mask_id
from protocol.errors import ConfigError
from shared.errors import FaceModelError

if TYPE_CHECKING:
    from protocol.checkin import IdCardFields
    from shared.face import Embedding, FaceAnalysis, FaceEngine

MATCH, NO_MATCH, NO_DECISION, MODEL_FAILED = 0, 1, 3, 4

# Keyed by protocol.checkin.FaceStatus values (a StrEnum), spelled out to keep this module light.
REASONS: dict[str, str] = {
    "NO_FACE": "未检测到人脸 / no face detected",
    "MULTIPLE_FACES": "检测到多张人脸 / more than one face",
    "FACE_TOO_SMALL": "人脸太小，请靠近 / face too small, come closer",
    "BLURRED": "图像模糊 / image blurred",
    "TOO_DARK": "光线太暗 / too dark",
    "NOT_FRONTAL": "请正对摄像头 / face not frontal",
    "PHOTO_MISSING": "没有照片 / no photo",
    "UNREADABLE_IMAGE": "无法读取图像 / unreadable image",
    "EMPTY_WATCHLIST": "布控名单为空 / the watchlist is empty",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``face`` with its subcommands."""
    parser = sub.add_parser("face", help="人脸登记、比对与布控名单 / face enrolment, verification, watchlist")
    commands = parser.add_subparsers(dest="face_command", required=True, metavar="SUBCOMMAND")

    enroll = commands.add_parser("enroll", help="登记保安人脸模板 / enrol a guard from photos")
    enroll.add_argument("--out", type=Path, required=True, help="enrolment file, created or updated")
    card = enroll.add_mutually_exclusive_group(required=True)
    card.add_argument("--card", default=None, help="卡号 / card uid (then --name is required)")
    card.add_argument(
        "--from-id-card", type=Path, default=None, metavar="FILE",
        help="二代证信息 / decoded resident ID card: a line printed by `guardpost cards --reader resident_id "
        "--port PORT --show-id` (JSON; - for stdin). The card uid is the ID number. The chip's WLT photo "
        "needs the vendor's decoder, so the face comes from IMG (camera or photo files)",
    )  # fmt: skip
    enroll.add_argument("--guard-id", required=True)
    enroll.add_argument(
        "--name", default=None, help="姓名 / the guard's name: required with --card; with --from-id-card, "
        "default: the name on the card",
    )  # fmt: skip
    enroll.add_argument("--skip-bad", action="store_true", help="leave out photos without a usable face")
    enroll.add_argument("images", nargs="+", type=Path, metavar="IMG")
    enroll.set_defaults(func=_enroll)

    verify = commands.add_parser("verify", help="两张照片是否同一人 / are two photos the same person")
    verify.add_argument("a", type=Path, metavar="A")
    verify.add_argument("b", type=Path, metavar="B")
    verify.add_argument("--threshold", type=float, default=None, help="default: calibrated verify threshold")
    verify.add_argument("--json", action="store_true", help='print {"score", "match", "reason"}')
    verify.set_defaults(func=_verify)

    search = commands.add_parser("search", help="在布控名单中检索 / search a photo in a watchlist")
    search.add_argument("image", type=Path, metavar="IMG")
    search.add_argument("--watchlist", type=Path, required=True, help="watchlist file (guardpost face watchlist-add)")
    search.add_argument("--threshold", type=float, default=None, help="default: calibrated watchlist threshold")
    search.add_argument("--json", action="store_true")
    search.set_defaults(func=_search)

    add = commands.add_parser("watchlist-add", help="向布控名单添加人员 / add a person to a watchlist file")
    add.add_argument("--out", type=Path, required=True, help="watchlist file, created or updated")
    add.add_argument("--id", dest="entry_id", required=True, help="entry id")
    add.add_argument("--name", required=True)
    add.add_argument("--id-number", default=None, help="resident ID number")
    add.add_argument("--note", default="", help="e.g. case reference")
    add.add_argument("--list-version", default=None, help="default: a digest of the list's content")
    add.add_argument("images", nargs="+", type=Path, metavar="IMG")
    add.set_defaults(func=_watchlist_add)


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _complain(text: str) -> None:
    sys.stderr.write(text + "\n")


def _engine() -> FaceEngine:
    from shared.face import FaceEngine, FaceSettings

    return FaceEngine(FaceSettings())


def _analyse(engine: FaceEngine, path: Path) -> FaceAnalysis | str:
    """The analysis, or the reason code when the file is not an image."""
    from shared.face import load_image

    try:
        return engine.analyse(load_image(path))
    except ValueError:
        return "UNREADABLE_IMAGE"


def _reason(code: str, path: Path) -> str:
    return f"{path}: {REASONS.get(code, code)}"


def _verify(args: argparse.Namespace) -> int:
    from shared.face import similarity

    try:
        engine = _engine()
    except FaceModelError as exc:
        _complain(f"人脸模型加载失败 / face models failed to load: {exc}")
        return MODEL_FAILED
    threshold = engine.settings.verify_threshold if args.threshold is None else args.threshold
    embeddings: list[Embedding] = []
    for path in (args.a, args.b):
        result = _analyse(engine, path)
        if isinstance(result, str) or result.embedding is None:
            code = result if isinstance(result, str) else result.status.value
            _report({"score": None, "match": None, "reason": code}, args.json, _reason(code, path))
            return NO_DECISION
        embeddings.append(result.embedding)
    score = similarity(*embeddings)
    match = score >= threshold
    verdict = "同一人 / same person" if match else "不是同一人 / different people"
    _report({"score": round(score, 4), "match": match, "reason": None}, args.json,
            f"相似度 / similarity {score:.4f}, 阈值 / threshold {threshold:.3f}: {verdict}")  # fmt: skip
    return MATCH if match else NO_MATCH


def _report(obj: dict[str, object], as_json: bool, human: str) -> None:
    _say(json.dumps(obj, ensure_ascii=False) if as_json else human)


def _search(args: argparse.Namespace) -> int:
    from edge.errors import TemplateFileError
    from edge.watchlist import Watchlist

    if not args.watchlist.is_file():  # before the models load
        raise ConfigError(f"布控名单文件不存在 / watchlist file {args.watchlist} does not exist: check --watchlist")
    try:
        engine = _engine()
        watchlist = Watchlist.load(args.watchlist)
    except (FaceModelError, TemplateFileError) as exc:
        _complain(f"无法加载 / cannot load: {exc}")
        return MODEL_FAILED
    threshold = engine.settings.watchlist_threshold if args.threshold is None else args.threshold
    result = _analyse(engine, args.image)
    base: dict[str, object] = {"list_version": watchlist.version, "threshold": threshold}
    code = result if isinstance(result, str) else result.status.value
    if isinstance(result, str) or result.embedding is None:
        _report({**base, "hit": None, "reason": code}, args.json, _reason(code, args.image))
        return NO_DECISION
    found = watchlist.search(result.embedding)
    if found is None:
        _report({**base, "hit": None, "reason": "EMPTY_WATCHLIST"}, args.json, REASONS["EMPTY_WATCHLIST"])
        return NO_DECISION
    entry, score = found
    hit = score >= threshold
    best = {"entry_id": entry.entry_id, "name": entry.name, "score": round(score, 4)}
    verdict = "命中 / HIT" if hit else "未命中 / no hit"
    human = f"{verdict}: 最相似 / best {entry.entry_id} {entry.name} {score:.4f} (阈值 / threshold {threshold:.3f})"
    _report({**base, "hit": hit, "best": best, "reason": None}, args.json, human)
    return MATCH if hit else NO_MATCH


def _templates(args: argparse.Namespace, engine: FaceEngine) -> list[Embedding] | None:
    from edge.enrolment import EnrolmentPhotoError, enroll_images

    try:
        return enroll_images(engine, args.images, skip_bad=getattr(args, "skip_bad", False))
    except EnrolmentPhotoError as exc:
        for path, reason in exc.failures.items():
            _complain(_reason(str(reason), path))
        return None


def _id_card(source: Path) -> IdCardFields | str:
    """The decoded ID card fields from a ``guardpost cards --show-id`` line, or why they are unusable."""
    from edge.drivers.resident_id import ID_NUMBER
    from protocol.checkin import IdCardFields

    try:
        text = sys.stdin.read() if str(source) == "-" else source.read_text(encoding="utf-8")
        raw = json.loads(text.strip().splitlines()[0] if text.strip() else "")
        fields = IdCardFields.model_validate({k: raw.get(k) for k in IdCardFields.model_fields})
    except (OSError, ValueError, AttributeError) as exc:  # ValidationError and JSONDecodeError are ValueErrors
        return f"无法读取二代证信息 / cannot read ID card fields from {source}: {exc}"
    if not ID_NUMBER.fullmatch(fields.id_number.upper()):
        return "身份证号无效或已遮挡 / ID number invalid or masked: read the card with --show-id"
    return fields


def _card_and_name(args: argparse.Namespace) -> tuple[str, str] | str:
    """(card uid, name) from the options or the ID card, or why the ID card is unusable.

    argparse lets exactly one of --card and --from-id-card through; --card without --name
    is a ConfigError (exit 2), as argparse cannot say that one option needs another.
    """
    if args.from_id_card is None:
        if not args.name:
            raise ConfigError("--card 需要 --name / --card needs --name: give the guard's name")
        return args.card, args.name
    fields = _id_card(args.from_id_card)
    if isinstance(fields, str):
        return fields
    return fields.id_number.upper(), args.name or fields.name


def _enroll(args: argparse.Namespace) -> int:
    from edge.enrolment import Enrolment
    from edge.errors import TemplateFileError

    card_and_name = _card_and_name(args)
    if isinstance(card_and_name, str):
        _complain(card_and_name)
        return NO_DECISION
    card, name = card_and_name
    try:
        engine = _engine()
        enrolment = Enrolment.load(args.out) if args.out.exists() else Enrolment()
    except (FaceModelError, TemplateFileError) as exc:
        _complain(f"无法加载 / cannot load: {exc}")
        return MODEL_FAILED
    templates = _templates(args, engine)
    if templates is None:
        return NO_DECISION
    guard = enrolment.add(card, args.guard_id, name, templates)
    enrolment.save(args.out)
    shown = mask_id(guard.card_uid) if args.from_id_card else guard.card_uid  # ID numbers never shown whole
    _say(f"已登记 / enrolled {guard.guard_id} {guard.name} card {shown}: "
         f"{len(guard.templates)} 个模板 / templates -> {args.out}")  # fmt: skip
    return 0


def _watchlist_add(args: argparse.Namespace) -> int:
    from edge.errors import TemplateFileError
    from edge.watchlist import Watchlist, WatchlistEntry

    try:
        engine = _engine()
        watchlist = Watchlist.load(args.out) if args.out.exists() else Watchlist.empty()
    except (FaceModelError, TemplateFileError) as exc:
        _complain(f"无法加载 / cannot load: {exc}")
        return MODEL_FAILED
    templates = _templates(args, engine)
    if templates is None:
        return NO_DECISION
    entry = WatchlistEntry(args.entry_id, args.name, args.id_number, args.note)
    updated = watchlist.with_entry(entry, templates, version=args.list_version)
    updated.save(args.out)
    _say(f"已加入布控名单 / added {entry.entry_id} {entry.name}: {len(templates)} 个模板 / templates; "
         f"名单 / list {len(updated)} 人 / entries, 版本 / version {updated.version} -> {args.out}")  # fmt: skip
    return 0
