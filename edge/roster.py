"""The terminal's roster: the guards central expects at this post, found by any of their cards.

One immutable version at a time (a new version is a new object, swapped in
whole, so a tap sees one version). A tap is found by the keys of
``protocol.cards`` (the same keys central finds it by: any reader family, any
registered form), and judged by the entry's verdict of the day: central's
standing rules (certificate, bars, employer, contract, level), decided ahead of
the tap so the terminal answers at once, also offline. The templates come from
central's enrolment; 1:1 verification compares the capture with them.

Kept in ``<data_dir>/roster.json`` (written atomically) so it survives a restart
without the network.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, ValidationError

from edge.enrolment import as_template_matrix
from edge.errors import TemplateFileError
from protocol.cards import CardNumberError, from_tap, lookup_keys
from protocol.checkin import CardKind
from protocol.roster_update import Refusal, RosterGuard, TerminalOverrides
from protocol.signed import decode_template
from shared.face import MODEL_ID, normalise
from shared.files import atomic_writer

logger = logging.getLogger(__name__)

FORMAT = "guardpost.roster/1"


@dataclass(frozen=True, slots=True, eq=False)
class RosterEntry:
    guard: RosterGuard
    templates: npt.NDArray[np.float32]  # (k, EMBEDDING_DIM), rows L2-normalised; k may be 0
    fingerprints: tuple[bytes, ...] = ()  # module templates, for DownChar at a tap

    @classmethod
    def of(cls, guard: RosterGuard) -> RosterEntry:
        try:
            rows = [np.frombuffer(decode_template(t), dtype="<f4").astype(np.float32) for t in guard.templates]
            fingers = tuple(base64.b64decode(t, validate=True) for t in guard.fingerprints)
        except (ValueError, binascii.Error) as exc:
            raise ValueError(f"guard {guard.guard_id}: {exc}") from exc
        return cls(guard, as_template_matrix(rows), fingers)

    @property
    def refusal(self) -> Refusal | None:
        """The first reason the guard may not go on duty here today, or None."""
        return self.guard.refusals[0] if self.guard.refusals else None

    def verify(self, embedding: npt.ArrayLike) -> float | None:
        """Best cosine similarity with the guard's templates; None when central holds none."""
        if len(self.templates) == 0:
            return None
        return float(np.max(self.templates @ normalise(embedding)))


class _RosterFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["guardpost.roster/1"]
    model: str
    terminal_id: str
    site_id: str
    on: date
    version: str
    issued_at: datetime
    settings: TerminalOverrides = TerminalOverrides()
    guards: list[RosterGuard]


class Roster:
    """The guards of one roster version; ``version`` None: no roster received yet (nobody is judged)."""

    def __init__(
        self,
        entries: Iterable[RosterEntry] = (),
        *,
        version: str | None = None,
        issued_at: datetime | None = None,
        on: date | None = None,
        terminal_id: str = "",
        site_id: str = "",
        settings: TerminalOverrides | None = None,
    ) -> None:
        self.version, self.issued_at, self.on = version, issued_at, on
        self.terminal_id, self.site_id = terminal_id, site_id
        self.settings = settings or TerminalOverrides()  # what central set for this terminal
        self.entries: dict[str, RosterEntry] = {e.guard.guard_id: e for e in entries}
        self._by_key: dict[str, RosterEntry] = {}
        for entry in self.entries.values():
            for key in entry.guard.card_keys:
                self._by_key[key] = entry

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def held(self) -> bool:
        return self.version is not None

    def find(self, kind: CardKind, uid: str) -> RosterEntry | None:
        """The guard holding the tapped card; None for a card not on the roster (or a resident ID card)."""
        try:
            number = from_tap(kind, uid)
        except CardNumberError:
            return None
        if number is None:
            return None
        for key in lookup_keys(number):
            if (entry := self._by_key.get(key)) is not None:
                return entry
        return None

    def save(self, path: Path) -> None:
        if self.version is None or self.issued_at is None or self.on is None:
            raise ValueError("only a received roster is saved")
        document = _RosterFile(
            format=FORMAT, model=MODEL_ID, terminal_id=self.terminal_id, site_id=self.site_id, on=self.on,
            version=self.version, issued_at=self.issued_at, settings=self.settings,
            guards=[e.guard for e in self.entries.values()],
        )  # fmt: skip
        with atomic_writer(path) as handle:
            handle.write(document.model_dump_json(by_alias=True).encode("utf-8"))

    @classmethod
    def load(cls, path: Path) -> Roster:
        """Read a saved roster; TemplateFileError when malformed or of another face model."""
        try:
            document = _RosterFile.model_validate(json.loads(Path(path).read_bytes()))
            if document.model != MODEL_ID:
                raise TemplateFileError(f"{path} holds {document.model} templates; this terminal uses {MODEL_ID}")
            entries = [RosterEntry.of(g) for g in document.guards]
        except (json.JSONDecodeError, UnicodeDecodeError, ValidationError, ValueError) as exc:
            raise TemplateFileError(f"not a roster file ({FORMAT}): {path}: {exc}") from exc
        return cls(entries, version=document.version, issued_at=document.issued_at, on=document.on,
                   terminal_id=document.terminal_id, site_id=document.site_id, settings=document.settings)  # fmt: skip
