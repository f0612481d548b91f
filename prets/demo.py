"""Demonstration requests, loans and sales (after load_demo, load_demo_ateliers and
load_demo_rapports): the twelve households of the CCAS de Chartres ask the Recyclerie
numérique d'Eure-et-Loir for devices through the prescriber account ``prescripteur``; the
staff account ``equipe`` works the queue.

Every step goes through prets.services at its moment in the past under parc's fake clock
(``timezone.now()`` and every ``default=timezone.now`` field), so request, loan and device
histories agree: a device is only taken once its ``state_changed_at`` (it became ready) is
before the allocation. Devices are picked from the demo gisement's donations first, so the
funder's gisement report shows households equipped.

The Recyclerie's handover policy is left as it is (by default no training is required
before handover); several demo households attended the ateliers demo anyway.

The 45 devices that parc's demo put "on loan" through transitions have no Loan row: they are
left alone (a Loan written for them could not match their history, which has no request nor
allocation).

Idempotent: ``load_demo_prets()`` returns None when the demo households already have
requests.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.test.utils import override_settings
from django.utils import timezone

from acteurs.models import Household, Organisation
from ateliers.demo import HOUSEHOLDS, PRESCRIBER
from parc.demo import CCAS_CHARTRES, RNEL, _Clock, _fake_clock
from parc.models import Device, DeviceKind, State

from . import services
from .models import (
    DeviceRequest,
    EligibilityCriterion,
    FollowUpKind,
    Mode,
    PaymentMethod,
    Purpose,
    Urgency,
)

STAFF = "equipe"
DISCARD_MAIL = "django.core.mail.backends.dummy.EmailBackend"
GISEMENT = "Renouvellement du parc des agences 2025"  # rapports.demo.GISEMENT (floor above)

# Household category → eligibility criterion code (prets migration 0002).
CRITERION_OF = (
    ("is_single_parent", "parent-isole"),
    ("is_senior", "senior-isole"),
    ("is_jobseeker", "demandeur-emploi"),
    ("receives_social_minimum", "minimum-social"),
)
FALLBACK_CRITERION = "quotient-familial"


@dataclass(frozen=True)
class Scenario:
    """One household's request: ``outcome`` and the day offsets (from today) of its steps."""

    household: str
    outcome: str  # draft, submitted, approved, rejected, loan, returned, transferred, sale
    created: int
    purpose: str = Purpose.PROCEDURES
    mode: str = Mode.LOAN
    urgency: int = Urgency.NORMAL
    handover: int = 0  # loan start or sale day
    due: int = 0  # loan due day
    closed: int = 0  # returned or transferred day
    price: Decimal = Decimal("0")


SCENARIOS = (
    Scenario("M. Fontaine", "returned", -64, Purpose.SOCIAL, handover=-60, due=-10, closed=-9),
    Scenario("Mme Chevalier", "transferred", -58, Purpose.SCHOOL, handover=-55, due=-4, closed=-5),
    Scenario("Mme Garcia", "loan", -54, Purpose.SCHOOL, handover=-50, due=-6),  # overdue
    Scenario("Mme Lefebvre", "loan", -44, Purpose.HEALTH, handover=-40, due=5),
    Scenario("M. Moreau", "loan", -34, Purpose.EMPLOYMENT, Mode.LOAN, Urgency.URGENT, -30, 9),
    Scenario("M. Robin", "loan", -24, Purpose.EMPLOYMENT, handover=-20, due=60),
    Scenario(
        "Mme Morin",
        "sale",
        -19,
        Purpose.EMPLOYMENT,
        Mode.PURCHASE,
        handover=-15,
        price=Decimal("60"),
    ),  # fmt: skip
    Scenario(
        "M. Guérin", "sale", -14, Purpose.SOCIAL, Mode.PURCHASE, handover=-10, price=Decimal("35")
    ),  # fmt: skip
    Scenario("Mme Blanc", "rejected", -18, Purpose.EMPLOYMENT),
    Scenario("M. Perrin", "approved", -6, Purpose.PROCEDURES),
    Scenario("Mme Gauthier", "submitted", -3, Purpose.HEALTH, urgency=Urgency.URGENT),
    Scenario("M. Mercier", "draft", -1, Purpose.SCHOOL),
)

REJECTION = (
    "Le foyer a déjà reçu un ordinateur de la Recyclerie l'an dernier : orientez-le vers "
    "l'atelier de réparation."
)


def demo_prets_loaded() -> bool:
    return DeviceRequest.objects.filter(
        household__organisation__name=CCAS_CHARTRES, created_by__username=PRESCRIBER
    ).exists()


def _local(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


class _Builder:
    def __init__(self):
        self.today = timezone.localdate()
        users = get_user_model().objects
        try:
            self.prescriber = users.get(username=PRESCRIBER)
            self.staff = users.get(username=STAFF)
            self.rnel = Organisation.objects.get(name=RNEL)
        except (Organisation.DoesNotExist, get_user_model().DoesNotExist):
            raise LookupError("load_demo first") from None
        names = [name for name, *_ in HOUSEHOLDS]
        self.households = {
            h.name: h
            for h in Household.objects.filter(organisation__name=CCAS_CHARTRES, name__in=names)
        }
        if len(self.households) != len(names):
            raise LookupError("load_demo_ateliers first")
        self.criteria = {c.code: c for c in EligibilityCriterion.objects.filter(is_active=True)}
        self.used: set[int] = set()
        self.clock = _Clock(timezone.now())
        self.counts = {"requests": 0, "loans": 0, "sales": 0, "follow_ups": 0}

    def at(self, offset: int, hour: int = 10) -> _Clock:
        self.clock.now = _local(self.today + dt.timedelta(days=offset), hour)
        return self.clock

    def criterion_for(self, household: Household) -> EligibilityCriterion:
        for flag, code in CRITERION_OF:
            if getattr(household, flag, False) and code in self.criteria:
                return self.criteria[code]
        return self.criteria[FALLBACK_CRITERION]

    def device_for(self, before: dt.datetime) -> Device | None:
        """A ready laptop of the Recyclerie, ready before ``before``; gisement's first."""
        return (
            Device.objects.filter(
                owner=self.rnel,
                state=State.READY,
                kind=DeviceKind.LAPTOP,
                state_changed_at__lt=before - dt.timedelta(hours=1),
            )
            .exclude(pk__in=self.used)
            .annotate(
                from_gisement=Case(
                    When(donation__gisement__name=GISEMENT, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("from_gisement", "state_changed_at", "pk")
            .first()
        )

    def run(self, scenario: Scenario) -> None:
        household = self.households[scenario.household]
        criterion = self.criterion_for(household)
        with _fake_clock(self.at(scenario.created, 9)):
            check = services.eligibility_check_record(
                household.pk,
                self.prescriber,
                criterion=criterion,
                proof_kind=(criterion.proof_list or [""])[0],
                checked_on=self.clock.now.date(),
            )
        with _fake_clock(self.at(scenario.created, 10)):
            request = services.request_create(
                self.prescriber,
                household=household,
                refurbisher=self.rnel,
                device_kind=DeviceKind.LAPTOP,
                purpose=scenario.purpose,
                mode=scenario.mode,
                urgency=scenario.urgency,
                eligibility=check,
                consent_informed=scenario.outcome != "draft",
                submit=scenario.outcome != "draft",
            )
        self.counts["requests"] += 1
        if scenario.outcome in ("draft", "submitted"):
            return
        decided = scenario.created + 2 if scenario.outcome != "approved" else scenario.created + 3
        if scenario.outcome == "rejected":
            with _fake_clock(self.at(decided, 14)):
                services.request_reject(request.pk, self.staff, reason=REJECTION)
            return
        with _fake_clock(self.at(decided, 14)):
            services.request_approve(request.pk, self.staff)
        if scenario.outcome == "approved":
            return
        allocated = self.at(scenario.handover - 1, 15).now
        device = self.device_for(allocated)
        if device is None:  # no ready device old enough: the request waits in the queue
            return
        self.used.add(device.pk)
        with _fake_clock(self.at(scenario.handover - 1, 15)):
            services.device_allocate(request.pk, device.pk, self.staff)
        if scenario.mode == Mode.PURCHASE:
            with _fake_clock(self.at(scenario.handover, 11)):
                services.sale_create(
                    request.pk,
                    self.staff,
                    price=scenario.price,
                    payment_method=PaymentMethod.CARD,
                    sold_on=self.clock.now.date(),
                )
            self.counts["sales"] += 1
            return
        with _fake_clock(self.at(scenario.handover, 11)):
            loan = services.loan_start(
                request.pk,
                self.staff,
                started_on=self.clock.now.date(),
                due_on=self.today + dt.timedelta(days=scenario.due),
                deposit_amount=Decimal("20"),
                deposit_paid=True,
                agreement_signed=True,
            )
        self.counts["loans"] += 1
        with _fake_clock(self.at(scenario.handover + 7, 16)):
            services.loan_follow_up(
                loan.pk,
                self.prescriber,
                kind=FollowUpKind.CALL,
                on=self.clock.now.date(),
                note="Appel de suivi : l'ordinateur fonctionne, démarches en ligne faites.",
            )
        self.counts["follow_ups"] += 1
        if scenario.outcome == "loan" and scenario.due < 0:
            with _fake_clock(self.at(-1, 9)):
                services.loan_follow_up(
                    loan.pk,
                    self.staff,
                    kind=FollowUpKind.NOTE,
                    on=self.clock.now.date(),
                    note="Échéance dépassée : relance téléphonique, retour prévu la semaine "
                    "prochaine.",
                )
            self.counts["follow_ups"] += 1
        if scenario.outcome == "returned":
            with _fake_clock(self.at(scenario.closed, 14)):
                services.loan_take_back(
                    loan.pk,
                    self.staff,
                    returned_on=self.clock.now.date(),
                    complete=True,
                    accessories_returned=False,
                    damage="Chargeur non rendu.",
                    note="Retour à l'échéance, chargeur manquant.",
                )
                services.loan_deposit(loan.pk, self.staff, action="refunded")
        elif scenario.outcome == "transferred":
            with _fake_clock(self.at(scenario.closed, 14)):
                services.loan_transfer(
                    loan.pk,
                    self.staff,
                    day=self.clock.now.date(),
                    note="Fin du prêt : le foyer garde l'ordinateur.",
                )


def load_demo_prets() -> dict | None:
    """Returns the counts written, None if already loaded; LookupError before the other
    demos."""
    if demo_prets_loaded():
        return None
    builder = _Builder()
    # The services e-mail the prescriber at each step: a demo load must not send 30 e-mails.
    with override_settings(EMAIL_BACKEND=DISCARD_MAIL), transaction.atomic():
        for scenario in SCENARIOS:
            builder.run(scenario)
    return builder.counts
