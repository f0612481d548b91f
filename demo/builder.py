"""Build the whole demonstration through the apps' services, along a past timeline.

Eight months of a refurbishing scheme in Eure-et-Loir are played in the order they happen
(``demo.timeline``): donors announce donations, the Recyclerie collects and receives them,
registers their devices, triages, erases, refurbishes and tests them; the CCAS' prescriber
records households and sends requests; the staff approves them, sets devices aside, lends or
sells them, takes them back; workshops are planned, attended and assessed, a repair café
repairs loaned devices. Every row with a state is written by its app's services at its
moment, so it has its events in order; every device on loan has its loan, every device
allocated its allocation, every donation its history.

Reference rows that no use case writes (organisations, accounts and memberships, stock
locations, fundings) are created directly, before the timeline starts.

Deterministic: one ``random.Random(SEED)`` draws every choice (public codes excepted: they
come from ``secrets``). Idempotent: ``load_demo()`` returns None when the demo is there.
"""

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from acteurs.models import Commune, Household, Membership, Organisation
from acteurs.services import household_create, territories_load
from ateliers import pix
from ateliers import services as ateliers_services
from ateliers.catalogue import ensure_workshop_types
from ateliers.models import WorkshopType
from dons import services as dons_services
from dons.models import DonorKind, Frequency
from intake import services as intake_services
from parc import services as parc_services
from parc.checklists import checklist_for
from parc.models import (
    KINDS_WITH_STORAGE,
    Device,
    DeviceKind,
    ErasureResult,
    Grade,
    MediaType,
    PostSanitizationDestination,
    SanitizationLevel,
    SanitizationMethod,
    State,
    StockLocation,
    StorageMedium,
    Verification,
)
from prets import services as prets_services
from prets.models import (
    EligibilityCriterion,
    FollowUpKind,
    Mode,
    PaymentMethod,
    Purpose,
    Urgency,
)
from prets.services.sales import price_info
from rapports.models import Funding

from . import world
from .timeline import Timeline
from .world import (
    BUILT_IN,
    CATALOGUE,
    DEMO_COMMUNES,
    DEMO_DEPARTEMENT,
    DEMO_PASSWORD,
    DEMO_USERS,
    DONATION_REASONS,
    DONORS,
    ERASE_STEPS,
    GAPS,
    HDD_SEAGATE_35,
    HISTORY_DAYS,
    NOTES,
    ORGANISATIONS,
    RESERVE,
    SEED,
    SHELF_A,
    SHELF_B,
    SORTING,
    STATE_TARGETS,
    STOCK_LOCATIONS,
    TAILS,
    TERMINAL_TAIL,
    WORKSHOP,
    _fill,
    _hours,
    fake_siret,
)

DISCARD_MAIL = "django.core.mail.backends.dummy.EmailBackend"

DONOR_KINDS = {
    "Crédit Agricole Val de France": DonorKind.COMPANY,
    "Axereal": DonorKind.COMPANY,
    "Groupe Novo Nordisk Chartres": DonorKind.COMPANY,
    "Préfecture d'Eure-et-Loir": DonorKind.STATE,
    world.DEPARTEMENT: DonorKind.LOCAL_AUTHORITY,
}
# Weight of one device by kind (kg), for the weight received with a donation.
KIND_WEIGHT = {
    DeviceKind.LAPTOP: Decimal("2.2"),
    DeviceKind.DESKTOP: Decimal("6.5"),
    DeviceKind.SCREEN: Decimal("4.5"),
    DeviceKind.TABLET: Decimal("0.5"),
    DeviceKind.SMARTPHONE: Decimal("0.2"),
    DeviceKind.PRINTER: Decimal("8"),
}
PURPOSES = (Purpose.PROCEDURES, Purpose.SCHOOL, Purpose.EMPLOYMENT, Purpose.HEALTH, Purpose.SOCIAL)
SURNAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Richard", "Durand", "Dubois", "Laurent", "Simon",
    "Michel", "Leroy", "Roux", "David", "Bertrand", "Morel", "Girard", "André", "Dupont",
    "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Faure", "Rousseau", "Clément",
    "Henry", "Masson", "Marchal", "Denis", "Lemaire", "Duval", "Joly", "Roger", "Roche",
    "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean", "Brun", "Caron", "Giraud", "Barbier",
    "Arnaud", "Brunet", "Rolland", "Renard", "Schmitt", "Colin", "Vidal", "Aubert", "Rey",
    "Lemoine", "Renaud", "Picard", "Hubert", "Leclerc", "Fabre", "Adam", "Gaillard", "Cousin",
)  # fmt: skip


def _local(day: dt.date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, dt.time(hour, minute)))


@dataclass
class PlannedDonation:
    donor: str
    reason: str
    announced: datetime
    collected: datetime | None
    received: datetime | None
    cancelled: bool = False
    devices: list = field(default_factory=list)
    closed: datetime | None = None
    obj: object = None


@dataclass
class PlannedDevice:
    product: world.Product
    serial: str
    media: list
    without_storage: bool
    steps: list
    gaps: list
    state: str
    donation: PlannedDonation | None = None
    registered: datetime | None = None


class Builder:
    def __init__(self, now: datetime):
        self.now = now
        self.rng = random.Random(SEED)
        self.timeline = Timeline(now)
        self.window_start = now - timedelta(days=HISTORY_DAYS)
        self.today = timezone.localdate(now)
        self.counts: Counter = Counter()
        self.names = self.household_names()

    # --- before the timeline: reference rows -------------------------------------------------

    def setup(self) -> None:
        communes = Commune.objects.in_bulk(DEMO_COMMUNES)
        self.communes = communes
        self.organisations = {}
        for spec in ORGANISATIONS:
            siret = fake_siret(self.rng)
            organisation = Organisation.objects.filter(name=spec.name).first()
            if organisation is None:
                organisation = Organisation(
                    name=spec.name,
                    short_name=spec.short_name,
                    siret=siret,
                    commune=communes[spec.insee_code],
                    street_address=spec.street_address,
                    postcode=spec.postcode,
                    phone=spec.phone,
                    email=spec.email,
                    **dict.fromkeys(spec.flags, True),
                )
                organisation.full_clean()
                organisation.save()
            self.organisations[spec.name] = organisation
        foundation, _created = Organisation.objects.get_or_create(
            name=world.FOUNDATION,
            defaults={
                "short_name": "FIN",
                "is_funder": True,
                "commune": communes[world.CHARTRES],
            },
        )
        self.organisations[world.FOUNDATION] = foundation
        self.rnel = self.organisations[world.RNEL]
        self.ccas = self.organisations[world.CCAS_CHARTRES]
        self.users = self.accounts()
        self.staff = self.users["equipe"]
        self.technician = self.users["technicien"]
        self.prescriber = self.users["prescripteur"]
        self.facilitator = self.users["animateur"]
        self.locations = {
            name: StockLocation.objects.create(organisation=self.rnel, name=name, description=text)
            for name, text in STOCK_LOCATIONS
        }
        self.gisements = {}
        for donor, _weight in DONORS:
            organisation = self.organisations[donor]
            self.gisements[donor] = dons_services.gisement_create(
                actor=self.staff,
                refurbisher=self.rnel,
                donor=organisation,
                donor_kind=DONOR_KINDS[donor],
                name=world.GISEMENT
                if donor == world.GISEMENT_DONOR
                else f"Renouvellement du parc – {organisation.short_name}",
                commune=organisation.commune,
                frequency=Frequency.RECURRING,
                contact_email=organisation.email,
            )
        Funding.objects.create(
            funder=self.organisations[world.DEPARTEMENT],
            name="Plan départemental d'inclusion numérique",
            gisement=self.gisements[world.GISEMENT_DONOR],
            starts_on=self.today.replace(month=1, day=1),
        )
        Funding.objects.create(
            funder=foundation, name="Soutien au fonctionnement 2026", refurbisher=self.rnel
        )
        ensure_workshop_types()
        self.workshop_types = {t.code: t for t in WorkshopType.objects.all()}
        self.criteria = {c.code: c for c in EligibilityCriterion.objects.filter(is_active=True)}

    def accounts(self) -> dict:
        user_model = get_user_model()
        # Hashing is slow on purpose: hash the shared password once.
        password_hash = make_password(DEMO_PASSWORD)
        users = {}
        for spec in (*DEMO_USERS, world.FOUNDATION_USER):
            user, _created = user_model.objects.get_or_create(username=spec.username)
            user.first_name = spec.first_name
            user.last_name = spec.last_name
            # Given once the history is written (``load_demo``): the services' e-mails to the
            # prescriber, rendered after commit, are skipped for an account without one.
            user.email = ""
            user.is_superuser = False
            user.is_staff = spec.is_staff
            user.password = password_hash
            user.save()
            Membership.objects.update_or_create(
                user=user,
                organisation=self.organisations[spec.organisation],
                defaults={"role": spec.role},
            )
            users[spec.username] = user
        return users

    # --- the plan: donations and the devices they bring --------------------------------------

    def later(self, moment: datetime, hours: float) -> datetime:
        """``hours`` after ``moment``, moved into the workshop's hours (weekdays, 9–18 h)."""
        rng = self.rng
        target = timezone.localtime(moment + timedelta(hours=hours))
        if hours >= 20:  # another day: any time of that working day
            target = target.replace(hour=rng.randint(9, 17), minute=rng.randint(0, 59))
        elif target.hour < 9:
            target = target.replace(hour=9, minute=rng.randint(0, 59))
        elif target.hour >= 18:
            target = (target + timedelta(days=1)).replace(hour=9, minute=rng.randint(0, 59))
        if target.weekday() >= 5:  # Saturday to Monday, Sunday to Tuesday
            target += timedelta(days=2)
        return target

    def plan_donations(self) -> list[PlannedDonation]:
        names = [name for name, _weight in DONORS]
        weights = [weight for _name, weight in DONORS]
        donations = []
        day = self.window_start
        while day < self.now - timedelta(days=4):
            announced = self.later(day, 24)
            collected = (
                self.later(announced, _hours(self.rng, (24, 24 * 6)))
                if self.rng.random() < 0.7
                else None  # the donor brings the equipment to the workshop
            )
            received = self.later(collected or announced, _hours(self.rng, (1, 30)))
            donations.append(
                PlannedDonation(
                    self.rng.choices(names, weights)[0],
                    self.rng.choice(DONATION_REASONS),
                    announced,
                    collected,
                    received,
                )
            )
            day += timedelta(days=self.rng.uniform(4, 12))
        return donations

    def plan(self, state: str, has_media: bool, kind: str) -> list[str]:
        rng = self.rng

        def ready_path() -> list[str]:
            steps = ["register", *WORKSHOP]
            if rng.random() < 0.15:  # a first loan, then back through the workshop
                steps += ["allocate", "lend", "take_back", *WORKSHOP]
            if rng.random() < 0.1:
                steps += ["allocate", "release"]
            return steps

        match state:
            case State.REGISTERED:
                steps = ["register"]
            case State.TRIAGE:
                steps = ["register", "start_triage"]
                if rng.random() < 0.15:
                    steps.append("erase_failed")  # to be tried again
            case State.WIPED:
                steps = ["register", *WORKSHOP[:3]]
            case State.REFURBISHING:
                steps = ["register", *WORKSHOP[:4]]
            case State.READY:
                steps = ready_path()
            case State.ALLOCATED:
                steps = [*ready_path(), "allocate"]
            case State.ON_LOAN:
                steps = [*ready_path(), "allocate", "lend"]
            case State.TRANSFERRED:
                ending = ["sell"] if rng.random() < 0.4 else ["lend", "transfer_to_borrower"]
                steps = [*ready_path(), "allocate", *ending]
            case State.RETURNED:
                steps = [*ready_path(), "allocate", "lend", "take_back"]
            case State.PARTS:
                steps = rng.choice(
                    [
                        ["register", "start_triage", "erase_stock", "dismantle"],
                        ["register", *WORKSHOP[:4], "dismantle"],
                        [*ready_path(), "allocate", "lend", "take_back", "erase_stock"]
                        + ["dismantle"],
                    ]
                )
            case State.RECYCLED:
                if not has_media and kind not in KINDS_WITH_STORAGE:
                    steps = rng.choice(
                        [["register", "recycle"], ["register", "start_triage", "recycle"]]
                    )
                else:
                    steps = rng.choice(
                        [
                            ["register", "start_triage", "erase_destroy", "recycle"],
                            ["register", "start_triage", "erase_stock", "dismantle", "recycle"],
                        ]
                    )
            case State.LOST:
                # Lost or stolen during a loan: declared at the end of the loan.
                steps = [*ready_path(), "allocate", "lend", "declare_lost"]
            case _:
                raise ValueError(state)
        if not has_media:
            steps = [step for step in steps if step not in ERASE_STEPS]
        return steps

    def plan_device(self, state: str, donations: list[PlannedDonation]) -> PlannedDevice:
        rng = self.rng
        product = rng.choices(CATALOGUE, [p.weight for p in CATALOGUE])[0]
        serial = _fill(product.serial, rng)
        without_storage = product.kind == DeviceKind.DESKTOP and rng.random() < 0.1
        media = []
        if product.media and not without_storage:
            fitted = [rng.choice(product.media)]
            if product.kind == DeviceKind.DESKTOP and rng.random() < 0.05:
                fitted.append(HDD_SEAGATE_35)  # a second disk
            for medium in fitted:
                media.append(
                    {
                        "media_type": medium.media_type,
                        "manufacturer": medium.manufacturer,
                        "model": medium.model,
                        "serial": serial
                        if medium.serial == BUILT_IN
                        else _fill(medium.serial, rng),
                        "capacity_gb": medium.capacity_gb,
                    }
                )
        steps = self.plan(state, bool(media), product.kind)
        gaps = [_hours(rng, GAPS[step]) for step in steps[1:]]
        tail = _hours(rng, TAILS.get(state, TERMINAL_TAIL))
        # Erasures take a few hours, the workshop closes at night and at weekends, a request
        # waits for its approval: room for all of it before the last step.
        estimate = sum(gaps) + 4 * sum(step in ERASE_STEPS for step in steps) + 16 * len(steps)
        room = (HISTORY_DAYS - 10) * 24 - tail
        if estimate > room:
            factor = room / estimate
            gaps = [gap * factor for gap in gaps]
            estimate = room
        latest = self.now - timedelta(hours=tail + estimate + 48)
        # One of the last donations received early enough for the whole history.
        eligible = [d for d in donations if d.received <= latest][-2:] or donations[:1]
        donation = rng.choice(eligible)
        device = PlannedDevice(product, serial, media, without_storage, steps, gaps, state)
        device.donation = donation
        device.registered = self.later(donation.received, _hours(rng, (0.5, 40)))
        donation.devices.append(device)
        return device

    def plan_all(self) -> tuple[list[PlannedDonation], list[PlannedDevice]]:
        donations = self.plan_donations()
        states = [state for state, count in STATE_TARGETS.items() for _ in range(count)]
        self.rng.shuffle(states)
        devices = [self.plan_device(state, donations) for state in states]
        for donation in donations:
            if not donation.devices:
                donation.cancelled = donation.received < self.now - timedelta(days=20)
                if donation.cancelled:
                    donation.collected = donation.received = None
                continue
            last = max(device.registered for device in donation.devices)
            closed = self.later(last, _hours(self.rng, (24, 24 * 4)))
            if closed < self.now - timedelta(days=2):
                donation.closed = closed
        # The latest donations: one announced (pickup next week), one collected yesterday.
        announced = self.later(self.now - timedelta(days=3), 1)
        donations.append(
            PlannedDonation(world.GISEMENT_DONOR, DONATION_REASONS[0], announced, None, None)
        )
        announced = self.later(self.now - timedelta(days=8), 24)
        collected = self.later(self.now - timedelta(days=2), 1)
        donations.append(
            PlannedDonation("Axereal", DONATION_REASONS[2], announced, collected, None)
        )
        return donations, devices

    # --- stories -----------------------------------------------------------------------------

    def donation_story(self, planned: PlannedDonation):
        kinds = Counter(device.product.kind for device in planned.devices)
        lines = dict(kinds) or {DeviceKind.LAPTOP: self.rng.randint(3, 12)}
        fields = {"notes": f"Don : {planned.reason}"}
        if planned.collected is None and planned.received is None and not planned.cancelled:
            fields["pickup_date"] = self.today + timedelta(days=self.rng.randint(4, 9))
        donation = dons_services.donation_create(
            self.gisements[planned.donor].pk, actor=self.staff, lines=lines, **fields
        )
        planned.obj = donation
        self.counts["donations"] += 1
        if planned.cancelled:
            yield self.later(timezone.now(), _hours(self.rng, (24, 24 * 5)))
            dons_services.donation_cancel(
                donation.pk, self.staff, note="Le donateur a finalement revendu son matériel."
            )
            return
        if planned.collected is not None:
            yield planned.collected
            dons_services.donation_collect(
                donation.pk, self.staff, pickup_date=timezone.localdate()
            )
        if planned.received is None:
            return
        yield planned.received
        weight = sum((KIND_WEIGHT[device.product.kind] for device in planned.devices), Decimal("0"))
        dons_services.donation_receive(
            donation.pk,
            self.staff,
            received_on=timezone.localdate(),
            weight_kg=(weight * Decimal("1.1")).quantize(Decimal("0.1")),
        )
        if planned.closed is not None:
            yield planned.closed
            dons_services.donation_close(
                donation.pk,
                self.staff,
                note=f"Tri terminé : {len(planned.devices)} appareils enregistrés.",
            )

    def device_story(self, planned: PlannedDevice):
        rng = self.rng
        product = planned.product
        device = parc_services.device_register(
            owner=self.rnel,
            actor=self.staff,
            media=planned.media,
            kind=product.kind,
            brand=product.brand,
            model=product.model,
            serial=planned.serial,
            cpu=product.cpu,
            ram_gb=Decimal(product.ram_gb) if product.ram_gb else None,
            received_without_storage=planned.without_storage,
            location=self.locations[RESERVE if rng.random() < 0.7 else SORTING],
            donation=planned.donation.obj,
        )
        self.counts["devices"] += 1
        handover = {}  # the request and loan of the current cycle
        steps = planned.steps
        for index, (step, gap) in enumerate(zip(steps[1:], planned.gaps, strict=True), 1):
            following = steps[index + 1] if index + 1 < len(steps) else None
            yield from self.step(step, steps[index - 1], following, gap, device, product, handover)

    def step(self, step, previous, following, gap, device, product, handover):
        """The steps of one transition: yields the moments, runs the services."""
        rng = self.rng
        pk = device.pk
        tech, staff = self.technician, self.staff
        if step in ERASE_STEPS:
            yield from self.erase(step, device, gap)
            return
        if step == "allocate":
            yield from self.allocate(device, product, following, gap, handover)
            return
        yield self.later(timezone.now(), gap)
        match step:
            case "start_triage":
                parc_services.device_start_triage(pk, tech)
            case "wipe":
                parc_services.device_wipe(pk, tech)
            case "start_refurbishment":
                parc_services.device_start_refurbishment(pk, tech)
            case "mark_ready":
                parc_services.device_mark_ready(
                    pk,
                    tech,
                    checklist={key: True for key, _label in checklist_for(product.kind)},
                    grade=rng.choices([Grade.A, Grade.B, Grade.C], [3, 5, 2])[0],
                    os_installed=rng.choice(product.systems) if product.systems else "",
                    parts_replaced=rng.choice(NOTES["parts_replaced"]),
                )
                shelf = SHELF_B if product.kind in ("desktop", "screen", "printer") else SHELF_A
                yield timezone.now() + timedelta(minutes=rng.randint(2, 20))
                parc_services.device_move(pk, tech, self.locations[shelf])
            case "release":
                request = handover.pop("request")
                note = rng.choice(NOTES["release"])
                prets_services.allocation_release(request.pk, staff, note=note)
                yield timezone.now() + timedelta(minutes=rng.randint(5, 30))
                prets_services.request_cancel(request.pk, staff, note=note)
            case "lend":
                parc_services.device_move(pk, staff, None)
                request = handover.pop("request")
                started = timezone.localdate()
                loan = prets_services.loan_start(
                    request.pk,
                    staff,
                    started_on=started,
                    due_on=started + timedelta(days=rng.choice([45, 60, 90, 120, 180])),
                    deposit_amount=Decimal(rng.choice([0, 20, 20, 30])),
                    deposit_paid=True,
                    agreement_signed=True,
                    # Every third loan has a 10 € fee (no draw: the story stays the same).
                    fee_amount=Decimal(10 if self.counts["loans"] % 3 == 0 else 0),
                )
                handover["loan"] = loan
                if loan.fee_amount and not self.counts.get("loan_vouchers"):
                    # The first fee paid by a Pass numérique.
                    prets_services.voucher_record(
                        None,
                        staff,
                        loan_id=loan.pk,
                        scheme="pass_numerique",
                        issuer="Hub numérique Centre-Val de Loire",
                        number=f"PN-{started:%Y}-{loan.pk:05d}",
                        value=Decimal("10"),
                    )
                    self.counts["loan_vouchers"] = 1
                self.counts["loans"] += 1
                week = self.later(timezone.now(), 24 * rng.uniform(6, 10))
                # Before the loan's end: the next step is planned from this one on.
                if self.timeline.is_past(week) and rng.random() < 0.7:
                    yield week
                    prets_services.loan_follow_up(
                        loan.pk,
                        rng.choice([self.prescriber, staff]),
                        kind=FollowUpKind.CALL,
                        on=timezone.localdate(),
                        note=rng.choice(
                            [
                                "Appel de suivi : l'ordinateur fonctionne, démarches en ligne "
                                "faites.",
                                "Appel de suivi : le foyer utilise l'appareil tous les jours.",
                                "Appel de suivi : questions sur la messagerie, orienté vers "
                                "l'atelier d'initiation.",
                            ]
                        ),
                    )
                    self.counts["follow_ups"] += 1
            case "sell":
                parc_services.device_move(pk, staff, None)
                request = handover.pop("request")
                device.refresh_from_db()
                info = price_info(device)
                low, high = world.PRICES.get(product.kind, (10, 30))
                price = Decimal(rng.randrange(low, high + 1, 10))
                if info.suggested is not None and rng.random() < 0.6:
                    price = info.suggested
                if info.cap is not None:
                    price = min(price, info.cap)
                prets_services.sale_create(
                    request.pk,
                    staff,
                    price=price,
                    payment_method=rng.choice([PaymentMethod.CARD, PaymentMethod.CASH]),
                    sold_on=timezone.localdate(),
                )
                self.counts["sales"] += 1
            case "take_back":
                loan = handover.pop("loan")
                damage = "Chargeur non rendu." if rng.random() < 0.15 else ""
                prets_services.loan_take_back(
                    loan.pk,
                    staff,
                    returned_on=timezone.localdate(),
                    complete=True,
                    accessories_returned=not damage,
                    damage=damage,
                    note=rng.choice(NOTES["take_back"]),
                )
                if loan.deposit_amount and not damage:
                    prets_services.loan_deposit(loan.pk, staff, action="refunded")
                yield timezone.now() + timedelta(minutes=rng.randint(5, 40))
                parc_services.device_move(pk, staff, self.locations[SORTING])
            case "transfer_to_borrower":
                loan = handover.pop("loan")
                prets_services.loan_transfer(
                    loan.pk, staff, note=rng.choice(NOTES["transfer_to_borrower"])
                )
            case "dismantle":
                parc_services.device_dismantle(pk, tech, note=rng.choice(NOTES["dismantle"]))
            case "recycle":
                parc_services.device_recycle(pk, tech, note=rng.choice(NOTES["recycle"]))
            case "declare_lost":
                loan = handover.pop("loan")
                prets_services.loan_declare_lost(
                    loan.pk, staff, note=rng.choice(NOTES["lost_on_loan"])
                )
            case _:
                raise ValueError(step)

    def allocate(self, device, product, following, gap, handover):
        """A household's request arrives, is approved, and this ready device is set aside."""
        rng = self.rng
        mode = Mode.PURCHASE if following == "sell" else Mode.LOAN
        if following is None and rng.random() < 0.3:
            mode = Mode.PURCHASE  # set aside for a sale still to be paid
        yield self.later(timezone.now(), gap * rng.uniform(0.2, 0.5))
        household = self.new_household()
        request = self.request(household, product.kind, mode, urgent=rng.random() < 0.15)
        yield self.later(timezone.now(), _hours(rng, (2, 24 * 3)))
        prets_services.request_approve(request.pk, self.staff)
        yield self.later(timezone.now(), _hours(rng, (20, 24 * 5)))
        prets_services.device_allocate(request.pk, device.pk, self.staff)
        handover["request"] = request

    def erase(self, step, device, gap):
        """Erase every medium of the device (they run side by side), then record them."""
        rng = self.rng
        started = self.later(timezone.now(), gap)
        ended = started
        pending = []
        retry_first = step == "erase" and rng.random() < 0.06
        for index, medium in enumerate(StorageMedium.objects.filter(device=device)):
            fields, duration = self.erasure_fields(step, medium)
            if step == "erase_failed" or (retry_first and index == 0):
                cut = duration * rng.uniform(0.1, 0.7)
                failed = {**fields, "result": ErasureResult.FAILED}
                pending.append((medium, failed, started, started + cut))
                if step == "erase_failed":
                    ended = max(ended, started + cut)
                    continue
                retry_at = started + cut + timedelta(minutes=rng.randint(10, 60))
                pending.append((medium, fields, retry_at, retry_at + duration))
                ended = max(ended, retry_at + duration)
            else:
                pending.append((medium, fields, started, started + duration))
                ended = max(ended, started + duration)
        recorded = self.later(ended, rng.uniform(0.05, 0.4))
        for medium, fields, begin, end in pending:
            yield recorded
            parc_services.erasure_record(
                medium.pk, self.technician, started_at=begin, ended_at=end, **fields
            )
            recorded = timezone.now() + timedelta(minutes=rng.randint(1, 4))

    def erasure_fields(self, step, medium) -> tuple[dict, timedelta]:
        rng = self.rng
        if step == "erase_destroy":
            method = (
                SanitizationMethod.SHRED
                if medium.media_type in (MediaType.HDD, MediaType.SSD, MediaType.NVME)
                else SanitizationMethod.DRILL
            )
            return {
                "level": SanitizationLevel.DESTROY,
                "method": method,
                "tool": "Broyeur du prestataire DEEE"
                if method == "shred"
                else "Perceuse à colonne",
                "tool_version": "",
                "verification": Verification.FULL,
                "result": ErasureResult.ERASED,
                "destination": PostSanitizationDestination.DESTROYED,
            }, timedelta(minutes=rng.randint(5, 20))
        destination = (
            PostSanitizationDestination.STOCK
            if step == "erase_stock"
            else PostSanitizationDestination.REUSE
        )
        common = {"result": ErasureResult.ERASED, "destination": destination}
        capacity = medium.capacity_gb or 256
        if medium.media_type == MediaType.HDD or (
            medium.media_type == MediaType.SSD and rng.random() < 0.6
        ):
            full = rng.random() < 0.7
            speed_mb_s = 120 if medium.media_type == MediaType.HDD else 350
            minutes = capacity * 1000 / speed_mb_s / 60 * (2 if full else 1.05)
            return {
                **common,
                "level": SanitizationLevel.CLEAR,
                "method": SanitizationMethod.OVERWRITE,
                "tool": "nwipe",
                "tool_version": "0.35",
                "verification": Verification.FULL if full else Verification.SAMPLE,
            }, timedelta(minutes=minutes * rng.uniform(0.9, 1.2))
        if medium.media_type == MediaType.SSD:
            return {
                **common,
                "level": SanitizationLevel.PURGE,
                "method": SanitizationMethod.FIRMWARE_SECURE_ERASE,
                "tool": "hdparm",
                "tool_version": "9.65",
                "verification": Verification.SAMPLE,
            }, timedelta(minutes=rng.randint(2, 8))
        if medium.media_type == MediaType.NVME:
            return {
                **common,
                "level": SanitizationLevel.PURGE,
                "method": SanitizationMethod.CRYPTO_ERASE,
                "tool": "nvme-cli",
                "tool_version": "2.8",
                "verification": Verification.SAMPLE,
            }, timedelta(minutes=rng.randint(1, 4))
        # Phones and tablets: encrypted storage, so a factory reset is a cryptographic erase.
        apple = medium.manufacturer == "Apple"
        return {
            **common,
            "level": SanitizationLevel.PURGE,
            "method": SanitizationMethod.FACTORY_RESET,
            "tool": "Apple Configurator" if apple else "Android Recovery",
            "tool_version": "2.17" if apple else "",
            "verification": Verification.SAMPLE,
        }, timedelta(minutes=rng.randint(10, 30))

    # --- a donor's list, imported ------------------------------------------------------------

    def imported_donation_story(self):
        """A donation whose devices come from the donor's inventory list (intake): announced,
        collected, received, then the list imported; its devices wait for triage."""
        donor = "Groupe Novo Nordisk Chartres"
        donation = dons_services.donation_create(
            self.gisements[donor].pk,
            actor=self.staff,
            lines={DeviceKind.LAPTOP: len(world.IMPORTED_LIST)},
            notes="Don : fin de contrat de location (liste du donateur)",
            donor_reference="NN-IT-2026-117",
        )
        self.counts["donations"] += 1
        yield self.later(timezone.now(), 24 * 3)
        dons_services.donation_collect(donation.pk, self.staff, pickup_date=timezone.localdate())
        yield self.later(timezone.now(), 3)
        dons_services.donation_receive(
            donation.pk,
            self.staff,
            received_on=timezone.localdate(),
            weight_kg=KIND_WEIGHT[DeviceKind.LAPTOP] * len(world.IMPORTED_LIST),
        )
        yield self.later(timezone.now(), 24)
        rows = [world.IMPORTED_HEADER, *world.IMPORTED_LIST]
        upload = SimpleUploadedFile(
            "inventaire-novo-nordisk.csv", ("\n".join(";".join(r) for r in rows) + "\n").encode()
        )
        job = intake_services.job_create(self.staff, donation, upload)
        intake_services.job_set_mapping(
            self.staff, job, job.mapping, default_kind=DeviceKind.LAPTOP
        )
        yield timezone.now() + timedelta(minutes=3)
        intake_services.start_analysis(self.staff, job)
        yield timezone.now() + timedelta(minutes=5)
        job.refresh_from_db()
        intake_services.start_import(job, self.staff)
        job.refresh_from_db()
        self.counts["devices"] += job.created_count
        self.counts["imported"] += job.created_count

    # --- households and requests -------------------------------------------------------------

    def household_names(self) -> list[str]:
        taken = {name for name, *_rest in world.HOUSEHOLDS}
        names = [
            f"{title} {surname}"
            for surname in SURNAMES
            for title in ("Mme", "M.")
            if f"{title} {surname}" not in taken
        ]
        random.Random(SEED + 1).shuffle(names)
        return names

    def new_household(self, name=None, commune=None, size=None, categories=None) -> Household:
        rng = self.rng
        if name is None:
            name = self.names.pop() if self.names else f"Foyer {self.counts['households'] + 1}"
            commune = rng.choice([world.CHARTRES, world.CHARTRES, world.LUCE])
            size = rng.choice([1, 1, 2, 2, 3, 4, 5])
            categories = rng.choice(world.CATEGORIES)
        self.counts["households"] += 1
        return household_create(
            actor=self.prescriber,
            organisation=self.ccas,
            informed=True,
            name=name,
            phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
            f"{rng.randint(10, 99)}",
            commune=self.communes[commune],
            size=size,
            **dict.fromkeys(categories, True),
        )

    def criterion_for(self, household: Household) -> EligibilityCriterion:
        for flag, code in world.CRITERION_OF:
            if getattr(household, flag, False) and code in self.criteria:
                return self.criteria[code]
        return self.criteria[world.FALLBACK_CRITERION]

    def request(self, household, kind, mode, *, urgent=False, submit=True, purpose=None):
        criterion = self.criterion_for(household)
        check = prets_services.eligibility_check_record(
            household.pk,
            self.prescriber,
            criterion=criterion,
            proof_kind=(criterion.proof_list or [""])[0],
            checked_on=timezone.localdate(),
        )
        self.counts["requests"] += 1
        return prets_services.request_create(
            self.prescriber,
            household=household,
            refurbisher=self.rnel,
            device_kind=kind,
            purpose=purpose or self.rng.choice(PURPOSES),
            mode=mode,
            urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
            eligibility=check,
            consent_informed=submit,
            submit=submit,
        )

    def named_households_story(self):
        """The CCAS' households that come to the workshops, met ten weeks ago."""
        self.named = {}
        for index, (name, commune, size, categories) in enumerate(world.HOUSEHOLDS):
            yield _local(self.day(-70 + index * 2), 10, 30)
            self.named[name] = self.new_household(name, commune, size, categories)

    def waiting_requests_story(self, household: str, outcome: str, created: int):
        """A request of the last weeks still in the queue, refused or cancelled."""
        yield _local(self.workday(created), 10)
        request = self.request(
            self.named[household],
            DeviceKind.LAPTOP,
            Mode.LOAN,
            urgent=outcome == "submitted",
            submit=outcome != "draft",
        )
        if outcome in ("draft", "submitted"):
            return
        yield _local(self.workday(created + 2), 14)
        match outcome:
            case "rejected":
                prets_services.request_reject(request.pk, self.staff, reason=world.REJECTION)
            case "approved":
                prets_services.request_approve(request.pk, self.staff)
            case "cancelled":
                prets_services.request_cancel(
                    request.pk,
                    self.prescriber,
                    note="Le foyer a reçu un ordinateur de sa famille.",
                )

    # --- workshops ---------------------------------------------------------------------------

    def day(self, offset: int) -> dt.date:
        return self.today + timedelta(days=offset)

    def workday(self, offset: int) -> dt.date:
        """``offset`` days from today, moved forward to a Monday if it falls on a weekend."""
        day = self.day(offset)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day

    def session_story(self, spec: dict):
        """Planned three weeks before, enrolments, attendance and assessments after it."""
        start = _local(self.workday(spec["offset"]), spec["hour"], 30 if spec["hour"] == 9 else 0)
        where_recyclerie = spec.get("where", "recyclerie") == "recyclerie"
        yield start - timedelta(days=20)
        session = ateliers_services.session_create(
            actor=self.facilitator,
            workshop_type=self.workshop_types[spec["code"]],
            organisation=self.rnel,
            commune=self.communes[world.LUCE if where_recyclerie else world.CHARTRES],
            address=world.RECYCLERIE_ROOM if where_recyclerie else world.MEDIATHEQUE_ROOM,
            starts_at=start,
            ends_at=start + timedelta(hours=spec["hours"]),
            facilitator=self.facilitator,
            capacity=spec["capacity"],
            title=spec.get("title", ""),
            accessibility=(
                "Salle de plain-pied, accessible en fauteuil. Ordinateurs et tablettes prêtés "
                "sur place. Bus ligne 3, arrêt Artisans."
                if where_recyclerie
                else "Accessible en fauteuil (ascenseur). Boucle magnétique à l'accueil."
            ),
        )
        self.counts["sessions"] += 1
        if spec["code"] == "repair_cafe":
            yield start + timedelta(minutes=20)
            yield from self.repairs(session)
            return
        enrolments = []
        enrol_from = spec.get("enrol_from") or start - timedelta(days=spec.get("enrol_days", 10))
        for index, name in enumerate(spec.get("households", ())):
            yield enrol_from + timedelta(hours=index)
            enrolments.append(
                ateliers_services.enrol(session.pk, self.named[name].pk, actor=self.prescriber)
            )
            self.counts["enrolments"] += 1
        if spec.get("cancel_last"):
            yield self.now - timedelta(hours=2)
            ateliers_services.enrolment_cancel(enrolments[-1].pk, actor=self.prescriber)
        if "attendance" not in spec:
            return
        yield session.ends_at - timedelta(minutes=15)
        marks = dict(zip((e.pk for e in enrolments), spec["attendance"], strict=True))
        ateliers_services.attendance_record(session.pk, actor=self.facilitator, marks=marks)
        yield session.ends_at - timedelta(minutes=5)
        for name, moment, levels in spec.get("assessments", ()):
            ateliers_services.assessment_record(
                actor=self.facilitator,
                household_id=self.named[name].pk,
                moment=moment,
                levels=dict(zip(pix.DOMAIN_CODES, levels, strict=True)),
                session_id=session.pk,
            )
            self.counts["assessments"] += 1
            if not self.counts.get("autonomy_sharings") and session.organisation_id != (
                self.named[name].organisation_id
            ):
                # The household agrees that the workshop's facilitators see its level.
                ateliers_services.autonomy_sharing_grant(
                    self.named[name].pk, session.organisation_id, actor=self.prescriber
                )
                self.counts["autonomy_sharings"] = 1

    def repairs(self, session):
        """The repair café: loaned devices brought back for maintenance, household items."""
        devices = list(
            Device.objects.filter(
                owner=self.rnel,
                state=State.ON_LOAN,
                kind__in=[DeviceKind.LAPTOP, DeviceKind.TABLET, DeviceKind.SMARTPHONE],
            ).order_by("state_changed_at", "id")[:3]
        )
        pool_outcomes = (
            ("Lenteurs au démarrage", "Fixed", "", "Nettoyage, mises à jour", 40),
            ("Batterie ne tient plus la charge", "Fixed", "", "Batterie neuve", 35),
            ("Écran qui scintille", "Repairable", "", "", 25),
        )
        outside = (
            (14, "Seb", 2016, Decimal("1.20"), "Ne chauffe plus", "Fixed", "", "Thermostat", 30),
            (15, "Ikea", None, None, "Interrupteur cassé", "Fixed", "", "Interrupteur", 15),
            (19, "Samsung", 2019, None, "Connecteur de charge", "Fixed", "", "Connecteur", 45),
            (16, "Acer", 2011, None, "Carte mère HS", "End of life",
             "Spare parts too expensive", "", 30),
            (25, "Epson", 2017, Decimal("4.50"), "Bourrage papier", "Repairable", "", "", 20),
            (36, "Krups", 2014, Decimal("2.80"), "Fuite d'eau", "Fixed", "", "Joint", 35),
            (29, "Moulinex", 2010, Decimal("3.00"), "Moteur grillé", "End of life",
             "Too worn out", "", 20),
        )  # fmt: skip
        for device, (problem, status, barrier, parts, minutes) in zip(
            devices, pool_outcomes, strict=False
        ):
            ateliers_services.repair_record(
                session.pk,
                actor=self.facilitator,
                device_code=device.public_code,
                problem=problem,
                status=status,
                barrier=barrier,
                parts_used=parts,
                minutes_spent=minutes,
            )
            self.counts["repairs"] += 1
            yield timezone.now() + timedelta(minutes=12)
        for category, brand, year, weight, problem, status, barrier, parts, minutes in outside:
            ateliers_services.repair_record(
                session.pk,
                actor=self.facilitator,
                product_category_id=category,
                brand=brand,
                year_of_manufacture=year,
                weight_kg=weight,
                problem=problem,
                status=status,
                barrier=barrier,
                parts_used=parts,
                minutes_spent=minutes,
            )
            self.counts["repairs"] += 1
            yield timezone.now() + timedelta(minutes=12)

    def sessions(self) -> list[dict]:
        names = [name for name, *_rest in world.HOUSEHOLDS]
        starts = [(1, 1, 1, 1, 1), (1, 2, 1, 1, 2), (2, 1, 1, 1, 1), (1, 1, 1, 2, 1),
                  (2, 2, 1, 1, 2), (1, 1, 1, 1, 1)]  # fmt: skip
        before, after = [], []
        for index, name in enumerate(names[:6]):
            levels = list(starts[index])
            before.append((name, "before", levels))
            if index < 5:  # present at the security module too
                gained = [min(3, level + (self.rng.random() < 0.6)) for level in levels]
                after.append((name, "after", gained))
        return [
            {"code": "initiation", "offset": -35, "hour": 14, "hours": 2, "capacity": 8,
             "title": "Premiers pas", "households": names[:8],
             "attendance": ["present"] * 6 + ["absent", "excused"], "assessments": before},
            {"code": "securite", "offset": -21, "hour": 14, "hours": 2, "capacity": 8,
             "title": "Déjouer les arnaques", "households": names[:6], "enrol_days": 12,
             "attendance": ["present"] * 5 + ["absent"], "assessments": after},
            {"code": "repair_cafe", "offset": -14, "hour": 9, "hours": 3, "capacity": 30,
             "title": "Repair café de la médiathèque", "where": "mediatheque"},
            {"code": "initiation", "offset": 6, "hour": 14, "hours": 2, "capacity": 6,
             "title": "Premiers pas", "households": names[6:12] + names[:3],
             "enrol_from": self.now - timedelta(days=3), "cancel_last": True},
            {"code": "linux", "offset": 13, "hour": 14, "hours": 3, "capacity": 8,
             "households": names[:3], "enrol_from": self.now - timedelta(days=2)},
            {"code": "maintenance", "offset": 20, "hour": 9, "hours": 3, "capacity": 12,
             "title": "Entretien de votre ordinateur prêté"},
        ]  # fmt: skip

    # --- the whole demo ----------------------------------------------------------------------

    def build(self) -> dict:
        with time_machine.travel(self.window_start - timedelta(days=30), tick=False):
            self.setup()
        donations, devices = self.plan_all()
        timeline = self.timeline
        for planned in donations:
            timeline.start(planned.announced, self.donation_story(planned))
        for planned in devices:
            timeline.start(planned.registered, self.device_story(planned))
        timeline.start(_local(self.workday(-12), 10), self.imported_donation_story())
        timeline.start(_local(self.day(-71), 9), self.named_households_story())
        for household, outcome, created in (
            ("Mme Blanc", "rejected", -18),
            ("Mme Chevalier", "cancelled", -12),
            ("M. Perrin", "approved", -6),
            ("Mme Gauthier", "submitted", -3),
            ("M. Mercier", "draft", -1),
        ):
            timeline.start(
                _local(self.workday(created), 9),
                self.waiting_requests_story(household, outcome, created),
            )
        for spec in self.sessions():
            timeline.start(self.now - timedelta(days=60), self.session_story(spec))
        self.counts["steps"] = timeline.run()
        return dict(self.counts)


def demo_is_loaded() -> bool:
    return Organisation.objects.filter(name=world.DEMO_ORGANISATION_NAME).exists()


def load_demo(now: datetime | None = None) -> dict | None:
    """Create the demonstration data; ``None`` if it is already there (nothing changes).

    Loads the Eure-et-Loir territories first if the communes it needs are missing. Demo
    accounts that already exist get the demo password and membership: never run this on a
    production database.
    """
    if demo_is_loaded():
        return None
    now = now or timezone.now()
    if Commune.objects.filter(pk__in=DEMO_COMMUNES).count() < len(DEMO_COMMUNES):
        territories_load(departement=DEMO_DEPARTEMENT)
    # The services e-mail the prescriber at each step: a demo load sends none. Not DEBUG:
    # its log of every query would cost a tenth of the time.
    with override_settings(EMAIL_BACKEND=DISCARD_MAIL, DEBUG=False), transaction.atomic():
        summary = Builder(now).build()
        owner = Organisation.objects.get(name=world.DEMO_ORGANISATION_NAME)
        summary["by_state"] = Counter(
            Device.objects.filter(owner=owner).values_list("state", flat=True)
        )
    for username in world.DEMO_ACCOUNTS:
        get_user_model().objects.filter(username=username[0]).update(
            email=f"{username[0]}@demo.filiere.invalid"
        )
    return summary
