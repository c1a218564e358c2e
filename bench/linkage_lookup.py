"""Possible matches as a person is typed in, through the product: p95 ≤ 50 ms against 40,000
nominals.

    .venv/bin/python -m bench.linkage_lookup [--nominals 40000] [--lookups 500] [--seed 1]

Builds a fresh SQLite database in a temporary directory with the organisations and 40,000
synthetic nominals (``synth.people``, the linkage benchmark's truth set), puts a matching model
into use (the one ``bench.linkage`` trained, if it is cached under ``var/bench/linkage``; else it
trains one on the same people), then, for an analyst, times:

- **page**: ``/linkage/lookup/`` as the nominal form asks it with htmx as the user types (the
  whole request: the form, the access policy, the lookup, the search log entry, the partial);
- **service**: ``linkage.services.possible_matches`` alone.

The first lookup builds the table of nominals kept in the process; it is timed apart. People
looked up are synthetic subjects: nominals written with noise, hard strangers and strangers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 50


def _model(nominals: int, seed: int):
    from socmaster.linkage.engine import Model, prepare, train
    from socmaster.synth import people

    cached = ROOT / "var" / "bench" / "linkage" / f"{nominals}-1000000-{seed}" / "model.json"
    if cached.exists():
        return Model.from_json(cached.read_text(encoding="utf-8")), f"cached {cached}"
    import pandas as pd

    noms = people.nominals(nominals, seed=seed)
    subjects = [s.person for s in people.subjects(noms, nominals * 5, seed=seed)]

    def frame(persons, column):
        return pd.DataFrame([p.row() for p in persons], columns=[column, *people.COLUMNS])

    return train(
        prepare(frame(noms, "id"), "id"), prepare(frame(subjects, "subject_id"), "subject_id")
    ), "trained"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nominals", type=int, default=40_000)
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        from bench.harness import fresh_django

        fresh_django(tmp)
        from django.conf import settings
        from django.test import Client
        from django.utils import timezone

        from bench.harness import percentile
        from socmaster.linkage import services
        from socmaster.linkage.choices import ModelStatus
        from socmaster.linkage.models import LinkageModel
        from socmaster.organisations.models import Membership, Organisation, User
        from socmaster.synth import people
        from socmaster.threats.models import Nominal

        settings.ALLOWED_HOSTS = ["*"]
        durham = Organisation.objects.get(key="force-durham")
        user = User.objects.create_user("bench-analyst", password="bench-password-1")
        Membership.objects.create(user=user, organisation=durham, role="analyst")

        started = time.perf_counter()
        noms = people.nominals(args.nominals, seed=args.seed)
        gender = {"M": "male", "F": "female"}
        Nominal.objects.bulk_create(
            (
                Nominal(
                    reference=f"NOM-B-{n}",
                    family_name=p.surname,
                    given_names=f"{p.first_name} {p.middle_name}".strip(),
                    date_of_birth=p.dob,
                    gender=gender.get(p.gender, "unknown"),
                    owner=durham,
                    handling="national",
                )
                for n, p in enumerate(noms)
            ),
            batch_size=2000,
        )
        model, how = _model(args.nominals, args.seed)
        LinkageModel.objects.create(
            version=1, status=ModelStatus.IN_USE, model=model.to_dict(), trained_at=timezone.now()
        )
        print(
            f"{args.nominals:,} nominals loaded and the model ({how}) put into use "
            f"in {time.perf_counter() - started:.1f} s"
        )

        rng = random.Random(args.seed)
        subjects = list(people.subjects(noms, args.lookups * 4, seed=args.seed + 1))
        persons = [s.person for s in rng.sample(subjects, args.lookups)]

        client = Client()
        client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])

        def params(p):
            q = {"given_names": f"{p.first_name} {p.middle_name}".strip(), "family_name": p.surname}
            if p.dob:
                q |= {"date_of_birth_day": p.dob.day, "date_of_birth_month": p.dob.month}
                q |= {"date_of_birth_year": p.dob.year}
            return q

        first = time.perf_counter()
        response = client.get("/linkage/lookup/", params(persons[0]), HTTP_HX_REQUEST="true")
        build_ms = (time.perf_counter() - first) * 1000
        assert response.status_code == 200, response.status_code

        page, service, found = [], [], 0
        for p in persons:
            t0 = time.perf_counter()
            response = client.get("/linkage/lookup/", params(p), HTTP_HX_REQUEST="true")
            page.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
            found += b'data-testid="possible-matches"' in response.content
            record = {
                "first_name": p.first_name,
                "middle_name": p.middle_name,
                "surname": p.surname,
                "dob": p.dob.isoformat() if p.dob else "",
            }
            t0 = time.perf_counter()
            services.possible_matches(user, record)
            service.append((time.perf_counter() - t0) * 1000)

        results = {
            "nominals": args.nominals,
            "lookups": args.lookups,
            "first_lookup_ms": build_ms,
            "page_p50_ms": percentile(page, 50),
            "page_p95_ms": percentile(page, 95),
            "service_p50_ms": percentile(service, 50),
            "service_p95_ms": percentile(service, 95),
            "with_possible_matches": found,
        }
        print(f"first lookup (builds the table of nominals): {build_ms:.0f} ms")
        for label in ("page", "service"):
            p95 = results[f"{label}_p95_ms"]
            print(
                f"  {label:<8} p50 {results[f'{label}_p50_ms']:6.1f} ms   p95 {p95:6.1f} ms   "
                f"{'✓' if p95 <= TARGET_P95_MS else '✗'} target p95 ≤ {TARGET_P95_MS} ms"
            )
        print(f"  {found} of {args.lookups} people had possible matches shown")
        out = ROOT / "bench" / "results" / f"linkage-lookup-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1))
        print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
