"""Anonymisation reaches every copy: a household's name and phone are typed into every
free-text field Filière offers, through the services and pages people use; the household is
then erased (on request, through its page) or anonymised (retention, the scheduled command);
a full dump of the database (SQLite: ``iterdump``; PostgreSQL: every text and JSON column of
every table) and every page and export that showed them hold them no more.

The one copy kept is the buyer's name on a sale — an accounting record the law keeps ten years
— and the registry (acteurs.personal_data) declares it so; the test allows it there only.
"""

import datetime as dt
import io
import re
from decimal import Decimal

import pypdfium2
import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from acteurs import personal_data
from acteurs import services as acteurs_services
from acteurs.models import Household, HouseholdAnonymisation
from ateliers import services as ateliers_services
from ateliers.models import Enrolment
from parc import services as parc_services
from parc.models import DeviceEvent
from prets import services
from prets.models import EligibilityCriterion, LoanEvent, RequestEvent
from tests.acteurs.factories import (
    CommuneFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.ateliers.factories import SessionFactory
from tests.parc.factories import DeviceFactory

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

NAME = "Mme Garcia-Fontaine"
PHONE = "06 11 34 49 89"
EMAIL = "garcia.fontaine@example.org"
# What someone types about her in a free-text field.
TYPED = f"{NAME} ({PHONE})"
# What must be found nowhere afterwards (lower-cased text).
NEEDLES = ("garcia", "0611344989", "06 11 34 49 89", "06.11.34.49.89", "fontaine@")


def hits(text: str) -> list[str]:
    lowered = text.lower()
    return [needle for needle in NEEDLES if needle in lowered]


def pdf_text(content: bytes) -> str:
    document = pypdfium2.PdfDocument(io.BytesIO(content))
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def member(organisation, role, username, **fields):
    user = UserFactory(username=username, **fields)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


class Scene:
    """Who is who, the household, and what was written about it."""


def _approved(scene, *, mode="loan", details=""):
    request = services.request_create(
        scene.prescriber,
        household=scene.household,
        refurbisher=scene.association,
        device_kind="laptop",
        purpose="procedures",
        mode=mode,
        eligibility=scene.check,
        details=details,
        consent_informed=True,
        submit=True,
    )
    services.request_approve(request.pk, scene.staff, note=TYPED, expected_state="submitted")
    return request


def _device(scene):
    return DeviceFactory(owner=scene.association, state="ready", grade="B")


def _lend(scene, request):
    device = _device(scene)
    services.device_allocate(request.pk, device.pk, scene.staff)
    return services.loan_start(request.pk, scene.staff), device


@pytest.fixture
def scene(client):
    s = Scene()
    commune = CommuneFactory()
    s.ccas = OrganisationFactory(name="CCAS de Chartres", short_name="CCAS", is_prescriber=True)
    s.association = OrganisationFactory(
        name="Recyclerie du Perche", short_name="RP", is_refurbisher=True
    )
    s.prescriber = member(s.ccas, "prescriber", "presc", first_name="Paule")
    s.ccas_admin = member(s.ccas, "admin", "ccas-admin", is_staff=True)
    s.staff = member(s.association, "staff", "equipe", first_name="Inès")
    s.technician = member(s.association, "technician", "tech")
    s.facilitator = member(s.association, "facilitator", "anim")
    s.operator = UserFactory(username="operateur", is_staff=True, is_superuser=True)

    # The household, told and agreeing (acteurs).
    s.household = acteurs_services.household_create(
        actor=s.prescriber,
        organisation=s.ccas,
        informed=True,
        name=NAME,
        phone=PHONE,
        email=EMAIL,
        commune=commune,
        size=3,
    )
    criterion = EligibilityCriterion.objects.get(code="rsa")
    s.check = services.eligibility_check_record(
        s.household.pk, s.prescriber, criterion=criterion, proof_kind=criterion.proof_list[0]
    )

    # A loan, renewed, followed, its device released once on the way, brought back with
    # damage and a note; then a technician notes who brought it back when triaging it.
    request = _approved(s, details=TYPED)
    released = _device(s)
    services.device_allocate(request.pk, released.pk, s.staff)
    services.allocation_release(request.pk, s.staff, note=f"{NAME} ne peut pas venir")
    s.loan, s.returned_device = _lend(s, request)
    services.loan_renew(
        s.loan.pk, s.staff, due_on=s.loan.due_on + dt.timedelta(days=30), note=TYPED
    )
    services.loan_follow_up(s.loan.pk, s.prescriber, kind="call", note=f"appelé {TYPED}")
    services.loan_take_back(
        s.loan.pk,
        s.staff,
        complete=False,
        accessories_returned=False,
        damage=f"écran fêlé chez {NAME}",
        note=f"rendu par {TYPED}",
    )
    parc_services.device_start_triage(
        s.returned_device.pk, s.technician, note=f"rapporté par {NAME}, {PHONE}"
    )
    # A loan whose device the household keeps, another lost: their notes.
    s.kept_loan, s.kept_device = _lend(s, _approved(s))
    services.loan_transfer(s.kept_loan.pk, s.staff, note=f"{NAME} garde l'appareil")
    s.lost_loan, s.lost_device = _lend(s, _approved(s))
    services.loan_declare_lost(s.lost_loan.pk, s.staff, note=f"volé chez {TYPED}")
    # A purchase (its receipt keeps the buyer's name: an accounting record).
    purchase = _approved(s, mode="purchase")
    s.sold_device = _device(s)
    services.device_allocate(purchase.pk, s.sold_device.pk, s.staff)
    s.sale = services.sale_create(purchase.pk, s.staff, price=Decimal("50"), payment_method="cash")
    # A request refused, another cancelled: the reason and the note name her.
    refused = services.request_create(
        s.prescriber,
        household=s.household,
        refurbisher=s.association,
        device_kind="tablet",
        purpose="school",
        mode="loan",
        eligibility=s.check,
        details=TYPED,
        consent_informed=True,
        submit=True,
    )
    services.request_reject(refused.pk, s.staff, reason=f"déjà équipée, {TYPED}")
    cancelled = _approved(s)
    services.request_cancel(cancelled.pk, s.prescriber, note=f"{NAME} a déménagé")
    s.requests = [request, refused, cancelled, purchase]

    # Workshops: enrolled, present, assessed (ateliers).
    now = timezone.now()
    s.session = SessionFactory(
        organisation=s.association,
        facilitator=s.facilitator,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=1),
    )
    enrolment = ateliers_services.enrol(s.session.pk, s.household.pk, actor=s.prescriber)
    ateliers_services.attendance_record(
        s.session.pk, actor=s.facilitator, marks={enrolment.pk: "present"}
    )
    ateliers_services.assessment_record(
        actor=s.facilitator,
        household_id=s.household.pk,
        moment="after",
        levels=dict.fromkeys(("1", "2", "3", "4", "5"), 2),
        session_id=s.session.pk,
    )
    # An operator deletes a stale enrolment in the admin: the admin's log keeps its str().
    later = SessionFactory(organisation=s.association, facilitator=s.facilitator)
    stale = ateliers_services.enrol(later.pk, s.household.pk, actor=s.prescriber)
    client.force_login(s.operator)
    deleted = client.post(
        reverse("admin:ateliers_enrolment_delete", args=[stale.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 302 and not Enrolment.objects.filter(pk=stale.pk).exists()
    # An older admin edit of the household (when the admin allowed it).
    LogEntry.objects.log_actions(
        user_id=s.operator.pk,
        queryset=[s.household],
        action_flag=CHANGE,
        change_message=f'[{{"changed": {{"fields": ["nom"]}}, "from": "{TYPED}"}}]',
        single_object=True,
    )
    # Rows written before notes stayed with the loan (the bug this fixes): the device's and
    # the loan's histories copied the return note and the damage.
    DeviceEvent.objects.create(
        device=s.returned_device,
        action="take_back",
        source_state="on_loan",
        target_state="returned",
        note=f"rendu par {TYPED}",
        data={"loan": s.loan.pk, "damage": f"rayé chez {NAME}"},
    )
    LoanEvent.objects.create(
        loan=s.loan, action="take_back", note=TYPED, data={"damage": f"rayé chez {NAME}"}
    )
    # A search by name (the access log keeps the page, never its query string).
    client.force_login(s.prescriber)
    assert client.get(reverse("households"), {"q": "Garcia"}).status_code == 200
    return s


def pages(s):
    """(who, address, is a PDF) of every page and file that shows the household's data."""
    return [
        (s.prescriber, reverse("www:household", args=[s.household.pk]), False),
        (s.prescriber, reverse("households"), False),
        (s.prescriber, reverse("prets:household", args=[s.household.pk]), False),
        (s.prescriber, reverse("prets:requests"), False),
        *[(s.prescriber, reverse("prets:request", args=[r.pk]), False) for r in s.requests],
        *[
            (s.staff, reverse("prets:loan", args=[loan.pk]), False)
            for loan in (s.loan, s.kept_loan, s.lost_loan)
        ],
        (s.staff, reverse("prets:loans") + "?filtre=closed", False),
        (s.staff, reverse("prets:agreement", args=[s.loan.pk]), True),
        *[
            (user, reverse("parc:device", args=[device.public_code]), False)
            for device in (s.returned_device, s.kept_device, s.lost_device, s.sold_device)
            for user in (s.technician, s.staff)
        ],
        (s.facilitator, reverse("ateliers:session", args=[s.session.pk]), False),
        (s.facilitator, reverse("ateliers:attendance", args=[s.session.pk]), False),
        (s.facilitator, reverse("ateliers:sheet", args=[s.session.pk]), True),
        (s.prescriber, reverse("ateliers:household", args=[s.household.pk]), False),
        (s.ccas_admin, reverse("personal_data_accesses"), False),
        (s.operator, reverse("admin:index"), False),  # its recent actions
        (s.operator, reverse("admin:acteurs_household_history", args=[s.household.pk]), False),
        (s.operator, reverse("admin:acteurs_household_changelist"), False),
        (s.operator, reverse("admin:ateliers_enrolment_changelist"), False),
    ]


def read(client, user, address, is_pdf) -> str:
    client.force_login(user)
    response = client.get(address)
    assert response.status_code == 200, (user, address, response.status_code)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return pdf_text(content) if is_pdf else content.decode()


def database_text() -> list[tuple[str, str]]:
    """(table, text) of everything the database holds."""
    found = []
    if connection.vendor == "sqlite":
        for line in connection.connection.iterdump():
            table = re.match(r'INSERT INTO "(\w+)"', line)
            found.append((table.group(1) if table else "", line))
        return found
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'character', 'json', 'jsonb')"
        )
        columns = cursor.fetchall()
        for table, column in columns:
            cursor.execute(f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL')
            found.extend((table, f"{column}={value}") for (value,) in cursor.fetchall())
    return found


def test_the_registry_declares_the_one_copy_kept():
    kept = [f for f in personal_data.declared_fields() if f.kept and f.model == "prets.Sale"]
    assert [(f.field, f.category) for f in kept] == [
        ("buyer_name", personal_data.Category.IDENTITY)
    ]
    assert "comptable" in kept[0].kept_because


@pytest.mark.parametrize("how", ["erased_on_request", "retention"])
def test_after_anonymisation_no_copy_of_the_name_or_phone_is_left(scene, client, how):
    s = scene
    before = {(u.username, a): hits(read(client, u, a, pdf)) for u, a, pdf in pages(s)}
    # The test can fail: the pages did show her (the device pages of the loans that ended with
    # a note show only a reference now, and a sold device's page never named her).
    shown = [key for key, found in before.items() if found]
    assert len(shown) >= 15, before
    assert hits("\n".join(text for _table, text in database_text()))
    export = read(client, s.prescriber, reverse("household_export", args=[s.household.pk]), False)
    assert {"garcia", "06 11 34 49 89", "fontaine@"} <= set(hits(export))

    if how == "erased_on_request":
        client.force_login(s.prescriber)
        response = client.post(reverse("household_erase", args=[s.household.pk]), {"confirm": "on"})
        assert response.status_code == 302
    else:
        Household.objects.filter(pk=s.household.pk).update(
            last_contact_at=timezone.now() - dt.timedelta(days=800)
        )
        # The workshop session has ended by then (an upcoming one holds the data back).
        type(s.session).objects.filter(pk=s.session.pk).update(
            starts_at=timezone.now() - dt.timedelta(days=801),
            ends_at=timezone.now() - dt.timedelta(days=801) + dt.timedelta(hours=2),
        )
        call_command("anonymise_households")
    assert HouseholdAnonymisation.objects.filter(household=s.household).exists()

    # The database: only the sale's buyer name, which the registry declares kept.
    left = [(table, text) for table, text in database_text() if hits(text)]
    assert {table for table, _text in left} == {"prets_sale"}, left
    assert all(hits(text) == ["garcia"] for _table, text in left), left
    # Every page: nothing, but the sale's receipt (an accounting record).
    after = {(u.username, a): hits(read(client, u, a, pdf)) for u, a, pdf in pages(s)}
    assert not any(after.values()), {key: found for key, found in after.items() if found}
    receipt = read(client, s.staff, reverse("prets:receipt", args=[s.sale.pk]), True)
    assert hits(receipt) == ["garcia"]
    # The export is refused now (nothing personal is left to give), with the stable code.
    client.force_login(s.prescriber)
    response = client.get(reverse("household_export", args=[s.household.pk]), follow=True)
    assert "ont été effacées" in response.content.decode()
    # What stays: the facts, without words (states, dates, who acted); every redaction traced.
    take_back = DeviceEvent.objects.filter(device=s.returned_device, action="take_back")
    assert all(e.source_state == "on_loan" and e.target_state == "returned" for e in take_back)
    assert RequestEvent.objects.filter(request__household=s.household).count() >= 10
    from core.events import Redaction

    assert {r.table_name for r in Redaction.objects.all()} >= {
        "prets_requestevent",
        "prets_loanevent",
        "parc_deviceevent",
    }
    assert ContentType.objects.get_for_model(Household)  # the admin log kept its entries
    assert LogEntry.objects.filter(object_id=str(s.household.pk)).exists()
