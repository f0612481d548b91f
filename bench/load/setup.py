"""What the load test needs in the benchmark pool, added once (idempotent, recorded in
``bench_pool`` under "load"): passwords for the accounts locust logs in with, a CCAS with
households and valid eligibility checks (prescribers create requests), approved requests on
the big refurbisher (the team allocates and releases devices), the funder of the big
gisement (bench/rapports_gisement.py) with its donation summaries refreshed, and samples of
public codes and stock locations for the technicians.
"""

import datetime as dt
import random
import time

from ..pool import sample_ids
from ..rapports_gisement import _read, _write, attach_gisement

PASSWORD = "bench-load-not-secret"  # noqa: S105 - accounts of a throwaway benchmark database
MARKER = "load"
SETUP_VERSION = 1
HOUSEHOLDS = 3_000
APPROVED_REQUESTS = 400
CODES = 5_000


def prepare(pool, *, seed: int = 42, log=print) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from acteurs.models import Household, Membership, Organisation, Role, User
    from parc.models import Device, StockLocation
    from prets.models import DeviceRequest, EligibilityCheck, EligibilityCriterion
    from rapports.services import refresh_donation_summaries

    from ..prets import _commune

    marker = _read(MARKER)
    pool_marker = _read("pool") or {}
    gisement = attach_gisement(pool, log=log)
    if (
        marker
        and marker.get("version") == SETUP_VERSION
        and marker.get("built_at") == pool_marker.get("built_at")
    ):
        log("load: reusing accounts, households and requests")
    else:
        started = time.perf_counter()
        rng = random.Random(seed)
        with transaction.atomic():
            ccas, _ = Organisation.objects.get_or_create(
                name="CCAS charge", defaults={"short_name": "CCASL", "is_prescriber": True}
            )
            prescriber, _ = User.objects.get_or_create(username="bench-prescripteur-charge")
            Membership.objects.get_or_create(
                user=prescriber, organisation=ccas, defaults={"role": Role.PRESCRIBER}
            )
            commune = _commune()
            now = timezone.now()
            households = Household.objects.bulk_create(
                Household(
                    organisation=ccas,
                    name=f"Foyer charge {n}",
                    commune=commune,
                    consent_at=now,
                    consent_version="2025-1",
                    consent_recorded_by=prescriber,
                    last_contact_at=now,
                )
                for n in range(HOUSEHOLDS)
            )
            criterion, _ = EligibilityCriterion.objects.get_or_create(
                code="rsa", defaults={"label": "RSA", "proofs": "notification de droits"}
            )
            checks = EligibilityCheck.objects.bulk_create(
                EligibilityCheck(
                    household=household,
                    criterion=criterion,
                    proof_kind="notification",
                    checked_by=prescriber,
                    valid_until=timezone.localdate() + dt.timedelta(365),
                )
                for household in households
            )
            staff = User.objects.get(
                memberships__organisation_id=pool.organisation_id, memberships__role=Role.STAFF
            )
            approved = DeviceRequest.objects.bulk_create(
                DeviceRequest(
                    household=households[n],
                    prescriber_org=ccas,
                    refurbisher_id=pool.organisation_id,
                    created_by=prescriber,
                    device_kind=rng.choice(["laptop", "laptop", "desktop", "tablet"]),
                    purpose="procedures",
                    mode="loan",
                    eligibility=checks[n],
                    consent_informed=True,
                    state="approved",
                )
                for n in range(APPROVED_REQUESTS)
            )
            technician = User.objects.get(pk=pool.technician_id)
            funder = User.objects.get(pk=gisement["funder_user_id"])
            hashed = make_password(PASSWORD)
            User.objects.filter(pk__in=[technician.pk, staff.pk, prescriber.pk, funder.pk]).update(
                password=hashed
            )
            device_ids = sample_ids(Device, CODES, rng, owner_id=pool.organisation_id)
            codes = list(
                Device.objects.filter(pk__in=device_ids).values_list("public_code", flat=True)
            )
            locations = list(
                StockLocation.objects.filter(organisation_id=pool.organisation_id).values_list(
                    "pk", flat=True
                )
            )
            marker = {
                "version": SETUP_VERSION,
                "built_at": pool_marker.get("built_at"),
                "accounts": {
                    "technician": technician.username,
                    "staff": staff.username,
                    "prescriber": prescriber.username,
                    "funder": funder.username,
                },
                "password": PASSWORD,
                "codes": codes,
                "locations": locations,
                "households": [h.pk for h in households[APPROVED_REQUESTS:]],
                "approved_requests": [r.pk for r in approved],
                "refurbisher_id": pool.organisation_id,
                "gisement_id": gisement["gisement_id"],
                "setup_seconds": round(time.perf_counter() - started, 1),
            }
            _write(MARKER, marker)
        log(
            f"load: accounts, {HOUSEHOLDS:,} households, {APPROVED_REQUESTS} approved requests "
            f"in {marker['setup_seconds']} s"
        )
    started = time.perf_counter()
    refresh_donation_summaries()
    log(f"load: donation summaries refreshed in {time.perf_counter() - started:.1f} s")
    return marker
