"""The demonstration: every state of the pool, the workshops, the loan desk, the funders'
report, the accounts; loading twice changes nothing (the invariants: test_consistency.py)."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from acteurs.models import Household, Organisation, User
from ateliers.models import Assessment, Enrolment, Repair, Session
from ateliers.selectors import household_attended, progress
from demo.builder import load_demo
from demo.world import (
    CCAS_CHARTRES,
    DEMO_ACCOUNTS,
    DEMO_ORGANISATION_NAME,
    DEMO_PASSWORD,
    GISEMENT,
    IMPORTED_LIST,
    RNEL,
)
from dons.models import Donation, Gisement
from parc.models import Device, DeviceEvent, State
from prets.models import DeviceRequest, Loan, LoanState, Sale

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Organisation.objects.count(),
        User.objects.count(),
        Device.objects.count(),
        DeviceEvent.objects.count(),
        Donation.objects.count(),
        DeviceRequest.objects.count(),
        Loan.objects.count(),
        Session.objects.count(),
        Household.objects.count(),
    )


def test_creates_a_pool_in_every_state(demo):
    assert Device.objects.count() >= 250
    assert set(Device.objects.values_list("state", flat=True)) == set(State.values)
    owner = Organisation.objects.get(name=DEMO_ORGANISATION_NAME)
    assert owner.is_refurbisher
    assert owner.stock_locations.count() == 4
    assert Device.objects.filter(location__isnull=False).exists()


def test_histories_spread_over_the_last_months(demo):
    first_events = list(DeviceEvent.objects.filter(action="register").values_list("at", flat=True))
    assert (max(first_events) - min(first_events)).days > 120
    assert max(first_events) <= demo["now"]


def test_returned_devices_started_a_new_cycle(demo):
    assert Device.objects.filter(cycle__gt=1).exists()
    assert DeviceEvent.objects.filter(action="take_back").exists()
    assert DeviceEvent.objects.filter(action="erasure", data__result="failed").exists()


def test_no_ready_device_lacks_an_erasure(demo):
    ready = Device.objects.filter(state=State.READY).prefetch_related(
        "storage_media__erasures", "refurbishments"
    )
    for device in ready:
        assert device.media_lacking_erasure() == [], device
        assert not device.storage_missing(), device
        assert device.functional_test_passed(), device
        assert device.grade


def test_a_donors_list_was_imported(demo):
    from intake.models import ImportJob

    job = ImportJob.objects.get()
    assert job.created_count == len(IMPORTED_LIST) and job.imported_at is not None
    devices = Device.objects.filter(donation=job.donation)
    assert devices.count() == len(IMPORTED_LIST)
    assert set(devices.values_list("state", flat=True)) == {State.REGISTERED}


def test_the_workshops_of_the_demo(demo):
    now = timezone.now()
    sessions = Session.objects.filter(organisation__name=RNEL)
    assert sessions.count() == 6
    assert sessions.filter(ends_at__lt=now).count() == 3
    assert sessions.filter(starts_at__gt=now).count() == 3
    # Past sessions have their attendance; future ones none, and one has a waiting list.
    past = Enrolment.objects.filter(session__ends_at__lt=now, status="confirmed")
    assert past.exists() and not past.filter(attendance="").exists()
    assert not Enrolment.objects.filter(session__starts_at__gt=now).exclude(attendance="").exists()
    assert Enrolment.objects.filter(session__starts_at__gt=now, status="waiting").count() == 2
    assert Enrolment.objects.filter(status="cancelled").count() == 1


def test_assessments_show_progress(demo):
    assert Assessment.objects.count() == 11
    rows = progress(organisation_ids=list(Session.objects.values_list("organisation", flat=True)))
    assert all(row.households == 5 for row in rows)
    assert all(row.after >= row.before for row in rows)
    assert any(row.improved for row in rows)


def test_repairs_join_the_devices_history_at_their_moment(demo):
    repairs = Repair.objects.filter(session__isnull=False)
    assert repairs.count() == 10
    assert repairs.filter(device__isnull=False).count() == 3
    for repair in repairs.filter(device__isnull=False):
        event = DeviceEvent.objects.get(device=repair.device, action="repair")
        assert repair.session.starts_at <= event.at <= repair.session.ends_at
        # The device was on loan then: its loan covers the repair.
        assert Loan.objects.filter(device=repair.device, started_on__lte=event.at.date()).exists()


def test_households_attended_initiation(demo):
    lefebvre = Household.objects.get(name="Mme Lefebvre", organisation__name=CCAS_CHARTRES)
    since = timezone.localdate() - timezone.timedelta(days=90)
    assert household_attended(lefebvre.pk, "initiation", since)
    assert not household_attended(lefebvre.pk, "linux", since)


def test_the_loan_desk_has_work_in_every_column(demo):
    assert not DeviceRequest.objects.filter(state="rejected", rejection_reason="")
    loans = Loan.objects.all()
    assert loans.filter(state=LoanState.OPEN).count() >= 30
    assert loans.filter(state=LoanState.RETURNED, inspection__isnull=False).exists()
    assert loans.filter(state=LoanState.OPEN, due_on__lt=timezone.localdate()).exists()
    assert Sale.objects.exists() and not Sale.objects.filter(price=0).exists()


def test_demo_funders_read_the_demo_gisement_report(demo, client):
    gisement = Gisement.objects.get(name=GISEMENT)
    devices = Device.objects.filter(donation__gisement=gisement).count()
    assert devices > 20
    for username in ("financeur", "fondation"):
        client.force_login(User.objects.get(username=username))
        index = client.get(reverse("rapports:index")).content.decode()
        assert GISEMENT in index, username
        report = client.get(reverse("rapports:gisement", args=[gisement.pk]))
        assert report.status_code == 200
        assert report.context["report"].devices == devices


def test_second_run_creates_nothing(demo, capsys):
    before = _counts()

    assert load_demo() is None
    call_command("load_demo")

    assert _counts() == before
    assert "déjà chargées" in capsys.readouterr().out


def test_list_accounts_prints_every_account(demo, capsys):
    call_command("load_demo", "--list-accounts")
    out = capsys.readouterr().out
    for username in ("admin", "equipe", "technicien", "prescripteur", "animateur"):
        assert username in out
    assert "financeur" in out and "fondation" in out


@pytest.mark.parametrize("username", [account[0] for account in DEMO_ACCOUNTS])
def test_demo_users_can_log_in(demo, username):
    # The login lockout (django-axes) needs the request an attempt comes from.
    request = RequestFactory().post("/comptes/login/")
    user = authenticate(request, username=username, password=DEMO_PASSWORD)
    assert user is not None
    assert user.memberships.exists()
    assert user.email.endswith("@demo.filiere.invalid")
    # Nobody in the demo is a superuser: superusers are operators (createsuperuser).
    assert not user.is_superuser


def test_loan_fees_a_voucher_on_one_and_a_shared_autonomy_level(demo, client):
    """Issue 15 in the demo: every third loan has a 10 € fee, the first paid by a Pass
    numérique; a household shares its autonomy level with the workshop's association, so
    the demo facilitator sees it on the session page."""
    from ateliers.models import AutonomySharing
    from prets.models import Voucher

    assert Loan.objects.filter(fee_amount=10).exists()
    voucher = Voucher.objects.get(loan__isnull=False)
    assert voucher.value == voucher.loan.fee_amount
    sharing = AutonomySharing.objects.get()
    session = Session.objects.filter(
        organisation=sharing.organisation, enrolments__household=sharing.household
    ).first()
    client.force_login(User.objects.get(username="animateur"))
    page = client.get(reverse("ateliers:session", args=[session.pk])).content.decode()
    assert "Niveau d'autonomie partagé" in page and "sur 3 (évaluation du" in page
