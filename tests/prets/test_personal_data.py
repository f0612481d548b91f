"""Personal data of the loan scheme: anonymisation after two years without contact (sales
records and anonymous statistics kept), export on request, erasure on request — the services
are acteurs' (acteurs.personal_data), the loan scheme's rows reach them through its source."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from acteurs import personal_data
from acteurs.models import Household, HouseholdAnonymisation
from core.errors import NotPermitted, Refused
from core.events import Redaction
from parc.models import DeviceEvent
from prets import services
from prets.models import (
    EligibilityCheck,
    LoanEvent,
    LoanFollowUp,
    RequestEvent,
    Sale,
)
from tests.acteurs.factories import HouseholdFactory
from tests.prets.factories import LoanFactory

from .conftest import days

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def age(household, n_days):
    Household.objects.filter(pk=household.pk).update(last_contact_at=timezone.now() - days(n_days))


@pytest.fixture
def sold(make_request, staff, ready_device, household):
    request = make_request(state="approved", mode="purchase", details="pour ses démarches")
    services.device_allocate(request.pk, ready_device().pk, staff)
    return services.sale_create(request.pk, staff, price=Decimal("80"), payment_method="cash")


def test_households_without_contact_for_two_years_are_anonymised(household, sold, prescriber, ccas):
    recent = HouseholdFactory(organisation=ccas, name="M. Durand", email="d@example.org")
    age(household, 731)
    age(recent, 700)
    call_command("anonymise_households")
    household.refresh_from_db()
    recent.refresh_from_db()
    assert household.name == "Foyer anonymisé" and household.email == "" and household.phone == ""
    assert recent.name == "M. Durand"
    # Anonymous statistics stay: commune, size, categories; the sale stays with its buyer.
    assert household.commune_id and household.size == 2
    sale = Sale.objects.get()
    assert sale.buyer_name == "Mme Martin" and sale.price == Decimal("80")
    assert EligibilityCheck.objects.get(household=household).proof_kind == ""
    assert sold.request.__class__.objects.get(pk=sold.request_id).details == ""
    assert HouseholdAnonymisation.objects.get(household=household).reason == "retention"
    # Once only.
    assert personal_data.anonymise_inactive_households() == 0


def test_the_delay_is_configurable(household, settings):
    settings.HOUSEHOLD_RETENTION_DAYS = 365
    age(household, 400)
    assert personal_data.anonymise_inactive_households() == 1


def test_an_open_loan_or_request_holds_the_data(household, make_request, ccas):
    LoanFactory(request=make_request(state="fulfilled"))
    waiting = HouseholdFactory(organisation=ccas)
    make_request(household=waiting, state="submitted", eligibility=None)
    age(household, 1000)
    age(waiting, 1000)
    assert personal_data.anonymise_inactive_households() == 0


def test_sales_older_than_ten_years_lose_the_buyer_name(sold):
    Sale.objects.filter(pk=sold.pk).update(sold_on=timezone.localdate() - dt.timedelta(days=3700))
    assert services.purge_old_buyer_names() == 1
    assert Sale.objects.get().buyer_name == "Foyer anonymisé"


def test_actions_touch_the_last_contact(household, prescriber, refurbisher, eligibility):
    age(household, 500)
    services.request_create(
        prescriber,
        household=household,
        refurbisher=refurbisher,
        device_kind="laptop",
        purpose="school",
        mode="loan",
        eligibility=eligibility,
    )
    household.refresh_from_db()
    assert household.last_contact_at > timezone.now() - days(1)


def test_export_holds_everything_about_the_household(household, sold, prescriber, staff):
    data = personal_data.household_export(household.pk, prescriber)
    assert data["foyer"]["nom"] == "Mme Martin"
    assert data["foyer"]["information"]["version"] == household.consent_version
    assert data["eligibilite"][0]["critere"].startswith("Revenu de solidarité active")
    assert data["demandes"][0]["precisions"] == "pour ses démarches"
    assert data["achats"][0]["prix"] == "80.00"
    with pytest.raises(NotPermitted):
        personal_data.household_export(household.pk, staff)


def test_export_holds_the_loan_fee_its_payment_and_refund(
    household, prescriber, make_request, staff
):
    loan = LoanFactory(request=make_request(state="fulfilled"), fee_amount=Decimal("10"))
    services.loan_fee_refund(loan.pk, staff, reason="hardship")
    (exported,) = personal_data.household_export(household.pk, prescriber)["prets"]
    assert exported["frais"] == {
        "montant": "10.00",
        "regles_le": personal_data.day(loan.started_on),
        "rembourses_le": personal_data.day(timezone.localdate()),
        "motif_du_remboursement": "difficultés du foyer",
    }


def test_erasure_on_request(household, sold, prescriber, make_request, staff):
    loan = LoanFactory(request=make_request(state="fulfilled"))
    with pytest.raises(Refused, match="prêt est en cours"):
        personal_data.household_erase(household.pk, prescriber)
    services.loan_follow_up(loan.pk, staff, kind="call", note="appelée, tout va bien")
    services.loan_transfer(loan.pk, staff, note="Mme Martin garde l'appareil")
    with pytest.raises(NotPermitted):
        personal_data.household_erase(household.pk, staff)
    personal_data.household_erase(household.pk, prescriber)
    household.refresh_from_db()
    assert household.name == "Foyer anonymisé"
    assert not LoanFollowUp.objects.exclude(note="").exists()
    assert not RequestEvent.objects.filter(note__icontains="Martin").exists()
    assert loan.events.filter(note__icontains="Martin").count() == 0
    assert HouseholdAnonymisation.objects.get(household=household).by == prescriber
    with pytest.raises(Refused, match="effacées") as refused:
        personal_data.household_erase(household.pk, prescriber)
    assert refused.value.code == "household_anonymised"


def test_history_notes_are_erased_through_the_audited_redaction(
    household, make_request, prescriber, staff
):
    """Request and loan histories are append-only (core.events): the anonymisation erases
    their notes through redact(), which leaves a trace, and nothing else may change them."""
    cancelled = make_request(state="submitted")
    services.request_cancel(cancelled.pk, prescriber, note="Mme Martin a déménagé")
    loan = LoanFactory(request=make_request(state="fulfilled"))
    services.loan_transfer(loan.pk, staff, note="Mme Martin garde l'appareil")
    event = RequestEvent.objects.get(request=cancelled, action="cancel")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE prets_requestevent SET note = '' WHERE id = %s", [event.pk])

    personal_data.household_erase(household.pk, prescriber)

    assert not RequestEvent.objects.filter(note__icontains="Martin").exists()
    assert not LoanEvent.objects.filter(note__icontains="Martin").exists()
    traces = {r.table_name: r for r in Redaction.objects.all()}
    assert set(traces) == {"prets_requestevent", "prets_loanevent"}
    # The device's history never got the note (it stays with the loan): nothing to redact.
    assert not DeviceEvent.objects.filter(note__icontains="Martin").exists()
    assert traces["prets_requestevent"].rows >= 1 and traces["prets_loanevent"].rows >= 1
    assert all(r.actor == prescriber and not r.in_progress for r in traces.values())
    assert "anonymisation du foyer" in traces["prets_loanevent"].reason
    # The facts stay: who did what, when, from which state to which.
    transfer = LoanEvent.objects.get(loan=loan, action="transfer")
    assert (transfer.source_state, transfer.target_state, transfer.actor) == (
        "open",
        "transferred",
        staff,
    )


def test_an_anonymised_household_is_final_for_every_service_of_the_loan_scheme(
    household, make_request, ready_device, prescriber, staff, refurbisher, eligibility
):
    """Anonymised after a restore (the replay erases whatever is open): nothing more is
    written about the household — request, eligibility, approval, allocation, handover,
    follow-up, renewal — each refused with the code ``household_anonymised``; the device it
    holds can still come back and its requests be closed."""
    from acteurs.models import AnonymisationReason

    draft = make_request(state="draft")
    submitted = make_request(state="submitted")
    to_lend = make_request(state="approved")
    services.device_allocate(to_lend.pk, ready_device().pk, staff)
    to_sell = make_request(state="approved", mode="purchase")
    services.device_allocate(to_sell.pk, ready_device().pk, staff)
    loan = LoanFactory(request=make_request(state="fulfilled"))
    bare = make_request(state="approved")
    assert personal_data.household_anonymise_again(
        household.pk, reason=AnonymisationReason.REQUEST, at=timezone.now()
    )

    from prets.models import EligibilityCriterion

    refused = [
        lambda: services.request_create(
            prescriber,
            household=household,
            refurbisher=refurbisher,
            device_kind="laptop",
            purpose="school",
            mode="loan",
        ),
        lambda: services.eligibility_check_record(
            household.pk,
            prescriber,
            criterion=EligibilityCriterion.objects.get(code="rsa"),
            proof_kind="notification de droits",
        ),
        lambda: services.request_consent(draft.pk, prescriber),
        lambda: services.request_submit(submitted.pk, prescriber),
        lambda: services.request_approve(submitted.pk, staff),
        lambda: services.device_allocate(bare.pk, ready_device().pk, staff),
        lambda: services.loan_start(to_lend.pk, staff),
        lambda: services.sale_create(to_sell.pk, staff, price=Decimal("10"), payment_method="cash"),
        lambda: services.loan_follow_up(loan.pk, staff, kind="call", note="appel"),
        lambda: services.loan_renew(loan.pk, staff, due_on=loan.due_on + dt.timedelta(days=30)),
    ]
    for attempt in refused:
        with pytest.raises(Refused) as error:
            attempt()
        assert error.value.code == "household_anonymised"
    # What ends things is still possible: the device comes back, the requests close.
    services.loan_take_back(loan.pk, staff, complete=True, accessories_returned=True)
    services.request_cancel(submitted.pk, prescriber)
    services.allocation_release(to_lend.pk, staff)
    household.refresh_from_db()
    assert household.name == "Foyer anonymisé"
