"""Face accuracy on ORL: FMR/FNMR (1:1) and FPIR/FNIR (watchlist) at the calibrated thresholds.

ORL face database, Olivetti Research Laboratory (AT&T Laboratories Cambridge): 40 people x 10
images. Every same-person pair is a mated trial (1800), every other pair non-mated (78 000).
Watchlist: a gallery of 20 people enrolled from images 1-3, mated searches with their images
4-10, non-mated searches with all images of the other 20; run both ways round (gallery 1-20,
then 21-40). Method and figures: docs/face-accuracy.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from bench.arguments import require_orl
from protocol.checkin import FaceStatus
from shared.face import FaceEngine, FaceSettings

Matrix = npt.NDArray[np.float32]
PEOPLE, SHOTS = 40, 10
# Gates off: calibration scores every image; how many the gates refuse is reported separately.
UNGATED = FaceSettings(
    min_face_px=1, max_roll_deg=180, max_yaw=100, min_brightness=0, min_sharpness=0, multi_face_ratio=1.0
)


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    require_orl(args.orl)
    ungated, gated = FaceEngine(UNGATED), FaceEngine(FaceSettings())
    verify = gated.settings.verify_threshold if args.verify_threshold is None else args.verify_threshold
    watchlist = gated.settings.watchlist_threshold if args.watchlist_threshold is None else args.watchlist_threshold
    rows: list[dict[str, object]] = []
    for protocol in ("x2", "raw") if args.protocol == "both" else (args.protocol,):
        images = [_image(args.orl, person, shot, protocol) for person in range(PEOPLE) for shot in range(SHOTS)]
        embeddings, passed = _embed(ungated, gated, images)
        rows += _verification_rows(protocol, embeddings, passed, verify)
        rows += _watchlist_rows(protocol, embeddings, watchlist, args.gallery_shots)
    return rows


def _image(root: Path, person: int, shot: int, protocol: str) -> npt.NDArray[np.uint8]:
    face = np.asarray(cv2.imread(str(root / f"s{person + 1}" / f"{shot + 1}.pgm"), cv2.IMREAD_GRAYSCALE), np.uint8)
    if protocol == "raw":
        return np.asarray(face, dtype=np.uint8)
    scaled = cv2.resize(face, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_LINEAR)
    canvas = np.full((480, 640), 128, dtype=np.uint8)
    top, left = (480 - scaled.shape[0]) // 2, (640 - scaled.shape[1]) // 2
    canvas[top : top + scaled.shape[0], left : left + scaled.shape[1]] = scaled
    return canvas


def _embed(
    ungated: FaceEngine, gated: FaceEngine, images: list[npt.NDArray[np.uint8]]
) -> tuple[Matrix, npt.NDArray[np.bool_]]:
    """Templates of every image (gates off), and which images pass the default gates."""
    embeddings, passed = [], []
    for image in images:
        analysis = ungated.analyse(image)
        if analysis.embedding is None:
            raise SystemExit(f"ORL image without a detected face ({analysis.status}); calibration needs all")
        embeddings.append(analysis.embedding)
        passed.append(gated.analyse(image).status is FaceStatus.OK)
    return np.stack(embeddings), np.array(passed)


def _pairs(embeddings: Matrix, keep: npt.NDArray[np.bool_]) -> tuple[Matrix, Matrix]:
    """Mated and non-mated similarity scores over distinct pairs of kept images."""
    scores = embeddings @ embeddings.T
    person = np.repeat(np.arange(PEOPLE), SHOTS)
    upper = np.triu(np.ones_like(scores, dtype=bool), k=1) & keep[:, None] & keep[None, :]
    same = person[:, None] == person[None, :]
    return scores[upper & same], scores[upper & ~same]


def threshold_at_fmr(non_mated: Matrix, fmr: float) -> float:
    """Smallest threshold whose false-match rate is at most ``fmr`` (scores >= threshold match)."""
    ordered = np.sort(non_mated)[::-1]
    allowed = int(np.floor(fmr * len(ordered)))
    return float(np.nextafter(ordered[allowed], np.float32(1.0)))


def _verification_rows(
    protocol: str, embeddings: Matrix, passed: npt.NDArray[np.bool_], threshold: float
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    mated, non_mated = _pairs(embeddings, np.ones(len(embeddings), dtype=bool))
    points = [("verify 1:1 (chosen)", threshold)]
    points += [(f"verify 1:1 @FMR<={fmr:g}", threshold_at_fmr(non_mated, fmr)) for fmr in (1e-3, 1e-4)]
    points.append(("verify 1:1 @FMR=0 (max non-mated)", float(np.nextafter(non_mated.max(), np.float32(1)))))
    for task, t in points:
        rows.append(
            _row(protocol, task, t, float(np.mean(non_mated >= t)), float(np.mean(mated < t)), mated, non_mated)
        )
    gated_mated, gated_non = _pairs(embeddings, passed)
    fmr, fnmr = float(np.mean(gated_non >= threshold)), float(np.mean(gated_mated < threshold))
    row = _row(protocol, "verify 1:1 (chosen), gates on", threshold, fmr, fnmr, gated_mated, gated_non)
    row["refused_by_gates"] = int((~passed).sum())
    rows.append(row)
    rows += _enrolled_rows(protocol, embeddings, threshold)
    return rows


def _enrolled_rows(protocol: str, embeddings: Matrix, threshold: float) -> list[dict[str, object]]:
    """As at the terminal: best of 3 enrolled templates. Enrolment shots rotate (1-3, 4-6, 7-9)."""
    by_person = embeddings.reshape(PEOPLE, SHOTS, -1)
    mated, non_mated = [], []
    for enrolled in ([0, 1, 2], [3, 4, 5], [6, 7, 8]):
        probes = [s for s in range(SHOTS) if s not in enrolled]
        best = np.einsum("ptd,qsd->pqst", by_person[:, enrolled], by_person[:, probes]).max(axis=3)
        same = np.eye(PEOPLE, dtype=bool)
        mated.append(best[same].ravel())
        non_mated.append(best[~same].ravel())
    m, n = np.concatenate(mated), np.concatenate(non_mated)
    points = [("(chosen)", threshold), ("@FMR<=0.0001", threshold_at_fmr(n, 1e-4))]
    return [
        _row(protocol, f"verify 1:1 {name}, best of 3 enrolled", t, float(np.mean(n >= t)), float(np.mean(m < t)), m, n)
        for name, t in points
    ]


def _row(protocol: str, task: str, t: float, fm: float, fnm: float, mated: Matrix, non: Matrix) -> dict[str, object]:
    return {
        "protocol": protocol,
        "task": task,
        "threshold": round(t, 4),
        "FMR|FPIR": f"{fm:.2e}",
        "FNMR|FNIR": f"{fnm:.2e}",
        "mated": len(mated),
        "non_mated": len(non),
    }


def _watchlist_rows(protocol: str, embeddings: Matrix, threshold: float, shots: int) -> list[dict[str, object]]:
    """Open-set search, both halves of ORL as gallery in turn; rank-1 must be the right person."""
    by_person = embeddings.reshape(PEOPLE, SHOTS, -1)
    mated_best, mated_right, non_mated_best = [], [], []
    for gallery in (np.arange(0, 20), np.arange(20, 40)):
        others = np.setdiff1d(np.arange(PEOPLE), gallery)
        templates = by_person[gallery, :shots].reshape(-1, embeddings.shape[1])
        owner = np.repeat(np.arange(len(gallery)), shots)
        for index, person in enumerate(gallery):
            for probe in by_person[person, shots:]:
                scores = templates @ probe
                best = int(np.argmax(scores))
                mated_best.append(float(scores[best]))
                mated_right.append(owner[best] == index)
        non_mated_best += [
            float(np.max(templates @ probe)) for probe in by_person[others].reshape(-1, embeddings.shape[1])
        ]
    mated = np.array(mated_best, dtype=np.float32)
    right = np.array(mated_right)
    non = np.array(non_mated_best, dtype=np.float32)
    rows: list[dict[str, object]] = []
    points = [
        ("watchlist 1:N (chosen)", threshold),
        ("watchlist 1:N @FPIR=0", float(np.nextafter(non.max(), np.float32(1)))),
    ]
    for task, t in points:
        fnir = float(np.mean(~right | (mated < t)))
        rows.append(_row(protocol, f"{task}, gallery 20x{shots}", t, float(np.mean(non >= t)), fnir, mated, non))
    return rows
