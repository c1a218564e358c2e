"""Synthetic people for entity resolution: master-list nominals and subjects to screen against
them, with ground truth.

Pure Python: no Django. :func:`nominals` draws the people on a master list (with households, so
that relatives share an address). :func:`subjects` draws a batch to screen (SAR subjects, a
prison release list...) in which some people are nominals written with the noise real records
carry, some are the *hard strangers* that fool simple matchers (a twin, a father or son with the
same name, a relative at the same address, a namesake, a stranger born the same day) and the
rest are strangers. Each subject keeps its truth: the nominal it really is, or none, and the kind
of noise or stranger it is, so that precision and recall can be measured per kind.

Both are lazy and seeded: a million subjects stream without being held in memory. Every person
is invented; the files :func:`write_people` writes are in the format ``socmaster screen`` reads
(docs/linkage.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from faker import Faker

COLUMNS = ["first_name", "middle_name", "surname", "dob", "gender", "postcode", "phone"]

#: How a subject that is a nominal differs from the nominal's record (each kind's share of
#: true matches; a true match carries one kind, or two with :data:`TWO_KINDS_RATE`).
NOISE_KINDS = {
    "exact": 10,
    "case": 8,  # upper or lower case throughout
    "accent": 3,  # an accent added or dropped (José / Jose)
    "nickname": 10,  # a short form of the forename from the nickname table
    "swapped_forenames": 6,  # first and middle names swapped
    "swapped_names": 4,  # forename and surname swapped
    "typo": 10,  # a letter dropped, doubled or transposed in the surname
    "forename_typo": 3,  # the same in the first name
    "double_barrelled": 6,  # a second surname added, hyphenated or not
    "married": 5,  # surname changed (women), address and phone kept
    "mc_mac": 3,  # Mc and Mac exchanged
    "apostrophe": 3,  # O'Brien / OBrien / O Brien
    "dob_transposed": 8,  # day and month of birth swapped
    "dob_typo": 3,  # one digit of the day or month mistyped
    "dob_missing": 4,
    "postcode_format": 6,  # no space, lower case
    "moved": 6,  # another postcode (half the time in the same district), another phone
    "phone_format": 6,  # +44 7..., (07...) ..., dashes
}
TWO_KINDS_RATE = 0.25
#: People who are not the nominal they resemble.
STRANGER_KINDS = ("twin", "junior", "senior", "relative", "namesake", "same_dob")
SUFFIXES = {"junior": ("Jr", "Jnr", "Junior", "II"), "senior": ("Sr", "Snr", "Senior")}

#: Surnames that exercise the Mc/Mac and O' rules and accented names (added to Faker's).
EXTRA_SURNAMES = [
    "McDonald",
    "MacDonald",
    "McKenzie",
    "MacKenzie",
    "McLeod",
    "MacLeod",
    "McGregor",
    "O'Brien",
    "O'Neill",
    "O'Connor",
    "O'Sullivan",
    "Núñez",
    "Müller",
    "Ahmed",
    "Khan",
    "Hussain",
    "Begum",
    "Patel",
    "Nowak",
    "Kowalski",
]
EXTRA_FORENAMES = {"male": ["José", "Jérôme", "Mohammed", "Ahmed"], "female": ["Zoë", "Chloé"]}
ACCENTS = str.maketrans("eEoOaAuUcC", "éÉöÖáÁüÜçÇ")


@dataclass(slots=True)
class Person:
    id: str
    first_name: str
    middle_name: str
    surname: str
    dob: dt.date | None
    gender: str
    postcode: str
    phone: str

    def row(self) -> list[str]:
        dob = self.dob.isoformat() if self.dob else ""
        parts = [self.first_name, self.middle_name, self.surname, dob, self.gender]
        return [self.id, *parts, self.postcode, self.phone]


@dataclass(slots=True)
class Subject:
    person: Person
    nominal: str | None  # the nominal this subject really is (None: a stranger)
    kind: str  # the noise kind(s) ("typo+moved") or the stranger kind; "stranger" otherwise
    resembles: str | None = None  # a hard stranger: the nominal it resembles


class _Pools:
    def __init__(self, seed) -> None:
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        self.male = sorted({fake.first_name_male() for _ in range(3000)}) + EXTRA_FORENAMES["male"]
        self.female = (
            sorted({fake.first_name_female() for _ in range(3000)}) + EXTRA_FORENAMES["female"]
        )
        self.family = sorted({fake.last_name() for _ in range(5000)}) + EXTRA_SURNAMES
        self.districts = sorted({fake.postcode().split()[0] for _ in range(4000)})
        self.nicknames = _nickname_table()

    def forename(self, rng: random.Random, gender: str) -> str:
        return rng.choice(self.male if gender == "M" else self.female)


def _nickname_table() -> dict[str, list[str]]:
    """Formal name -> its short forms, from the maintained nickname dataset."""
    from nicknames import NickNamer

    lookup = NickNamer().nickname_lookup
    return {name: sorted(short) for name, short in lookup.items() if short}


def _postcode(rng: random.Random, district: str) -> str:
    return f"{district} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


def _phone(rng: random.Random) -> str:
    return f"07{rng.randrange(100, 1000)} {rng.randrange(100000, 1000000)}"


def _dob(rng: random.Random, lo: int = 1950, span: int = 55) -> dt.date:
    return dt.date(lo, 1, 1) + dt.timedelta(days=rng.randrange(365 * span))


def _typo(rng: random.Random, name: str) -> str:
    if len(name) < 4:
        return name + name[-1]
    i = rng.randint(1, len(name) - 2)
    kind = rng.random()
    if kind < 0.4 and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind < 0.7:
        return name[:i] + name[i + 1 :]
    return name[:i] + name[i] + name[i:]


def nominals(count: int, seed: int = 1) -> list[Person]:
    """``count`` master-list nominals, in households of one to four sharing a postcode."""
    rng = random.Random(f"{seed}:linkage-nominals")
    pools = _Pools(f"{seed}:linkage-pools")
    out: list[Person] = []
    while len(out) < count:
        surname = rng.choice(pools.family)
        postcode = _postcode(rng, rng.choice(pools.districts)) if rng.random() < 0.85 else ""
        for _ in range(min(count - len(out), rng.choice((1, 1, 1, 2, 2, 3, 4)))):
            gender = "M" if rng.random() < 0.8 else "F"
            out.append(
                Person(
                    id=f"SYN-NOM-{len(out) + 1:06d}",
                    first_name=pools.forename(rng, gender),
                    middle_name=pools.forename(rng, gender) if rng.random() < 0.5 else "",
                    surname=surname,
                    dob=_dob(rng) if rng.random() < 0.97 else None,
                    gender=gender,
                    postcode=postcode,
                    phone=_phone(rng) if rng.random() < 0.6 else "",
                )
            )
    return out


def _noise(rng: random.Random, pools: _Pools, p: Person, kind: str) -> bool:
    """Apply one kind of noise to ``p`` in place; False where it cannot apply to this person."""
    if kind == "exact":
        return True
    if kind == "case":
        f = str.upper if rng.random() < 0.7 else str.lower
        p.first_name, p.middle_name, p.surname = map(f, (p.first_name, p.middle_name, p.surname))
        return True
    if kind == "accent":
        changed = p.first_name.translate(ACCENTS) if rng.random() < 0.5 else p.first_name
        if changed == p.first_name:
            changed = p.surname.translate(ACCENTS)
            if changed == p.surname:
                return False
            p.surname = changed
        else:
            p.first_name = changed
        return True
    if kind == "nickname":
        short = pools.nicknames.get(p.first_name.lower())
        if not short:
            return False
        p.first_name = rng.choice(short).title()
        return True
    if kind == "swapped_forenames":
        if not p.middle_name:
            return False
        p.first_name, p.middle_name = p.middle_name, p.first_name
        return True
    if kind == "swapped_names":
        p.first_name, p.surname = p.surname, p.first_name
        return True
    if kind == "typo":
        p.surname = _typo(rng, p.surname)
        return True
    if kind == "forename_typo":
        if len(p.first_name) < 5:
            return False
        p.first_name = _typo(rng, p.first_name)
        return True
    if kind == "double_barrelled":
        other = rng.choice(pools.family)
        p.surname = f"{p.surname}-{other}" if rng.random() < 0.7 else f"{other} {p.surname}"
        return True
    if kind == "married":
        if p.gender != "F":
            return False
        p.surname = rng.choice(pools.family)
        return True
    if kind == "mc_mac":
        low = p.surname.lower()
        if low.startswith("mc"):
            p.surname = "Mac" + p.surname[2:]
        elif low.startswith("mac"):
            p.surname = "Mc" + p.surname[3:]
        else:
            return False
        return True
    if kind == "apostrophe":
        if not p.surname.startswith("O'"):
            return False
        p.surname = ("O" if rng.random() < 0.5 else "O ") + p.surname[2:]
        return True
    if kind == "dob_transposed":
        d = p.dob
        if not d or d.day > 12 or d.day == d.month:
            return False
        p.dob = d.replace(day=d.month, month=d.day)
        return True
    if kind == "dob_typo":
        d = p.dob
        if not d:
            return False
        day = d.day + (10 if d.day < 19 else -10) if rng.random() < 0.5 else d.day
        if day == d.day:
            day = d.day + 1 if d.day < 28 else d.day - 1
        p.dob = d.replace(day=day)
        return True
    if kind == "dob_missing":
        p.dob = None
        return True
    if kind == "postcode_format":
        if not p.postcode:
            return False
        p.postcode = (
            p.postcode.replace(" ", "").lower() if rng.random() < 0.5 else p.postcode.lower()
        )
        return True
    if kind == "moved":
        near = p.postcode and rng.random() < 0.5
        district = p.postcode.split()[0] if near else rng.choice(pools.districts)
        p.postcode = _postcode(rng, district)
        p.phone = _phone(rng) if rng.random() < 0.5 else ""
        return True
    if kind == "phone_format":
        if not p.phone:
            return False
        digits = p.phone.replace(" ", "")
        p.phone = rng.choice(
            [
                f"+44 {digits[1:5]} {digits[5:]}",
                f"({digits[:5]}) {digits[5:]}",
                f"{digits[:5]}-{digits[5:8]}-{digits[8:]}",
                f"0044{digits[1:]}",
            ]
        )
        return True
    raise ValueError(f"unknown noise kind {kind!r}")


def _copy(p: Person, new_id: str) -> Person:
    return Person(
        new_id, p.first_name, p.middle_name, p.surname, p.dob, p.gender, p.postcode, p.phone
    )


def _stranger_like(rng: random.Random, pools: _Pools, n: Person, kind: str, new_id: str) -> Person:
    """A different person who resembles nominal ``n`` in the way ``kind`` names."""
    p = _copy(n, new_id)
    p.phone = _phone(rng) if rng.random() < 0.5 else ""
    if kind == "twin":  # same surname, birth date and address; another forename
        while p.first_name == n.first_name or p.first_name in pools.nicknames.get(
            n.first_name.lower(), ()
        ):
            p.gender = "M" if rng.random() < 0.5 else "F"
            p.first_name = pools.forename(rng, p.gender)
        p.middle_name = pools.forename(rng, p.gender) if rng.random() < 0.5 else ""
    elif kind in ("junior", "senior"):  # same name and address, a generation apart
        years = rng.randint(19, 38) * (1 if kind == "junior" else -1)
        base = n.dob or _dob(rng)
        p.dob = base.replace(year=min(2008, max(1925, base.year + years)), day=min(base.day, 28))
        if rng.random() < 0.6:
            p.surname = f"{p.surname} {rng.choice(SUFFIXES[kind])}"
        p.middle_name = p.middle_name if rng.random() < 0.5 else ""
    elif kind == "relative":  # same surname and address; another forename and birth date
        p.gender = "M" if rng.random() < 0.5 else "F"
        p.first_name = pools.forename(rng, p.gender)
        p.middle_name = ""
        p.dob = _dob(rng)
    elif kind == "namesake":  # same name, born another day, living elsewhere
        p.dob = _dob(rng)
        p.postcode = _postcode(rng, rng.choice(pools.districts))
        p.middle_name = pools.forename(rng, p.gender) if rng.random() < 0.3 else ""
    elif kind == "same_dob":  # born the same day, otherwise nothing alike
        p.gender = "M" if rng.random() < 0.7 else "F"
        p.first_name = pools.forename(rng, p.gender)
        p.middle_name = ""
        p.surname = rng.choice(pools.family)
        p.postcode = _postcode(rng, rng.choice(pools.districts))
    else:
        raise ValueError(f"unknown stranger kind {kind!r}")
    return p


def subjects(
    noms: list[Person],
    count: int,
    *,
    seed: int = 1,
    true_rate: float = 0.08,
    hard_rate: float = 0.04,
    kinds: Iterable[str] | None = None,
) -> Iterator[Subject]:
    """``count`` subjects: ``true_rate`` of them nominals written with noise, ``hard_rate`` hard
    strangers resembling a nominal, the rest strangers who share nothing with any nominal's
    name and birth date. ``kinds`` limits the noise kinds drawn, one to a subject, each on a
    nominal it can apply to (the tests use one kind at a time)."""
    rng = random.Random(f"{seed}:linkage-subjects")
    pools = _Pools(f"{seed}:linkage-pools")
    weighted = NOISE_KINDS if kinds is None else {k: NOISE_KINDS[k] for k in kinds}
    names, weights = list(weighted), list(weighted.values())
    known = {(n.first_name, n.surname, n.dob) for n in noms}
    for i in range(count):
        sid = f"SYN-SUB-{i + 1:07d}"
        roll = rng.random()
        if noms and roll < true_rate:
            for _ in range(1 if kinds is None else 200):  # given kinds: a nominal they fit
                n = noms[rng.randrange(len(noms))]
                p = _copy(n, sid)
                k = 2 if kinds is None and rng.random() < TWO_KINDS_RATE else 1
                wanted = rng.choices(names, weights, k=k)
                applied = [k for k in dict.fromkeys(wanted) if _noise(rng, pools, p, k)]
                if applied:
                    break
            yield Subject(p, n.id, "+".join(applied) or "exact")
        elif noms and roll < true_rate + hard_rate:
            n = noms[rng.randrange(len(noms))]
            kind = rng.choice(STRANGER_KINDS)
            yield Subject(_stranger_like(rng, pools, n, kind, sid), None, kind, n.id)
        else:
            gender = "M" if rng.random() < 0.6 else "F"
            p = Person(
                sid,
                pools.forename(rng, gender),
                pools.forename(rng, gender) if rng.random() < 0.3 else "",
                rng.choice(pools.family),
                _dob(rng) if rng.random() < 0.9 else None,
                gender,
                _postcode(rng, rng.choice(pools.districts)) if rng.random() < 0.8 else "",
                _phone(rng) if rng.random() < 0.5 else "",
            )
            while (p.first_name, p.surname, p.dob) in known:
                p.dob = _dob(rng)
            yield Subject(p, None, "stranger")


def write_people(
    nominal_rows: Iterable[Person], subject_rows: Iterable[Subject], directory: str | Path
) -> dict[str, int]:
    """Write ``nominals.csv``, ``subjects.csv`` and ``truth.csv`` (subject_id, nominal_id, kind,
    resembles) into ``directory``; returns the row counts."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    counts = {"nominals": 0, "subjects": 0}
    with open(directory / "nominals.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", *COLUMNS])
        for p in nominal_rows:
            w.writerow(p.row())
            counts["nominals"] += 1
    with (
        open(directory / "subjects.csv", "w", newline="", encoding="utf-8") as f,
        open(directory / "truth.csv", "w", newline="", encoding="utf-8") as t,
    ):
        w, tw = csv.writer(f), csv.writer(t)
        w.writerow(["subject_id", *COLUMNS])
        tw.writerow(["subject_id", "nominal_id", "kind", "resembles"])
        for s in subject_rows:
            w.writerow(s.person.row())
            tw.writerow([s.person.id, s.nominal or "", s.kind, s.resembles or ""])
            counts["subjects"] += 1
    return counts


def read_truth(path: str | Path | IO[str]) -> dict[str, str]:
    """subject_id -> nominal_id for the subjects that are nominals, from a ``truth.csv``."""
    f = open(path, newline="", encoding="utf-8") if isinstance(path, str | Path) else path
    with f:
        return {r["subject_id"]: r["nominal_id"] for r in csv.DictReader(f) if r["nominal_id"]}
