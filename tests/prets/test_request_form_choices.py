"""The request form preselects the only possible answer (one association, one eligibility
check still valid) and nothing else: with two checks the social worker picks one, and the
household's consent is never ticked in advance."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.prets.factories import EligibilityCheckFactory

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def selected(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)[1]
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select)


def request_page(client, household) -> str:
    return client.get(reverse("prets:request_create", args=[household.pk])).content.decode()


def test_the_only_valid_check_is_preselected(
    client, prescriber, household, eligibility, refurbisher
):
    # An expired check does not count.
    EligibilityCheckFactory(
        household=household,
        checked_by=prescriber,
        checked_on=dt.date.today() - dt.timedelta(days=800),
        valid_until=dt.date.today() - dt.timedelta(days=1),
    )
    client.force_login(prescriber)
    page = request_page(client, household)
    assert selected(page, "eligibility") == [str(eligibility.pk)]
    assert selected(page, "refurbisher") == [str(refurbisher.pk)]
    assert re.search(r'<input type="checkbox" name="consent_informed"(?![^>]*checked)', page)


def test_with_two_valid_checks_none_is_chosen_for_the_social_worker(
    client, prescriber, household, eligibility
):
    EligibilityCheckFactory(household=household, checked_by=prescriber)
    client.force_login(prescriber)
    assert selected(request_page(client, household), "eligibility") == [""]
