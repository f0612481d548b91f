"""Requests: every state change, who may make it, and the refusals (nothing changed)."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from prets import services
from prets.models import DeviceRequest, RequestEvent, RequestState
from tests.acteurs.factories import HouseholdFactory
from tests.prets.factories import EligibilityCheckFactory

from .conftest import days

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def create(prescriber, household, refurbisher, eligibility, **fields):
    defaults = {
        "household": household,
        "refurbisher": refurbisher,
        "device_kind": "laptop",
        "purpose": "employment",
        "mode": "loan",
        "eligibility": eligibility,
        "consent_informed": True,
    }
    defaults.update(fields)
    return services.request_create(prescriber, **defaults)


def test_prescriber_writes_a_draft_then_sends_it(
    prescriber, household, refurbisher, eligibility, django_capture_on_commit_callbacks
):
    request = create(prescriber, household, refurbisher, eligibility)
    assert request.state == RequestState.DRAFT
    assert request.prescriber_org_id == household.organisation_id
    with django_capture_on_commit_callbacks(execute=True):
        services.request_submit(request.pk, prescriber, expected_state="draft")
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED
    assert request.submitted_at is not None
    assert list(request.events.order_by("id").values_list("action", flat=True)) == [
        "create",
        "submit",
    ]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["prescripteur@example.org"]
    assert "envoyée" in mail.outbox[0].subject


def test_create_and_submit_in_one_go(prescriber, household, refurbisher, eligibility):
    request = create(prescriber, household, refurbisher, eligibility, submit=True)
    assert request.state == RequestState.SUBMITTED


def test_no_consent_no_sending(prescriber, household, refurbisher, eligibility):
    request = create(prescriber, household, refurbisher, eligibility, consent_informed=False)
    with pytest.raises(services.Refused, match="informée du traitement de ses données"):
        services.request_submit(request.pk, prescriber)
    request.refresh_from_db()
    assert request.state == RequestState.DRAFT
    services.request_consent(request.pk, prescriber)
    services.request_submit(request.pk, prescriber)
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED and request.consent_at


def test_an_expired_eligibility_check_is_refused(prescriber, household, refurbisher):
    old = EligibilityCheckFactory(
        household=household,
        checked_on=timezone.localdate() - days(400),
        valid_until=timezone.localdate() - days(35),
    )
    request = create(prescriber, household, refurbisher, old)
    with pytest.raises(services.Refused, match="a expiré"):
        services.request_submit(request.pk, prescriber)
    assert DeviceRequest.objects.get(pk=request.pk).state == RequestState.DRAFT


def test_no_eligibility_no_sending(prescriber, household, refurbisher):
    request = create(prescriber, household, refurbisher, None)
    with pytest.raises(services.Refused, match="éligibilité"):
        services.request_submit(request.pk, prescriber)


def test_a_household_of_another_organisation_is_refused(
    other_prescriber, household, refurbisher, eligibility
):
    with pytest.raises(services.NotPermitted):
        create(other_prescriber, household, refurbisher, eligibility)
    assert not DeviceRequest.objects.exists()


def test_eligibility_of_another_household_is_refused(prescriber, household, refurbisher, ccas):
    elsewhere = EligibilityCheckFactory(household=HouseholdFactory(organisation=ccas))
    with pytest.raises(services.Refused, match="autre foyer"):
        create(prescriber, household, refurbisher, elsewhere)


def test_only_a_refurbisher_receives_requests(prescriber, household, eligibility, ccas):
    with pytest.raises(services.Refused):
        create(prescriber, household, ccas, eligibility)


def test_staff_approve_and_the_prescriber_is_told(
    staff, make_request, django_capture_on_commit_callbacks
):
    request = make_request()
    with django_capture_on_commit_callbacks(execute=True):
        services.request_approve(
            request.pk, staff, note="Un portable B", expected_state="submitted"
        )
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED and request.decided_at
    assert "acceptée" in mail.outbox[-1].subject
    assert "Un portable B" in mail.outbox[-1].body


@pytest.mark.parametrize("who", ["prescriber", "technician", "other_staff", "outsider"])
def test_only_the_addressed_association_staff_decide(request, make_request, who):
    user = request.getfixturevalue(who)
    device_request = make_request()
    with pytest.raises(services.NotPermitted):
        services.request_approve(device_request.pk, user)
    with pytest.raises(services.NotPermitted):
        services.request_reject(device_request.pk, user, reason="non")
    assert DeviceRequest.objects.get(pk=device_request.pk).state == RequestState.SUBMITTED


def test_reject_needs_a_reason(staff, make_request, django_capture_on_commit_callbacks):
    request = make_request()
    with pytest.raises(services.Refused, match="motif"):
        services.request_reject(request.pk, staff, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.request_reject(request.pk, staff, reason="Foyer déjà équipé")
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED
    assert request.rejection_reason == "Foyer déjà équipé"
    assert "Foyer déjà équipé" in mail.outbox[-1].body


def test_a_decided_request_cannot_be_decided_again(staff, make_request):
    request = make_request(state="rejected")
    with pytest.raises(services.Refused, match="Refusée"):
        services.request_approve(request.pk, staff)


def test_a_stale_page_is_told_what_changed(staff, make_request):
    request = make_request(state="approved")
    with pytest.raises(services.Changed, match="Acceptée"):
        services.request_approve(request.pk, staff, expected_state="submitted")


@pytest.mark.parametrize("who", ["prescriber", "staff"])
@pytest.mark.parametrize("state", ["draft", "submitted", "approved"])
def test_either_side_cancels_an_open_request(request, make_request, who, state):
    device_request = make_request(state=state)
    services.request_cancel(device_request.pk, request.getfixturevalue(who), note="déménagement")
    device_request.refresh_from_db()
    assert device_request.state == RequestState.CANCELLED and device_request.closed_at


@pytest.mark.parametrize("state", ["rejected", "fulfilled", "cancelled", "expired"])
def test_a_closed_request_cannot_be_cancelled(prescriber, make_request, state):
    request = make_request(state=state)
    with pytest.raises(services.Refused):
        services.request_cancel(request.pk, prescriber)


def test_outsiders_cannot_cancel(other_prescriber, technician, make_request):
    request = make_request()
    for user in (other_prescriber, technician):
        with pytest.raises(services.NotPermitted):
            services.request_cancel(request.pk, user)


def test_state_is_protected_and_events_are_append_only(make_request, staff):
    request = make_request()
    with pytest.raises(AttributeError):
        request.state = "approved"
    services.request_approve(request.pk, staff)
    event = RequestEvent.objects.filter(request=request).first()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        RequestEvent.objects.all().delete()


def test_stale_requests_expire_after_the_configured_delay(
    make_request, settings, django_capture_on_commit_callbacks
):
    settings.PRETS_REQUEST_EXPIRY_DAYS = 30
    old = make_request(state_changed_at=timezone.now() - days(31))
    old_approved = make_request(state="approved", state_changed_at=timezone.now() - days(40))
    recent = make_request(state_changed_at=timezone.now() - days(10))
    draft = make_request(state="draft", state_changed_at=timezone.now() - days(90))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_requests")
    states = dict(DeviceRequest.objects.values_list("pk", "state"))
    assert states[old.pk] == states[old_approved.pk] == RequestState.EXPIRED
    assert states[recent.pk] == RequestState.SUBMITTED
    assert states[draft.pk] == RequestState.DRAFT
    assert RequestEvent.objects.filter(action="expire", actor=None).count() == 2
    assert sum("expirée" in m.subject for m in mail.outbox) == 2


def test_a_request_with_a_device_set_aside_does_not_expire(
    make_request, staff, ready_device, settings
):
    settings.PRETS_REQUEST_EXPIRY_DAYS = 30
    request = make_request(state="approved", state_changed_at=timezone.now() - days(40))
    services.device_allocate(request.pk, ready_device().pk, staff)
    assert services.expire_stale_requests() == 0
