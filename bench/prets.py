"""Benchmarks of the loan scheme (prets).

Two functions for ``bench/run.py`` (Django set up, pointed at a benchmark database):

``allocation_suggest_p95_ms(pool, *, requests=200, seed=42) -> dict``
    The devices suggested for an approved request (issue 15: prets.matching.suggest after
    recommended_profile — ready devices of the association of the kind asked for, read in
    three index-ordered slices, ranked by needs met, profile fit, grade and age in stock, each
    explained), with needs on every request, an assessment for the household and profiles and
    adaptations on one ready device in seven, on the pool's big refurbisher. Target: p95
    under 50 ms at 1,000,000 devices on PostgreSQL. Also times the allocation page through the
    whole Django stack and reports the query plan. Its rows (a household, requests,
    profiles) are written in a transaction rolled back at the end: the pool is left as it was.

``reminders_run_s(*, loans=100_000, seed=42) -> dict``
    ``send_loan_reminders`` over ``loans`` open loans whose due dates spread from 60 days ago
    to a year ahead (about one in six is due a reminder: the backlog of a first run; a daily
    run finds about 1/365th of the loans twice). ``email_backend``: "dummy" (the command's own
    work, the headline figure) or "locmem" (plus the MIME serialisation of every message, as an
    SMTP backend does before the network). Target: under 10 s. A second run must send nothing
    (each reminder once). It writes its own devices, requests and loans and deletes them
    afterwards: give it a scratch database.

Standalone: ``python -m bench.prets`` (DATABASE_URL as for ``make bench``; the suggestions
use the ``filiere_bench`` pool, built if missing, the reminders their own database
``filiere_bench_prets`` or ``var/bench-prets.sqlite3``). Prints the figures as JSON.
"""

import datetime as dt
import json
import random
import statistics
import time
from decimal import Decimal

TARGETS = {"allocation_suggest_p95_ms": 50.0, "reminders_run_s": 10.0}


def _p(values: list[float], percent: int) -> float:
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[percent - 1], 2)


def _commune():
    from acteurs.models import Commune, Departement

    commune = Commune.objects.first()
    if commune is None:
        departement, _ = Departement.objects.get_or_create(
            code="28", defaults={"name": "Eure-et-Loir", "region_code": "24"}
        )
        commune = Commune.objects.create(
            insee_code="28085", name="Chartres", departement=departement
        )
    return commune


def _prescriber_side(tag: str):
    """A CCAS, its prescriber, a household with a valid eligibility check."""
    from django.utils import timezone

    from acteurs.models import Household, Membership, Organisation, User
    from prets.models import EligibilityCheck, EligibilityCriterion

    ccas, _ = Organisation.objects.get_or_create(
        name=f"CCAS banc d'essai {tag}", defaults={"short_name": "CCASB", "is_prescriber": True}
    )
    prescriber, _ = User.objects.get_or_create(
        username=f"bench-prescripteur-{tag}", defaults={"email": "bench@example.org"}
    )
    Membership.objects.get_or_create(
        user=prescriber, organisation=ccas, defaults={"role": "prescriber"}
    )
    household = Household.objects.create(
        organisation=ccas,
        name="Foyer banc d'essai",
        commune=_commune(),
        consent_at=timezone.now(),
        consent_version="2025-1",
        consent_recorded_by=prescriber,
    )
    criterion, _ = EligibilityCriterion.objects.get_or_create(
        code="rsa", defaults={"label": "RSA", "proofs": "notification de droits"}
    )
    check = EligibilityCheck.objects.create(
        household=household,
        criterion=criterion,
        proof_kind="notification de droits",
        checked_by=prescriber,
        valid_until=timezone.localdate() + dt.timedelta(days=365),
    )
    return ccas, prescriber, household, check


# --- suggestions ----------------------------------------------------------------------------


def allocation_suggest_p95_ms(pool, *, requests: int = 200, seed: int = 42) -> dict:
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models.functions import Mod
    from django.test import Client
    from django.urls import reverse

    from acteurs.models import Membership, User
    from ateliers.models import Assessment, AssessmentLevel
    from parc.models import Adaptation, Device, DeviceKind, UsageProfile
    from prets.matching import ensure_profile_rules, recommended_profile, suggest
    from prets.models import DeviceRequest, Need

    def suggested_devices(request):
        """What the allocation page computes (issue 15): the household's recommended
        profile from its latest assessment, then the ranked and explained suggestion."""
        return suggest(request, recommendation=recommended_profile(request.household_id))

    rng = random.Random(seed)
    kinds = [k for k in DeviceKind.values if k != DeviceKind.OTHER]
    with transaction.atomic():
        ccas, prescriber, household, check = _prescriber_side("suggestions")
        # Profiles and adaptations on one ready device in seven (rolled back at the end), an
        # assessment for the household, and needs on every request.
        ensure_profile_rules()
        profiles = list(UsageProfile.objects.order_by("level"))
        ready = Device.objects.filter(owner_id=pool.organisation_id, state="ready")
        for index, profile in enumerate(profiles):
            picked = ready.annotate(m=Mod("id", 7)).filter(m=index).values("id")
            Device.objects.filter(id__in=picked).update(
                usage_profile=profile,
                adaptations=Adaptation.LARGE_SCREEN | Adaptation.WEBCAM
                if index == 0
                else Adaptation.WEBCAM,
            )
        assessment = Assessment.objects.create(
            household=household,
            organisation=ccas,
            moment="before",
            assessed_on=dt.date.today(),
            assessed_by=prescriber,
        )
        for domain in "12345":
            AssessmentLevel.objects.create(assessment=assessment, domain=domain, level=1)
        by_kind = {
            kind: DeviceRequest.objects.create(
                household=household,
                prescriber_org=ccas,
                refurbisher_id=pool.organisation_id,
                created_by=prescriber,
                device_kind=kind,
                purpose="procedures",
                mode="loan",
                eligibility=check,
                consent_informed=True,
                state="approved",
                needs=Need.LARGE_SCREEN | Need.WEBCAM | Need.SIMPLIFIED,
            )
            for kind in kinds
        }
        # Warm-up, then the timed calls.
        for kind in kinds:
            suggested_devices(by_kind[kind])
        timings, found = [], []
        for _ in range(requests):
            request = by_kind[rng.choice(kinds)]
            started = time.perf_counter()
            rows = suggested_devices(request)
            timings.append((time.perf_counter() - started) * 1000)
            found.append(len(rows))
        sql, params = (
            Device.objects.filter(
                owner_id=pool.organisation_id, state="ready", kind=DeviceKind.LAPTOP
            )
            .order_by("grade", "state_changed_at", "id")[:8]
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            explain = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN "
            cursor.execute(explain + sql, params)
            plan = [" ".join(str(c) for c in row) for row in cursor.fetchall()]

        # The allocation page, through the whole stack, for a staff member of the association.
        staff, _ = User.objects.get_or_create(username="bench-equipe")
        Membership.objects.get_or_create(
            user=staff, organisation_id=pool.organisation_id, defaults={"role": "staff"}
        )
        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        client = Client()
        client.force_login(staff)
        page_timings = []
        for i in range(min(requests, 50) + 5):
            url = reverse("prets:allocate", args=[by_kind[rng.choice(kinds)].pk])
            started = time.perf_counter()
            response = client.get(url)
            if i >= 5:
                page_timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        transaction.set_rollback(True)
    return {
        "value": _p(timings, 95),
        "unit": "ms",
        "p50": _p(timings, 50),
        "max": round(max(timings), 2),
        "calls": requests,
        "devices_suggested_mean": round(statistics.mean(found), 1),
        "allocation_page_p95_ms": _p(page_timings, 95),
        "plan": plan,
        "target": TARGETS["allocation_suggest_p95_ms"],
        "meets_target": _p(timings, 95) < TARGETS["allocation_suggest_p95_ms"],
    }


# --- reminders ------------------------------------------------------------------------------

BATCH = 5000


def _cleanup(tag: str) -> None:
    from acteurs.models import Household, Organisation
    from parc.models import Device
    from prets.models import DeviceRequest, EligibilityCheck, Loan, SentReminder

    org = Organisation.objects.filter(name=f"Association banc d'essai {tag}").first()
    if org is None:
        return
    SentReminder.objects.filter(loan__organisation=org).delete()
    Loan.objects.filter(organisation=org).delete()
    DeviceRequest.objects.filter(refurbisher=org).delete()
    Device.objects.filter(owner=org).delete()
    households = Household.objects.filter(organisation__name=f"CCAS banc d'essai {tag}")
    EligibilityCheck.objects.filter(household__in=households).delete()
    households.delete()


EMAIL_BACKENDS = {
    # The command's own work: queries, reminder rows, messages built and handed over.
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
    # …plus the MIME serialisation of every message, as an SMTP backend would do.
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}


def reminders_run_s(*, loans: int = 100_000, seed: int = 42, email_backend: str = "dummy") -> dict:
    from django.core import mail
    from django.test.utils import override_settings
    from django.utils import timezone

    from acteurs.models import Organisation
    from parc.models import Device
    from prets.models import DeviceRequest, Loan, SentReminder
    from prets.services import send_due_reminders

    tag = "rappels"
    rng = random.Random(seed)
    _cleanup(tag)
    association, _ = Organisation.objects.get_or_create(
        name=f"Association banc d'essai {tag}",
        defaults={"short_name": "ABE", "is_refurbisher": True},
    )
    ccas, prescriber, household, check = _prescriber_side(tag)
    household.email = "foyer@example.org"
    household.save(update_fields=["email"])
    today = timezone.localdate()
    now = timezone.now()
    started = time.perf_counter()
    for first in range(0, loans, BATCH):
        count = min(BATCH, loans - first)
        devices = Device.objects.bulk_create(
            Device(
                public_code=f"BEN{first + i:08d}"[-12:],
                kind="laptop",
                owner=association,
                state="on_loan",
                grade="B",
            )
            for i in range(count)
        )
        requests = DeviceRequest.objects.bulk_create(
            DeviceRequest(
                household=household,
                prescriber_org=ccas,
                refurbisher=association,
                created_by=prescriber,
                device_kind="laptop",
                purpose="procedures",
                mode="loan",
                eligibility=check,
                consent_informed=True,
                state="fulfilled",
                created_at=now,
            )
            for _ in range(count)
        )
        rows = []
        for device, request in zip(devices, requests, strict=True):
            due = today + dt.timedelta(days=rng.randint(-60, 365))
            rows.append(
                Loan(
                    request=request,
                    device=device,
                    household=household,
                    organisation=association,
                    started_on=min(today, due) - dt.timedelta(days=180),
                    due_on=due,
                    remind_from=due - dt.timedelta(days=14),
                    deposit_amount=Decimal("0"),
                    started_by=prescriber,
                )
            )
        Loan.objects.bulk_create(rows)
    build_s = time.perf_counter() - started
    with override_settings(EMAIL_BACKEND=EMAIL_BACKENDS[email_backend]):
        mail.outbox = []
        started = time.perf_counter()
        first_run = send_due_reminders(today=today)
        first_s = time.perf_counter() - started
        emails = first_run["emails"]
        started = time.perf_counter()
        second_run = send_due_reminders(today=today)
        second_s = time.perf_counter() - started
        mail.outbox = []
    recorded = SentReminder.objects.filter(loan__organisation=association).count()
    _cleanup(tag)
    return {
        "value": round(first_s, 2),
        "unit": "s",
        "loans": loans,
        "reminders_sent": first_run["reminders"],
        "emails_sent": emails,
        "email_backend": email_backend,
        "second_run_s": round(second_s, 2),
        "second_run_reminders": second_run["reminders"],
        "each_reminder_once": second_run["reminders"] == 0 and recorded == first_run["reminders"],
        "build_s": round(build_s, 1),
        "target": TARGETS["reminders_run_s"],
        "meets_target": first_s < TARGETS["reminders_run_s"],
    }


# --- standalone -----------------------------------------------------------------------------


def main() -> None:
    import argparse
    import os
    import sys

    from .database import create_if_missing, point_django_at, resolve

    parser = argparse.ArgumentParser(prog="python -m bench.prets", description=__doc__)
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", choices=["suggestions", "reminders"])
    parser.add_argument("--email-backend", choices=sorted(EMAIL_BACKENDS), default="dummy")
    args = parser.parse_args()
    figures = {}
    if args.only != "reminders":
        database = resolve("bench")
        point_django_at(database)
        import django

        django.setup()
        from .pool import ensure_pool

        pool = ensure_pool(
            database,
            args.devices,
            rebuild=False,
            seed=42,
            log=lambda m: print(m, file=sys.stderr),
        )
        figures["allocation_suggest_p95_ms"] = {
            **allocation_suggest_p95_ms(pool, requests=args.requests),
            "devices": args.devices,
            "database": database.vendor,
        }
    if args.only != "suggestions":
        scratch = resolve("bench_prets")
        if args.only == "reminders":
            point_django_at(scratch)
            import django

            django.setup()
        else:
            # Django is already set up on the pool's database: switch the connection.
            from django.db import connections

            os.environ["DATABASE_URL"] = scratch.url
            import environ

            connections["default"].close()
            connections["default"].settings_dict.update(
                {k: v for k, v in environ.Env.db_url_config(scratch.url).items() if k == "NAME"}
            )
        create_if_missing(scratch)
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        figures["reminders_run_s"] = {
            **reminders_run_s(loans=args.loans, email_backend=args.email_backend),
            "database": scratch.vendor,
        }
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
