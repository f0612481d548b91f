"""Demonstration data of the reports (after load_demo): a gisement of a demo donor with two
donations holding the demo pool's devices, the Département's funding of that gisement (read
by the ``financeur`` account), and a foundation funding the whole refurbisher with its own
``fondation`` account. Idempotent: does nothing once loaded."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from acteurs.models import Membership, Organisation, Role
from dons.models import Donation, DonationState, Gisement
from parc.demo import DEMO_PASSWORD, DEPARTEMENT, RNEL
from parc.models import Device

from .models import Funding

DONOR = "Crédit Agricole Val de France"
GISEMENT = "Renouvellement du parc des agences 2025"
FOUNDATION = "Fondation pour l'inclusion numérique (démo)"
FOUNDATION_ACCOUNT = ("fondation", "Nadia", "Girard")
# (username, role label, organisation): printed after load_demo's accounts (which already
# list ``financeur``, the Département's funder account).
DEMO_ACCOUNTS = ((FOUNDATION_ACCOUNT[0], Role.FUNDER.label, FOUNDATION),)


def load_demo_rapports() -> dict | None:
    """Returns a summary, or None if already loaded; LookupError before load_demo."""
    if Gisement.objects.filter(name=GISEMENT).exists():
        return None
    try:
        refurbisher = Organisation.objects.get(name=RNEL)
        departement = Organisation.objects.get(name=DEPARTEMENT)
        donor = Organisation.objects.get(name=DONOR)
    except Organisation.DoesNotExist:
        raise LookupError("load_demo first") from None
    with transaction.atomic():
        gisement = Gisement.objects.create(
            donor=donor,
            refurbisher=refurbisher,
            donor_kind="entreprise",
            name=GISEMENT,
            commune=donor.commune,
            frequency="recurrent",
        )
        today = timezone.localdate()
        donations = [
            Donation.objects.create(
                gisement=gisement,
                state=DonationState.RECEIVED,
                received_on=today - dt.timedelta(days=days),
                received_weight_kg=weight,
            )
            for days, weight in ((200, 410), (60, 265))
        ]
        # The demo pool's devices came without a donation: the older half joins the first
        # donation, the rest the second (a plain UPDATE: no state changes, no events).
        free = Device.objects.filter(owner=refurbisher, donation__isnull=True).order_by("id")
        ids = list(free.values_list("pk", flat=True))
        half = len(ids) // 2
        Device.objects.filter(pk__in=ids[:half]).update(donation=donations[0])
        Device.objects.filter(pk__in=ids[half:]).update(donation=donations[1])

        Funding.objects.create(
            funder=departement,
            name="Plan départemental d'inclusion numérique",
            gisement=gisement,
            starts_on=today.replace(month=1, day=1),
        )
        foundation, _ = Organisation.objects.get_or_create(
            name=FOUNDATION,
            defaults={"short_name": "FIN", "is_funder": True, "commune": departement.commune},
        )
        Funding.objects.create(
            funder=foundation, name="Soutien au fonctionnement 2026", refurbisher=refurbisher
        )
        username, first_name, last_name = FOUNDATION_ACCOUNT
        user = get_user_model().objects.create_user(
            username=username, password=DEMO_PASSWORD, first_name=first_name, last_name=last_name
        )
        Membership.objects.create(user=user, organisation=foundation, role=Role.FUNDER)
    return {"devices": len(ids), "donations": len(donations), "fundings": 2}
