"""The loan scheme's lists link each row by what people recognise (the household's name, the
device's code), never by a bare number."""

import pytest
from django.urls import reverse

from tests.acteurs.factories import HouseholdFactory
from tests.prets.factories import DeviceRequestFactory, LoanFactory

pytestmark = pytest.mark.django_db


def test_requests_link_by_household_and_loans_by_device_code(
    client, prescriber, staff, refurbisher
):
    ccas = prescriber.memberships.get().organisation
    household = HouseholdFactory(organisation=ccas, name="Famille Lien")
    request = DeviceRequestFactory(household=household, refurbisher=refurbisher, state="submitted")
    loan = LoanFactory(request__household=household, request__refurbisher=refurbisher)
    request_link = f'<a class="row-link" href="{reverse("prets:request", args=[request.pk])}">'
    loan_link = (
        f'<a class="row-link code" href="{reverse("prets:loan", args=[loan.pk])}">'
        f"{loan.device.public_code}</a>"
    )

    client.force_login(prescriber)
    assert (
        request_link + "Famille Lien</a>" in client.get(reverse("prets:requests")).content.decode()
    )
    assert loan_link in client.get(reverse("prets:loans")).content.decode()

    client.force_login(staff)
    queue = client.get(reverse("prets:queue")).content.decode()
    assert request_link + "Famille Lien</a>" in queue
    assert f">{request.pk}</a>" not in queue
