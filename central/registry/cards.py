"""Cards of record: one card, one number, one holder at a time, found by a tap from any reader family.

A card is registered by whatever form people have of its number (the printed
decimal, ``FFF,CCCCC``, hex; ``protocol.cards`` reads them) and stored by its
canonical number (``Card.uid``, e.g. ``em4100:003B51C6``) with every key a tap
may look it up under (``CardKey``: a tap from a Wiegand-26 reader knows 24 of
an EM4100 fob's 40 bits). A key belongs to one card: two cards a reader could
not tell apart are refused when the second is registered, never a wrong guard
at a tap. Who holds a card is dated history (``CardIssue``): a card is issued
to a guard from a day, returned on a day, and only then issued to someone
else; a tap finds the holder of its local day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Field, Session, SQLModel, col, select

from central.errors import Conflict, NotFound, Unprocessable
from central.registry.employment import SINCE_ALWAYS
from central.registry.models import Card, Guard
from protocol.cards import CardNumber, CardNumberError, CardTech, Understood, match_keys, parse_card

# How people name a card's technology in lists: the reader kinds and the Chinese words for the cards.
TECH_WORDS: dict[str, CardTech] = {
    "em4100": CardTech.EM4100,
    "id": CardTech.EM4100,
    "id卡": CardTech.EM4100,
    "125k": CardTech.EM4100,
    "wiegand26": CardTech.EM4100,
    "wiegand34": CardTech.EM4100,
    "iso14443a": CardTech.ISO14443A,
    "mifare": CardTech.ISO14443A,
    "ic": CardTech.ISO14443A,
    "ic卡": CardTech.ISO14443A,
    "m1": CardTech.ISO14443A,
}


class CardKey(SQLModel, table=True):
    """One key a tap may find ``card_uid`` under (``protocol.cards.match_keys``); unique across cards."""

    key: str = Field(primary_key=True, max_length=64)
    card_uid: str = Field(foreign_key="card.uid", index=True, max_length=64)


class CardIssue(SQLModel, table=True):
    """A card held by a guard from ``issued_on`` until the day before ``returned_on`` (None: still)."""

    id: int | None = Field(default=None, primary_key=True)
    card_uid: str = Field(foreign_key="card.uid", index=True, max_length=64)
    guard_id: str = Field(foreign_key="guard.id", index=True)
    issued_on: date
    returned_on: date | None = None


class CardRefused(Conflict):
    code = "registry.card_refused"

    def __init__(self, message: str, card_uid: str | None = None) -> None:
        super().__init__(message)
        self.card_uid = card_uid  # the card of record the refusal is about


@dataclass(frozen=True, slots=True)
class Issued:
    card: Card
    understood: Understood  # the form the operator's text was read as
    new: bool  # False: the card was already this guard's


def tech_of(word: str | None) -> CardTech:
    """The technology named in a list or request (default: an IC card, ISO 14443A)."""
    if not word:
        return CardTech.ISO14443A
    found = TECH_WORDS.get(word.strip().lower())
    if found is None:
        raise Unprocessable(
            f"卡类型无效 / card kind {word!r} is not one of {', '.join(sorted(TECH_WORDS))}", code="registry.card_kind"
        )
    return found


def read_number(text: str, tech: CardTech) -> Understood:
    try:
        return parse_card(text, tech)
    except CardNumberError as exc:
        raise Unprocessable(str(exc), code="registry.card_number") from exc


def holder_on(issues: Iterable[CardIssue], on: date) -> str | None:
    """Who held the card on ``on``."""
    for issue in issues:
        if issue.issued_on <= on and (issue.returned_on is None or on < issue.returned_on):
            return issue.guard_id
    return None


def issue(session: Session, text: str, tech: CardTech, guard: Guard, since: date | None = None) -> Issued:
    """Register (if new) and issue the card ``text`` to ``guard`` from ``since``; flushes.

    Raises CardRefused when the card is another guard's (return it first) or when
    a reader could not tell it from a registered card, naming that card and its holder.
    """
    understood = read_number(text, tech)
    number = understood.number
    card = session.get(Card, number.canonical)
    if card is None:
        _refuse_ambiguous(session, number)
        card = Card(uid=number.canonical, kind=number.tech.value, guard_id=None, printed=text.strip()[:64])
        session.add(card)
        session.flush()
        session.add_all(CardKey(key=key, card_uid=card.uid) for key in match_keys(number))
    elif card.guard_id == guard.id:
        return Issued(card, understood, new=False)
    elif card.guard_id is not None:
        raise CardRefused(
            f"卡 {card.uid} 已发给 {_holder_name(session, card.guard_id)}，须先退卡再发给 {guard.name_zh}"
            f" / card {card.uid} is held by guard {card.guard_id}: return it before issuing it to {guard.id}",
            card.uid,
        )
    session.add(CardIssue(card_uid=card.uid, guard_id=guard.id, issued_on=since or SINCE_ALWAYS))
    card.guard_id = guard.id
    session.add(card)
    session.flush()
    return Issued(card, understood, new=True)


def issue_to(session: Session, text: str, tech: CardTech, guard_id: str, since: date | None = None) -> Issued:
    """``issue`` to the guard of ``guard_id`` (NotFound when there is none)."""
    guard = session.get(Guard, guard_id)
    if guard is None:
        raise NotFound("guard", guard_id)
    return issue(session, text, tech, guard, since)


def return_card(session: Session, card_uid: str, on: date) -> Card:
    """The card is handed back on ``on``: its holder no longer has it from that day. Flushes."""
    card = session.get(Card, card_uid)
    if card is None:
        raise NotFound("record", card_uid)
    open_issue = session.exec(
        select(CardIssue).where(CardIssue.card_uid == card_uid, col(CardIssue.returned_on).is_(None))
    ).first()
    if open_issue is None:
        raise CardRefused(f"卡 {card_uid} 未发出 / card {card_uid} is not held by anyone")
    if on <= open_issue.issued_on:
        raise Unprocessable(
            f"退卡日期须晚于发卡日期 {open_issue.issued_on} / returned on must be after {open_issue.issued_on}",
            code="registry.card_return_day",
        )
    open_issue.returned_on = on
    card.guard_id = None
    session.add_all([open_issue, card])
    session.flush()
    return card


def _refuse_ambiguous(session: Session, number: CardNumber) -> None:
    clash = session.exec(select(CardKey).where(col(CardKey.key).in_(match_keys(number)))).first()
    if clash is None:
        return
    other = session.get(Card, clash.card_uid)
    holder = f"，持卡人 {_holder_name(session, other.guard_id)}" if other and other.guard_id else ""
    raise CardRefused(
        f"读卡器无法区分此卡与已登记的卡 {clash.card_uid}{holder} / a reader could not tell card"
        f" {number.canonical} from registered card {clash.card_uid} (they share {clash.key})",
        clash.card_uid,
    )


def _holder_name(session: Session, guard_id: str) -> str:
    holder = session.get(Guard, guard_id)
    return f"{holder.name_zh} ({guard_id})" if holder else guard_id


def issues_of(session: Session, card_uids: Sequence[str]) -> dict[str, list[CardIssue]]:
    query = select(CardIssue).where(col(CardIssue.card_uid).in_(list(card_uids))).order_by(col(CardIssue.issued_on))
    found: dict[str, list[CardIssue]] = {}
    for row in session.exec(query).all():
        found.setdefault(row.card_uid, []).append(row)
    return found
