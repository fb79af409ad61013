"""The city's registry and its month of check-ins, generated inside PostgreSQL.

Everything but the guards is ``INSERT ... SELECT`` over ``generate_series``: the
check-ins one statement per day, so that a month of 12 million rows streams
through the server and never through Python. Guards go in by ``COPY``: their ID
numbers are sealed with the database's key (``central.db.sealing``), which only
Python holds.

Shape (``Plan``): security companies of very unequal size (the largest holds
about 4 % of the guards, the smallest a few dozen); ten guards per site, five
on the day shift (08:00-20:00) and five on the night shift (20:00-08:00), every
day; property firms manage the sites, police stations cover them; one terminal
for every other site. A guard misses about 3 % of the days and otherwise taps
four times (in, out for the meal, back in, out), a few minutes either side of
the shift's ends; about 1 % of taps break a rule, the taps of the guards whose
certificate was revoked all do; one tap in 100,000 matches a wanted person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import psycopg

from central.checkins.rules import CATALOGUE
from central.db.sealing import IdCipher
from protocol.id_number import check_character

# A rule broken at random, per 10,000 taps (the revoked guards' taps come on top).
VIOLATION_RATES = {"NO_FACE": 60, "FACE_MISMATCH": 20, "NO_SERVICE_CONTRACT": 10, "LEVEL_INSUFFICIENT": 10}
ABSENT_PER_MILLE = 30
REVOKED_PER_MILLE = 5  # guards whose certificate was revoked before the month: every tap breaks CERT_REVOKED
WANTED_PER_MILLION = 10


@dataclass(frozen=True, slots=True)
class Plan:
    guards: int
    sites: int
    terminals: int
    first: date
    days: int

    @property
    def companies(self) -> int:
        return max(2, self.guards // 250)

    @property
    def firms(self) -> int:
        return max(1, self.sites // 100)

    @property
    def jurisdictions(self) -> int:
        return max(1, self.sites // 100)

    def company_of_site(self, site: int) -> int:
        """Quadratic: company 0 serves the first ~4.5 % of sites, the last ones a handful each."""
        return min(self.companies - 1, int(self.companies * (site / self.sites) ** 2))


def company_id(n: int) -> str:
    return f"BC{n:04d}"


def site_id(n: int) -> str:
    return f"BS{n:05d}"


def jurisdiction(n: int) -> str:
    return f"110105-J{n:03d}"


def seed(conn: psycopg.Connection[Any], plan: Plan, cipher: IdCipher) -> None:
    """The registry and the month into an empty schema (central's, at head); commits step by step."""
    conn.execute("SET synchronous_commit = off")
    _registry(conn, plan)
    _guards(conn, plan, cipher)
    _roster(conn, plan)
    for day in range(plan.days):
        _checkins(conn, plan, day)
        conn.commit()
    # The claims of the event ids (central.checkins.store writes them first); violations and alerts refer to them.
    conn.execute("INSERT INTO checkinevent (event_id, occurred_at, content_hash) SELECT event_id, occurred_at, "
                 "content_hash FROM checkin")  # fmt: skip
    _violations(conn, plan)
    _alerts(conn, plan)
    conn.commit()
    conn.execute("ANALYZE")


def _registry(conn: psycopg.Connection[Any], plan: Plan) -> None:
    c, f, s, j = plan.companies, plan.firms, plan.sites, plan.jurisdictions
    conn.execute(
        """INSERT INTO company (id, name_zh, name_en, kind, region)
        SELECT 'BC' || lpad(n::text, 4, '0'), '城市保安服务公司' || n, 'City Security ' || n, 'security_company',
               '110105'
        FROM generate_series(0, %(c)s - 1) n
        UNION ALL
        SELECT 'BF' || lpad(n::text, 3, '0'), '城市物业公司' || n, 'City Property ' || n, 'self_recruiting', '110105'
        FROM generate_series(0, %(f)s - 1) n""",
        {"c": c, "f": f},
    )
    conn.execute(
        """INSERT INTO companycredential (company_id, kind, number, valid_from)
        SELECT id, CASE kind WHEN 'security_company' THEN 'licence' ELSE 'filing' END, '京公保' || id, DATE '2020-01-01'
        FROM company"""
    )
    # Site n is served by company floor(c * (n/s)^2): Plan.company_of_site, in SQL.
    conn.execute(
        """CREATE TEMP TABLE city_site AS
        SELECT n, 'BS' || lpad(n::text, 5, '0') AS id,
               'BC' || lpad(least(%(c)s - 1, floor(%(c)s * (n::float8 / %(s)s) ^ 2))::int::text, 4, '0') AS company
        FROM generate_series(0, %(s)s - 1) n""",
        {"c": c, "s": s},
    )
    conn.execute(
        """INSERT INTO site (id, name_zh, name_en, kind, address, region, jurisdiction, managed_by, timezone,
                             check_policy)
        SELECT id, '城市小区' || n, 'City compound ' || n,
               (ARRAY['residential','office','residential','school','hospital','other'])[n %% 6 + 1],
               '朝阳区某路' || n || '号', '110105', '110105-J' || lpad((n %% %(j)s)::text, 3, '0'),
               'BF' || lpad(((n / 7) %% %(f)s)::text, 3, '0'), 'Asia/Shanghai', 'face'
        FROM city_site""",
        {"j": j, "f": f},
    )
    conn.execute(
        """INSERT INTO servicecontract (company_id, site_id, valid_from, valid_to, contract_number)
        SELECT company, id, DATE '2026-01-01', DATE '2027-12-31', 'HT-' || id FROM city_site"""
    )
    conn.execute(
        """INSERT INTO terminal (id, site_id, post_name_zh, post_name_en)
        SELECT 'BT' || lpad(n::text, 5, '0'), 'BS' || lpad((n * 2 %% %(s)s)::text, 5, '0'), '大门岗', 'main gate'
        FROM generate_series(0, %(t)s - 1) n""",
        {"s": s, "t": plan.terminals},
    )


def _id_number(n: int) -> str:
    """Unique per guard: a birthday per thousand guards, the serial within it."""
    born = date(1970, 1, 1) + timedelta(days=7 * (n // 1000))
    first17 = f"110105{born:%Y%m%d}{n % 1000:03d}"
    return first17 + check_character(first17)


def _guards(conn: psycopg.Connection[Any], plan: Plan, cipher: IdCipher) -> None:
    """Guard n works at site n // 10 (cycling when there are fewer sites), for that site's company."""
    conn.execute(
        """CREATE TEMP TABLE city_guard AS
        SELECT g AS n, 'BG' || lpad(g::text, 6, '0') AS id, s.id AS site_id, s.company AS employer_id,
               g %% 10 < 5 AS day_shift, (g * 7919) %% 1000 < %(revoked)s AS revoked
        FROM generate_series(0, %(g)s - 1) g JOIN city_site s ON s.n = (g / 10) %% %(s)s""",
        {"g": plan.guards, "s": plan.sites, "revoked": REVOKED_PER_MILLE},
    )
    surnames, given = "王李张刘陈杨黄赵吴周", "伟芳娜敏静强磊军洋勇艳杰涛明超"
    conn.execute("CREATE TEMP TABLE city_guard_in (id text, name_zh text, name_en text, sealed text, hash text)")
    with conn.cursor() as cur, cur.copy("COPY city_guard_in FROM STDIN") as copy:
        for n in range(plan.guards):
            number = _id_number(n)
            name = surnames[n % 10] + given[(n // 10) % 15] + given[(n // 150) % 15]
            copy.write_row((f"BG{n:06d}", name, f"Guard {n}", cipher.seal(number), cipher.lookup_hash(number)))
    conn.execute(
        """INSERT INTO guard (id, name_zh, name_en, id_number, id_number_hash, employer_id, level)
        SELECT i.id, i.name_zh, i.name_en, i.sealed, i.hash, g.employer_id, 5
        FROM city_guard_in i JOIN city_guard g ON g.id = i.id"""
    )
    conn.execute(
        """INSERT INTO employment (guard_id, company_id, valid_from)
        SELECT id, employer_id, DATE '2025-01-01' FROM city_guard"""
    )
    conn.execute(
        """INSERT INTO certificate (number, guard_id, issued_on, revoked_on, revoke_reason)
        SELECT '京保证' || id, id, DATE '2020-04-08', CASE WHEN revoked THEN DATE '2025-06-01' END,
               CASE WHEN revoked THEN '违反条例 第45条被吊销' END
        FROM city_guard"""
    )


def _roster(conn: psycopg.Connection[Any], plan: Plan) -> None:
    conn.execute(
        """INSERT INTO shift (site_id, name_zh, name_en, starts, ends, late_grace_min, early_grace_min)
        SELECT id, '白班', 'day shift', TIME '08:00', TIME '20:00', 5, 5 FROM city_site
        UNION ALL
        SELECT id, '夜班', 'night shift', TIME '20:00', TIME '08:00', 5, 5 FROM city_site"""
    )
    conn.execute(
        """INSERT INTO shiftassignment (shift_id, guard_id, valid_from, weekdays)
        SELECT s.id, g.id, %(first)s, '1234567'
        FROM city_guard g JOIN shift s ON s.site_id = g.site_id AND s.name_zh = CASE WHEN g.day_shift THEN '白班'
                                                                                   ELSE '夜班' END""",
        {"first": plan.first},
    )


def _checkins(conn: psycopg.Connection[Any], plan: Plan, day: int) -> None:
    """One day's taps: four per guard-day around the shift (minutes from its start: arrivals up to 8 minutes
    late, about one in eight past the grace; the meal break; the last tap out around the end)."""
    on = plan.first + timedelta(days=day)
    conn.execute(
        """INSERT INTO checkin (event_id, terminal_id, seq, occurred_at, received_at, site_id, guard_id, employer_id,
                             card_kind, card_uid, direction, face_status, verify_score, verify_threshold,
                             decision_outcome, decision_code, photo_path, raw_event)
        SELECT e, terminal, seq, at, at + interval '2 seconds', site_id, id, employer_id, 'iso14443a', uid,
               direction, 'OK', score, 0.363, 'accepted', 'OK', 'photos/' || to_char(at, 'YYYY/MM/DD/') || e || '.jpg',
               json_build_object('schema', 'guardpost.checkin/1', 'event_id', e, 'terminal_id', terminal,
                   'seq', seq, 'occurred_at', at, 'card', json_build_object('kind', 'iso14443a', 'uid', uid),
                   'direction', direction, 'photo', json_build_object('sha256', md5(e::text) || md5(uid)),
                   'face', json_build_object('detected', true, 'quality', 0.91, 'verify_score', score),
                   'decision', json_build_object('outcome', 'accepted', 'code', 'OK'))::text
        FROM (
            SELECT gen_random_uuid() AS e, g.id, g.site_id, g.employer_id,
                   'BT' || lpad(((substr(g.site_id, 3)::int / 2) %% %(t)s)::text, 5, '0') AS terminal,
                   (%(day)s::int * %(g)s::int + g.n) * 4 + k AS seq,
                   (%(on)s::date + CASE WHEN g.day_shift THEN TIME '08:00' ELSE TIME '20:00' END)
                       AT TIME ZONE 'Asia/Shanghai' + interval '1 minute' * CASE k
                       WHEN 1 THEN -15 + random() * 23 WHEN 2 THEN 240 + random() * 30
                       WHEN 3 THEN 290 + random() * 30 ELSE 710 + random() * 25 END AS at,
                   CASE WHEN k %% 2 = 1 THEN 'in' ELSE 'out' END AS direction,
                   to_hex(3000000000 + g.n) AS uid, round((0.55 + random() * 0.4)::numeric, 3)::float8 AS score
            FROM city_guard g CROSS JOIN generate_series(1, 4) k
            WHERE abs(hashint4(g.n * 31 + %(day)s::int * 7919)) %% 1000 >= %(absent)s
        ) tap""",
        {"t": plan.terminals, "day": day, "g": plan.guards, "on": on, "absent": ABSENT_PER_MILLE},
    )


def _violations(conn: psycopg.Connection[Any], plan: Plan) -> None:
    codes, bounds, total = [], [], 0
    for code, rate in VIOLATION_RATES.items():
        total += rate
        codes.append(code)
        bounds.append(total)
    reasons = {code: CATALOGUE[code] for code in [*codes, "CERT_REVOKED"]}
    conn.execute("""CREATE TEMP TABLE city_reason (code text PRIMARY KEY, zh text, en text, article text)""")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO city_reason VALUES (%s, %s, %s, %s)", [(c, *r) for c, r in reasons.items()])
    conn.execute(
        """INSERT INTO violation (event_id, occurred_at, site_id, code, reason_zh, reason_en, article)
        SELECT v.event_id, v.occurred_at, v.site_id, r.code, r.zh, r.en, r.article
        FROM (SELECT event_id, occurred_at, site_id, (%(codes)s::text[])[
                  (SELECT count(*) FROM unnest(%(bounds)s::int[]) b WHERE b <= pick) + 1] AS code
              FROM (SELECT event_id, occurred_at, site_id, floor(random() * 10000)::int AS pick FROM checkin) c
              WHERE pick < %(total)s) v
        JOIN city_reason r ON r.code = v.code""",
        {"codes": codes, "bounds": bounds, "total": total},
    )
    conn.execute(
        """INSERT INTO violation (event_id, occurred_at, site_id, code, reason_zh, reason_en, article)
        SELECT c.event_id, c.occurred_at, c.site_id, r.code, r.zh, r.en, r.article
        FROM checkin c JOIN city_guard g ON g.id = c.guard_id AND g.revoked
        JOIN city_reason r ON r.code = 'CERT_REVOKED'"""
    )
    conn.execute(
        "UPDATE checkin SET decision_outcome = 'refused', decision_code = 'CERT_REVOKED' "
        "FROM city_guard g WHERE g.id = checkin.guard_id AND g.revoked"
    )


def _alerts(conn: psycopg.Connection[Any], plan: Plan) -> None:
    conn.execute(
        """INSERT INTO alert (alert_id, watchlist_entry_id, watchlist_name, score, matched_by, terminal_id, site_id,
                           jurisdiction, status, occurred_at, created_at, status_changed_at, notified_at)
        SELECT c.event_id, 'W-' || lpad((abs(hashint4(c.seq)) %% 500)::text, 4, '0'), '网上逃犯', 0.52, 'face',
               c.terminal_id, c.site_id, s.jurisdiction,
               (ARRAY['new','acknowledged','dispatched','false_positive','closed'])[1 + abs(hashint4(c.seq)) %% 5],
               c.occurred_at, c.received_at, c.received_at + interval '10 minutes', c.received_at
        FROM checkin c JOIN site s ON s.id = c.site_id
        WHERE random() < %(rate)s""",
        {"rate": WANTED_PER_MILLION / 1_000_000},
    )
