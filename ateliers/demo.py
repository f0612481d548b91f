"""Demonstration workshops for the Eure-et-Loir demo (parc.demo): a dozen households of the
CCAS de Chartres, six sessions past and future, enrolments and a waiting list, attendance,
autonomy assessments and the repairs of a repair café.

Everything goes through the real services (acteurs.services, ateliers.services), each step
run at its moment in the past under a fake clock, so the rules hold (a session is planned
before it starts, attendance is taken after it starts) and pool devices get their "repair"
event at the right place in their history. Deterministic (``random.Random(SEED)``) and
idempotent: ``load_demo_ateliers()`` returns None when its households already exist.
"""

import datetime as dt
import random
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from acteurs.models import Commune, Household, Organisation
from acteurs.services import household_create
from parc.demo import CCAS_CHARTRES, RNEL, demo_is_loaded
from parc.models import Device, DeviceEvent, DeviceKind, State

from . import impact, ords, pix
from .catalogue import ensure_workshop_types
from .models import Repair, Session, WorkshopType
from .services import (
    assessment_record,
    attendance_record,
    enrol,
    enrolment_cancel,
    repair_record,
    session_create,
)

SEED = 2028
FACILITATOR = "animateur"
PRESCRIBER = "prescripteur"
LUCE = "28218"
CHARTRES = "28085"
RECYCLERIE = "Espace numérique de la Recyclerie, 5 rue des Artisans"
MEDIATHEQUE = "Médiathèque L'Apostrophe, 1 boulevard Maurice-Violette"

# name, commune, size, categories
HOUSEHOLDS = (
    ("Mme Lefebvre", CHARTRES, 1, ("is_senior",)),
    ("M. Moreau", CHARTRES, 1, ("is_jobseeker", "receives_social_minimum")),
    ("Mme Garcia", LUCE, 3, ("is_single_parent",)),
    ("M. Fontaine", CHARTRES, 2, ("is_senior",)),
    ("Mme Chevalier", CHARTRES, 4, ("is_single_parent", "receives_social_minimum")),
    ("M. Robin", LUCE, 1, ("is_young", "is_jobseeker")),
    ("Mme Gauthier", CHARTRES, 1, ("is_senior",)),
    ("M. Perrin", CHARTRES, 2, ("receives_social_minimum",)),
    ("Mme Morin", LUCE, 1, ("is_young",)),
    ("M. Mercier", CHARTRES, 5, ()),
    ("Mme Blanc", CHARTRES, 2, ("is_jobseeker",)),
    ("M. Guérin", LUCE, 1, ("is_senior", "receives_social_minimum")),
)


@contextmanager
def _at(moment: dt.datetime):
    """Run the services as if it were ``moment`` (they read ``timezone.now()``)."""
    with mock.patch("django.utils.timezone.now", lambda: moment):
        yield


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def demo_ateliers_loaded() -> bool:
    return Household.objects.filter(
        organisation__name=CCAS_CHARTRES, name=HOUSEHOLDS[0][0]
    ).exists()


class _Builder:
    def __init__(self, now: dt.datetime):
        self.now = now
        self.today = timezone.localdate(now)
        self.rng = random.Random(SEED)
        users = get_user_model().objects
        self.facilitator = users.get(username=FACILITATOR)
        self.prescriber = users.get(username=PRESCRIBER)
        self.rnel = Organisation.objects.get(name=RNEL)
        self.ccas = Organisation.objects.get(name=CCAS_CHARTRES)
        self.types = {t.code: t for t in WorkshopType.objects.all()}
        self.communes = {c.pk: c for c in Commune.objects.filter(pk__in=[LUCE, CHARTRES])}

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    def workday(self, offset: int) -> dt.date:
        """``offset`` days from today, moved forward to a Monday if it falls on a weekend."""
        day = self.day(offset)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return day

    def households(self) -> list[Household]:
        created = []
        for index, (name, commune, size, categories) in enumerate(HOUSEHOLDS):
            with _at(_local(self.day(-70 + index * 2), 10, 30)):
                created.append(
                    household_create(
                        actor=self.prescriber,
                        organisation=self.ccas,
                        informed=True,
                        name=name,
                        phone=f"06 {self.rng.randint(10, 99)} {self.rng.randint(10, 99)} "
                        f"{self.rng.randint(10, 99)} {self.rng.randint(10, 99)}",
                        commune=self.communes[commune],
                        size=size,
                        **dict.fromkeys(categories, True),
                    )
                )
        return created

    def session(self, code, *, offset, hour, hours, capacity, title="", where="recyclerie"):
        start = _local(self.workday(offset), hour, 30 if hour == 9 else 0)
        address, commune = (RECYCLERIE, LUCE) if where == "recyclerie" else (MEDIATHEQUE, CHARTRES)
        with _at(start - dt.timedelta(days=20)):
            return session_create(
                actor=self.facilitator,
                workshop_type=self.types[code],
                organisation=self.rnel,
                commune=self.communes[commune],
                address=address,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=hours),
                facilitator=self.facilitator,
                capacity=capacity,
                title=title,
                accessibility=(
                    "Salle de plain-pied, accessible en fauteuil. Ordinateurs et tablettes "
                    "prêtés sur place. Bus ligne 3, arrêt Artisans."
                    if where == "recyclerie"
                    else "Accessible en fauteuil (ascenseur). Boucle magnétique à l'accueil."
                ),
            )

    def enrol_all(self, session, households, *, start: dt.datetime):
        """The prescriber enrols them one an hour from ``start``, in this order."""
        enrolments = []
        for index, household in enumerate(households):
            moment = start + dt.timedelta(hours=index)
            with _at(moment):
                enrolments.append(enrol(session.pk, household.pk, actor=self.prescriber))
        return enrolments

    def attendance(self, session, marks: dict):
        with _at(session.ends_at - dt.timedelta(minutes=15)):
            attendance_record(session.pk, actor=self.facilitator, marks=marks)

    def assess(self, session, household, moment, levels):
        with _at(session.ends_at - dt.timedelta(minutes=5)):
            assessment_record(
                actor=self.facilitator,
                household_id=household.pk,
                moment=moment,
                levels=dict(zip(pix.DOMAIN_CODES, levels, strict=True)),
                session_id=session.pk,
            )

    def repairs(self, session) -> int:
        """The repair café: a few loaned devices brought back for maintenance, and
        household items."""
        # Loaned devices whose history is older than the session (events stay in order).
        devices = list(
            Device.objects.filter(
                owner=self.rnel,
                state=State.ON_LOAN,
                kind__in=[DeviceKind.LAPTOP, DeviceKind.TABLET, DeviceKind.SMARTPHONE],
            )
            .annotate(last_event=Max("events__at"))
            .filter(last_event__lt=session.starts_at - dt.timedelta(days=1))
            .order_by("id")[:3]
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
            (
                16,
                "Acer",
                2011,
                None,
                "Carte mère HS",
                "End of life",
                "Spare parts too expensive",
                "",
                30,
            ),
            (25, "Epson", 2017, Decimal("4.50"), "Bourrage papier", "Repairable", "", "", 20),
            (36, "Krups", 2014, Decimal("2.80"), "Fuite d'eau", "Fixed", "", "Joint", 35),
            (
                29,
                "Moulinex",
                2010,
                Decimal("3.00"),
                "Moteur grillé",
                "End of life",
                "Too worn out",
                "",
                20,
            ),
        )
        count = 0
        moment = session.starts_at + dt.timedelta(minutes=20)
        for device, (problem, status, barrier, parts, minutes) in zip(
            devices, pool_outcomes, strict=False
        ):
            with _at(moment):
                repair_record(
                    session.pk,
                    actor=self.facilitator,
                    device_code=device.public_code,
                    problem=problem,
                    status=status,
                    barrier=barrier,
                    parts_used=parts,
                    minutes_spent=minutes,
                )
            moment += dt.timedelta(minutes=12)
            count += 1
        for category, brand, year, weight, problem, status, barrier, parts, minutes in outside:
            with _at(moment):
                repair_record(
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
            moment += dt.timedelta(minutes=12)
            count += 1
        return count

    def levels(self, start: tuple, gain: float) -> tuple[list[int], list[int]]:
        before = list(start)
        after = [min(3, level + (1 if self.rng.random() < gain else 0)) for level in before]
        return before, after

    def build(self) -> dict:
        people = self.households()
        # Past: an initiation, a security module for the same group, a repair café.
        initiation = self.session(
            "initiation", offset=-35, hour=14, hours=2, capacity=8, title="Premiers pas"
        )
        first = self.enrol_all(
            initiation, people[:8], start=initiation.starts_at - dt.timedelta(days=10)
        )
        attendance = ["present"] * 6 + ["absent", "excused"]
        self.attendance(initiation, dict(zip((e.pk for e in first), attendance, strict=True)))
        security = self.session(
            "securite", offset=-21, hour=14, hours=2, capacity=8, title="Déjouer les arnaques"
        )
        second = self.enrol_all(
            security, people[:6], start=security.starts_at - dt.timedelta(days=12)
        )
        self.attendance(
            security,
            dict(zip((e.pk for e in second), ["present"] * 5 + ["absent"], strict=True)),
        )
        starts = [(1, 1, 1, 1, 1), (1, 2, 1, 1, 2), (2, 1, 1, 1, 1), (1, 1, 1, 2, 1),
                  (2, 2, 1, 1, 2), (1, 1, 1, 1, 1)]  # fmt: skip
        assessments = 0
        for index, household in enumerate(people[:6]):
            before, after = self.levels(starts[index], gain=0.6)
            self.assess(initiation, household, "before", before)
            assessments += 1
            if index < 5:  # present at the security module too
                self.assess(security, household, "after", after)
                assessments += 1
        repair_cafe = self.session(
            "repair_cafe",
            offset=-14,
            hour=9,
            hours=3,
            capacity=30,
            title="Repair café de la médiathèque",
            where="mediatheque",
        )
        repairs = self.repairs(repair_cafe)
        # Future: a full initiation with a waiting list, a Linux session, maintenance.
        upcoming = self.session(
            "initiation", offset=6, hour=14, hours=2, capacity=6, title="Premiers pas"
        )
        three_days_ago = self.now - dt.timedelta(days=3)
        queue = self.enrol_all(upcoming, people[6:12] + people[:3], start=three_days_ago)
        with _at(self.now - dt.timedelta(hours=2)):
            enrolment_cancel(queue[-1].pk, actor=self.prescriber)  # off the waiting list
        linux = self.session("linux", offset=13, hour=14, hours=3, capacity=8)
        self.enrol_all(linux, people[:3], start=three_days_ago + dt.timedelta(days=1))
        self.session(
            "maintenance",
            offset=20,
            hour=9,
            hours=3,
            capacity=12,
            title="Entretien de votre ordinateur prêté",
        )
        sessions = Session.objects.filter(organisation=self.rnel)
        return {
            "households": len(people),
            "sessions": sessions.count(),
            "enrolments": sum(s.enrolments.count() for s in sessions),
            "assessments": assessments,
            "repairs": repairs,
            "averted_kg": impact.totals(Repair.objects.filter(session=repair_cafe))[
                "averted_kg"
            ].quantize(Decimal("0.01")),
        }


def load_demo_ateliers(now: dt.datetime | None = None) -> dict | None:
    """Create the demonstration workshops; None if they are already there.

    Needs the pool demo (``load_demo``): its organisations, its facilitator and prescriber
    accounts, its loaned devices. Raises ``LookupError`` without it.
    """
    if demo_ateliers_loaded():
        return None
    if not demo_is_loaded():
        raise LookupError("load_demo first: the workshops use its organisations and accounts")
    ensure_workshop_types()
    now = now or timezone.now()
    with transaction.atomic():
        summary = _Builder(now).build()
    summary["repair_events"] = DeviceEvent.objects.filter(action="repair").count()
    summary["ords_categories"] = len(ords.categories())
    return summary
