"""Benchmark of the gisement report: ``gisement_report_s``.

For ``bench/run.py`` (Django set up, pointed at a benchmark database with a pool):

``gisement_report_figures(pool, *, runs=5) -> dict``
    The report for the largest gisement: every figure of ``rapports.selectors.gisement_report``
    (devices by kind and outcome, media, erasures by level/method/result, failures and their
    follow-up, households equipped by category and territory, training, autonomy, CO2e), plus
    the first page of the certificate annex, as the report page computes them. The donations'
    device summaries (rapports.models.DonationSummary) are refreshed once first, untimed (its
    duration reported as ``summary_refresh_s``), as Celery beat keeps them in production; the
    report then sums them instead of scanning the devices. One warm-up, then ``runs`` timed
    calls; the value is the median. Target: under 1 s at 1,000,000 devices
    on PostgreSQL.

    The pool's builder puts every device of the big refurbisher in one donation of one
    gisement (bench/pool.py); this module adds the funder, and gives a household and a loan
    to the devices that are on loan or were transferred (INSERT … SELECT), so the
    households' queries have rows to read. Idempotent: a row in ``bench_pool`` ("rapports_gisement")
    records it, and a second run reuses it.

    Returns ``{"gisement_report_s": {"value": s, "unit": "s", ...}}``: p50/max, the queries of
    one report (count and per-query time), rows written by the setup, and the target.

Standalone: ``python -m bench.rapports_gisement`` (DATABASE_URL as for ``make bench``; uses
the ``filiere_bench`` pool at whatever size it was built, ``--devices N`` if there is none;
``--pool NAME`` for another benchmark database). Prints the figure as JSON and merges it into
``bench/results.json``.
"""

import json
import statistics
import time

TARGET_S = 1.0
TARGET_SETUP = ("postgresql", 1_000_000)
MARKER = "rapports_gisement"
# 2: households as in reality (one per LOANS_PER_HOUSEHOLD loans, over COMMUNES communes);
# 1 gave every loan to one of 2,000 households (1,600 loans each at 10,000,000 devices).
SETUP_VERSION = 2
MIN_HOUSEHOLDS = 2_000
LOANS_PER_HOUSEHOLD = 2
COMMUNES = 24


def _read(name: str) -> dict | None:
    from django.db import connection

    from .pool import MARKER_TABLE

    if MARKER_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {MARKER_TABLE} WHERE name = %s", [name])
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def _write(name: str, value: dict) -> None:
    from django.db import connection

    from .pool import MARKER_TABLE

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER_TABLE} WHERE name = %s", [name])
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (name, value) VALUES (%s, %s)", [name, json.dumps(value)]
        )


def _communes(first) -> list[str]:
    """COMMUNES communes of the first one's département over three EPCIs (created once), so
    that the report's territories have rows: their INSEE codes."""
    from acteurs.models import Commune, Epci

    epcis = [
        Epci.objects.get_or_create(
            siren=f"2000999{n:02d}", defaults={"name": f"EPCI banc d'essai {n}", "kind": "CC"}
        )[0]
        for n in range(3)
    ]
    codes = [first.insee_code]
    for n in range(1, COMMUNES):
        commune, _ = Commune.objects.get_or_create(
            insee_code=f"{first.departement_id}{900 + n:03d}"[:5],
            defaults={
                "name": f"Commune banc d'essai {n}",
                "departement_id": first.departement_id,
                "epci": epcis[n % 3],
            },
        )
        codes.append(commune.insee_code)
    return codes


def _add_households(cursor, organisation_id: int, user_id: int, count: int, communes) -> int:
    """The organisation's households up to ``count``, in one INSERT … SELECT over a
    recursive series (PostgreSQL and SQLite alike); categories and communes spread by their
    number. Returns the households there."""
    from django.utils import timezone

    cursor.execute(
        "SELECT COUNT(*) FROM acteurs_household WHERE organisation_id = %s", [organisation_id]
    )
    existing = cursor.fetchone()[0]
    if existing >= count:
        return existing
    cases = " ".join(f"WHEN {n} THEN '{code}'" for n, code in enumerate(communes))
    now = timezone.now()
    cursor.execute(
        f"""
        WITH RECURSIVE series(n) AS (
            SELECT CAST(%s AS BIGINT) UNION ALL SELECT n + 1 FROM series WHERE n + 1 < %s
        )
        INSERT INTO acteurs_household
          (organisation_id, name, phone, email, size, is_senior, is_young, is_jobseeker,
           is_single_parent, receives_social_minimum, consent_at, consent_version,
           created_at, last_contact_at, commune_id, consent_recorded_by_id)
        SELECT %s, 'Foyer banc d''essai ' || n, '', '', 1 + n %% 4, n %% 3 = 0, n %% 7 = 0,
               n %% 4 = 0, n %% 9 = 0, n %% 2 = 0, %s, '2025-1', %s, %s,
               CASE n %% {len(communes)} {cases} END, %s
        FROM series
        """,
        [existing, count, organisation_id, now, now, now, user_id],
    )
    return count


def attach_gisement(pool, *, log=print) -> dict:
    """The gisement's funder; households and loans for the devices that reached a
    household. Set-based SQL, done once per pool (recorded in bench_pool)."""
    import datetime as dt

    from django.db import connection, transaction

    from acteurs.models import Membership, Organisation, User
    from dons.models import Donation, Gisement
    from rapports.models import Funding

    from .pool import BENCH_GISEMENT
    from .prets import _commune

    marker = _read(MARKER)
    pool_marker = _read("pool") or {}
    if (
        marker
        and marker.get("version") == SETUP_VERSION
        and marker.get("built_at") == pool_marker.get("built_at")
    ):
        log(f"rapports: reusing gisement {marker['gisement_id']} ({marker['devices']:,} devices)")
        return marker
    started = time.perf_counter()
    org = pool.organisation_id
    with transaction.atomic():
        # The pool's builder wrote the gisement, its donation and the big refurbisher's
        # devices in it (bench/pool.py, generator 7).
        gisement = Gisement.objects.get(name=BENCH_GISEMENT, refurbisher_id=org)
        donation = Donation.objects.get(gisement=gisement)
        funder, _ = Organisation.objects.get_or_create(
            name="Financeur banc d'essai", defaults={"short_name": "FBE", "is_funder": True}
        )
        funder_user, _ = User.objects.get_or_create(username="bench-financeur")
        Membership.objects.get_or_create(
            user=funder_user, organisation=funder, defaults={"role": "funder"}
        )
        prescriber_org, _ = Organisation.objects.get_or_create(
            name="CCAS banc d'essai rapports", defaults={"short_name": "CCR", "is_prescriber": True}
        )
        Funding.objects.get_or_create(
            funder=funder, gisement=gisement, defaults={"name": "Banc d'essai"}
        )
        communes = _communes(_commune())
        technician = User.objects.get(pk=pool.technician_id)
        with connection.cursor() as cursor:
            # Households as in reality: a household borrows or buys a device or two, so
            # about one household per LOANS_PER_HOUSEHOLD devices that reached one.
            cursor.execute(
                "SELECT COUNT(*) FROM parc_device "
                "WHERE donation_id = %s AND state IN ('on_loan', 'transferred')",
                [donation.pk],
            )
            count = max(MIN_HOUSEHOLDS, cursor.fetchone()[0] // LOANS_PER_HOUSEHOLD)
            households = _add_households(cursor, prescriber_org.pk, technician.pk, count, communes)
            # The n-th household of the setup (by id) for a device whose id is n modulo count.
            numbered = (
                "(SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS rn FROM acteurs_household "
                f"WHERE organisation_id = {int(prescriber_org.pk)}) h"
            )
            # One request per device that reached a household; its id is the device's, so
            # the loan finds it without a lookup table.
            cursor.execute(
                f"""
                INSERT INTO prets_devicerequest
                  (id, household_id, prescriber_org_id, refurbisher_id, created_by_id,
                   device_kind, purpose, mode, urgency, details, consent_informed, state,
                   rejection_reason, created_at, state_changed_at)
                SELECT d.id, h.id, %s, d.owner_id, %s, d.kind, 'procedures',
                       'loan', 2, '', TRUE, 'fulfilled', '', d.state_changed_at,
                       d.state_changed_at
                FROM parc_device d JOIN {numbered} ON h.rn = d.id %% %s
                WHERE d.donation_id = %s AND d.state IN ('on_loan', 'transferred')
                  AND NOT EXISTS (SELECT 1 FROM prets_devicerequest r WHERE r.id = d.id)
                """,
                [prescriber_org.pk, technician.pk, count, donation.pk],
            )
            requests = cursor.rowcount
            cursor.execute(
                """
                INSERT INTO prets_loan
                  (request_id, device_id, household_id, organisation_id, state, started_on,
                   due_on, remind_from, renewals, deposit_amount, training_code,
                   started_by_id, created_at, state_changed_at, fee_amount, fee_refund_reason)
                SELECT r.id, r.id, r.household_id, r.refurbisher_id,
                       CASE WHEN d.state = 'on_loan' THEN 'open' ELSE 'transferred' END,
                       %s, %s, %s, 0, 0, '', %s, d.state_changed_at, d.state_changed_at, 0, ''
                FROM prets_devicerequest r JOIN parc_device d ON d.id = r.id
                WHERE d.donation_id = %s
                  AND NOT EXISTS (SELECT 1 FROM prets_loan l WHERE l.request_id = r.id)
                """,
                [
                    dt.date(2025, 3, 1),
                    dt.date(2026, 3, 1),
                    dt.date(2026, 2, 15),
                    technician.pk,
                    donation.pk,
                ],
            )
            loans = cursor.rowcount
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('prets_devicerequest', 'id'), "
                    "(SELECT MAX(id) FROM prets_devicerequest))"
                )
        devices = donation.devices.count()
        marker = {
            "version": SETUP_VERSION,
            "built_at": pool_marker.get("built_at"),
            "gisement_id": gisement.pk,
            "donation_id": donation.pk,
            "funder_user_id": funder_user.pk,
            "devices": devices,
            "rows": {
                "households": households,
                "requests": requests,
                "loans": loans,
            },
            "setup_seconds": round(time.perf_counter() - started, 1),
        }
        _write(MARKER, marker)
    if connection.vendor == "postgresql":
        # Statistics for the rows just written, as autovacuum would gather them.
        with connection.cursor() as cursor:
            for table in ("prets_devicerequest", "prets_loan", "acteurs_household"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    log(
        f"rapports: {marker['devices']:,} devices in the gisement, {loans:,} loans, "
        f"{households:,} households "
        f"in {marker['setup_seconds']} s"
    )
    return marker


def gisement_report_figures(pool, *, runs: int = 5, log=print) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from acteurs.models import User
    from rapports.selectors import (
        ANNEX_PAGE_SIZE,
        Period,
        analytical_session,
        annex_page,
        gisement_report,
        live_household_rows,
        subject_for,
    )
    from rapports.services import refresh_donation_summaries, refresh_household_summaries

    setup = attach_gisement(pool, log=log)
    user = User.objects.get(pk=setup["funder_user_id"])
    started = time.perf_counter()
    refreshed = refresh_donation_summaries()
    summary_refresh_s = time.perf_counter() - started
    log(f"rapports: {refreshed} donation summaries refreshed in {summary_refresh_s:.1f} s")
    started = time.perf_counter()
    refreshed = refresh_household_summaries()
    household_refresh_s = time.perf_counter() - started
    log(f"rapports: {refreshed} household summaries refreshed in {household_refresh_s:.1f} s")

    def one_report():
        subject = subject_for(user, "gisement", setup["gisement_id"])
        report = gisement_report(subject, Period())
        annex_page(subject, Period(), after=None, size=ANNEX_PAGE_SIZE)
        return report

    one_report()  # warm-up (caches, plans)
    timings = []
    for _ in range(runs):
        for attribute in ("_filiere_report_scope", "_filiere_roles", "_filiere_is_coordinator"):
            user.__dict__.pop(attribute, None)
        started = time.perf_counter()
        report = one_report()
        timings.append(time.perf_counter() - started)
    for attribute in ("_filiere_report_scope", "_filiere_roles", "_filiere_is_coordinator"):
        user.__dict__.pop(attribute, None)
    with CaptureQueriesContext(connection) as captured:
        one_report()
    value = statistics.median(timings)
    # What the households equipped cost without their summary (a period that selects only
    # part of the donations, a new donation not yet summarised): the live query, once warm.
    live_timings = []
    for _ in range(2):
        with analytical_session():
            started = time.perf_counter()
            live_household_rows([setup["donation_id"]])
            live_timings.append(time.perf_counter() - started)
    database = connection.vendor
    return {
        "gisement_report_s": {
            "value": round(value, 3),
            "unit": "s",
            "p50": round(value, 3),
            "max": round(max(timings), 3),
            "runs": runs,
            "devices_in_gisement": report.devices,
            "from_summaries": report.computed_at is not None,
            "summary_refresh_s": round(summary_refresh_s, 2),
            "households_from_summary": report.households_computed_at is not None,
            "household_summary_refresh_s": round(household_refresh_s, 2),
            "households_live_ms": round(min(live_timings) * 1000, 1),
            "households": report.households,
            "annex_rows": report.annex_total,
            "queries": len(captured),
            "query_ms": [round(float(q["time"]) * 1000, 1) for q in captured.captured_queries],
            "setup": setup["rows"],
            "devices": pool.devices,
            "database": database,
            "target": f"< {TARGET_S:g} s (postgresql 1,000,000 devices)",
            "target_applies": (database, pool.devices) == TARGET_SETUP,
            "passes": value < TARGET_S,
        }
    }


def main() -> None:
    import argparse
    import os
    import sys

    from .database import create_if_missing, point_django_at, resolve

    parser = argparse.ArgumentParser(
        prog="python -m bench.rapports_gisement",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--devices", type=int, default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pool", default="bench", help="benchmark database (default: bench)")
    args = parser.parse_args()
    database = resolve(args.pool)
    point_django_at(database)
    import django

    django.setup()
    from . import results
    from .pool import _read_marker, ensure_pool

    create_if_missing(database)
    marker = _read_marker()
    devices = (
        args.devices
        or (marker or {}).get("devices")
        or int(os.environ.get("BENCH_DEVICES", 100_000))
    )
    pool = ensure_pool(
        database,
        devices,
        rebuild=False,
        seed=int(os.environ.get("BENCH_SEED", 42)),
        log=lambda message: print(message, file=sys.stderr),
    )
    figures = gisement_report_figures(
        pool, runs=args.runs, log=lambda message: print(message, file=sys.stderr)
    )
    results.merge(results.machine_info(), figures, database=database.vendor, devices=pool.devices)
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
