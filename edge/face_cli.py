"""``guardpost face``: enrol guards, verify two photos, search and build a watchlist.

Exit codes of ``verify`` and ``search``: 0 match / hit, 1 no match / no hit, 3 no decision
(no usable face, unreadable image, empty list); 4 when the face models do not load.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edge.enrolment import Enrolment, EnrolmentPhotoError, enroll_images
from edge.errors import FaceModelError
from edge.face import Embedding, FaceAnalysis, FaceEngine, FaceSettings, TemplateFileError, load_image, similarity
from edge.watchlist import Watchlist, WatchlistEntry
from protocol.checkin import FaceStatus

MATCH, NO_MATCH, NO_DECISION, MODEL_FAILED = 0, 1, 3, 4

REASONS: dict[str, str] = {
    FaceStatus.NO_FACE: "未检测到人脸 / no face detected",
    FaceStatus.MULTIPLE_FACES: "检测到多张人脸 / more than one face",
    FaceStatus.FACE_TOO_SMALL: "人脸太小，请靠近 / face too small, come closer",
    FaceStatus.BLURRED: "图像模糊 / image blurred",
    FaceStatus.TOO_DARK: "光线太暗 / too dark",
    FaceStatus.NOT_FRONTAL: "请正对摄像头 / face not frontal",
    FaceStatus.PHOTO_MISSING: "没有照片 / no photo",
    "UNREADABLE_IMAGE": "无法读取图像 / unreadable image",
    "EMPTY_WATCHLIST": "布控名单为空 / the watchlist is empty",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``face`` with its subcommands."""
    parser = sub.add_parser("face", help="人脸登记、比对与布控名单 / face enrolment, verification, watchlist")
    commands = parser.add_subparsers(dest="face_command", required=True, metavar="SUBCOMMAND")

    enroll = commands.add_parser("enroll", help="登记保安人脸模板 / enrol a guard from photos")
    enroll.add_argument("--out", type=Path, required=True, help="enrolment file, created or updated")
    enroll.add_argument("--card", required=True, help="card uid")
    enroll.add_argument("--guard-id", required=True)
    enroll.add_argument("--name", required=True)
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
    search.add_argument("--watchlist", type=Path, required=True)
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
    return FaceEngine(FaceSettings())


def _analyse(engine: FaceEngine, path: Path) -> FaceAnalysis | str:
    """The analysis, or the reason code when the file is not an image."""
    try:
        return engine.analyse(load_image(path))
    except ValueError:
        return "UNREADABLE_IMAGE"


def _reason(code: str, path: Path) -> str:
    return f"{path}: {REASONS.get(code, code)}"


def _verify(args: argparse.Namespace) -> int:
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
    try:
        return enroll_images(engine, args.images, skip_bad=getattr(args, "skip_bad", False))
    except EnrolmentPhotoError as exc:
        for path, reason in exc.failures.items():
            _complain(_reason(str(reason), path))
        return None


def _enroll(args: argparse.Namespace) -> int:
    try:
        engine = _engine()
        enrolment = Enrolment.load(args.out) if args.out.exists() else Enrolment()
    except (FaceModelError, TemplateFileError) as exc:
        _complain(f"无法加载 / cannot load: {exc}")
        return MODEL_FAILED
    templates = _templates(args, engine)
    if templates is None:
        return NO_DECISION
    guard = enrolment.add(args.card, args.guard_id, args.name, templates)
    enrolment.save(args.out)
    _say(f"已登记 / enrolled {guard.guard_id} {guard.name} card {guard.card_uid}: "
         f"{len(guard.templates)} 个模板 / templates -> {args.out}")  # fmt: skip
    return 0


def _watchlist_add(args: argparse.Namespace) -> int:
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
