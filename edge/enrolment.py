"""Guards enrolled at a terminal: face templates (never images) keyed by card uid, for 1:1 verification.

Owns the enrolment file (JSON, templates as base64 little-endian float32, written
atomically) and turning enrolment photos into templates (``enroll_images``).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, ValidationError

from edge.errors import EdgeError, TemplateFileError
from protocol.checkin import FaceStatus
from shared.face import EMBEDDING_DIM, MODEL_ID, Embedding, FaceEngine, load_image, normalise
from shared.files import atomic_writer

logger = logging.getLogger(__name__)

FORMAT = "guardpost.enrolment/1"


class EnrolmentPhotoError(EdgeError):
    """Enrolment photos that gave no usable face; ``failures`` maps each to its reason."""

    def __init__(self, failures: dict[Path, FaceStatus | str]) -> None:
        self.failures = failures
        detail = ", ".join(f"{path}: {reason}" for path, reason in failures.items())
        super().__init__(f"no usable face in {len(failures)} photo(s): {detail}")


@dataclass(frozen=True, slots=True, eq=False)
class EnrolledGuard:
    card_uid: str
    guard_id: str
    name: str
    templates: npt.NDArray[np.float32]  # (k, EMBEDDING_DIM), rows L2-normalised


class _GuardRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    card_uid: str
    guard_id: str
    name: str
    templates: list[str]  # base64 of EMBEDDING_DIM little-endian float32


class _EnrolmentFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["guardpost.enrolment/1"]
    model: str
    guards: list[_GuardRecord]


def normalise_uid(card_uid: str) -> str:
    """Card uids as the wire carries them: upper-case, no surrounding blanks."""
    uid = card_uid.strip().upper()
    if not uid:
        raise ValueError("empty card uid")
    return uid


def as_template_matrix(embeddings: Iterable[npt.ArrayLike]) -> npt.NDArray[np.float32]:
    """Stack templates into an (n, EMBEDDING_DIM) float32 matrix of normalised rows."""
    rows = [normalise(e) for e in embeddings]
    if any(row.shape != (EMBEDDING_DIM,) for row in rows):
        raise ValueError(f"templates must have {EMBEDDING_DIM} values")
    if not rows:
        return np.empty((0, EMBEDDING_DIM), dtype=np.float32)
    return np.stack(rows).astype(np.float32)


class Enrolment:
    """The guards enrolled at one terminal. Not thread-safe for writers; readers may share it."""

    def __init__(self) -> None:
        self._guards: dict[str, EnrolledGuard] = {}

    def __len__(self) -> int:
        return len(self._guards)

    def guards(self) -> list[EnrolledGuard]:
        return list(self._guards.values())

    def add(self, card_uid: str, guard_id: str, name: str, embeddings: Iterable[npt.ArrayLike]) -> EnrolledGuard:
        """Enrol a card's holder; enrolling a card again replaces its templates (re-enrolment)."""
        templates = as_template_matrix(embeddings)
        if len(templates) == 0:
            raise ValueError("at least one template is needed to enrol a guard")
        guard = EnrolledGuard(normalise_uid(card_uid), guard_id, name, templates)
        self._guards[guard.card_uid] = guard
        return guard

    def remove(self, card_uid: str) -> bool:
        return self._guards.pop(normalise_uid(card_uid), None) is not None

    def lookup(self, card_uid: str) -> EnrolledGuard | None:
        return self._guards.get(normalise_uid(card_uid))

    def verify(self, card_uid: str, embedding: npt.ArrayLike) -> float | None:
        """Best cosine similarity against the card holder's templates; None if the card is not enrolled."""
        guard = self.lookup(card_uid)
        if guard is None:
            return None
        return float(np.max(guard.templates @ normalise(embedding)))

    def save(self, path: Path) -> None:
        document = _EnrolmentFile(
            format=FORMAT,
            model=MODEL_ID,
            guards=[
                _GuardRecord(
                    card_uid=g.card_uid, guard_id=g.guard_id, name=g.name,
                    templates=[_encode(row) for row in g.templates],
                )
                for g in self._guards.values()
            ],
        )  # fmt: skip
        with atomic_writer(path) as handle:
            handle.write(document.model_dump_json(indent=1).encode("utf-8"))

    @classmethod
    def load(cls, path: Path) -> Enrolment:
        """Read an enrolment file; raises TemplateFileError if malformed or of another model."""
        try:
            document = _EnrolmentFile.model_validate(json.loads(Path(path).read_bytes()))
        except (json.JSONDecodeError, UnicodeDecodeError, ValidationError) as exc:
            raise TemplateFileError(f"not an enrolment file ({FORMAT}): {path}: {exc}") from exc
        if document.model != MODEL_ID:
            raise TemplateFileError(f"{path} holds {document.model} templates; this terminal uses {MODEL_ID}")
        enrolment = cls()
        for record in document.guards:
            try:
                enrolment.add(record.card_uid, record.guard_id, record.name, map(_decode, record.templates))
            except ValueError as exc:
                raise TemplateFileError(f"bad templates for a guard in {path}: {exc}") from exc
        return enrolment


def _encode(row: npt.NDArray[np.float32]) -> str:
    return base64.b64encode(row.astype("<f4").tobytes()).decode("ascii")


def _decode(text: str) -> Embedding:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"template is not base64: {exc}") from exc
    if len(raw) != 4 * EMBEDDING_DIM:
        raise ValueError(f"template of {len(raw)} bytes, expected {4 * EMBEDDING_DIM}")
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def enroll_images(engine: FaceEngine, paths: Sequence[Path], *, skip_bad: bool = False) -> list[Embedding]:
    """Templates from enrolment photos. A photo without a usable face raises EnrolmentPhotoError,
    or with ``skip_bad`` is left out (logged) as long as one good photo remains."""
    embeddings: list[Embedding] = []
    failures: dict[Path, FaceStatus | str] = {}
    for path in paths:
        try:
            analysis = engine.analyse(load_image(Path(path)))
        except ValueError as exc:
            failures[Path(path)] = str(exc)
            continue
        if analysis.embedding is None:
            failures[Path(path)] = analysis.status
        else:
            embeddings.append(analysis.embedding)
    if failures and (not skip_bad or not embeddings):
        raise EnrolmentPhotoError(failures)
    for path, reason in failures.items():
        logger.warning("enrolment photo %s skipped: %s", path, reason)
    return embeddings
