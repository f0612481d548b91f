"""An anonymised household is final for the workshops: it cannot be enrolled, marked present
or assessed again (code ``household_anonymised``), nor offered on the enrolment form; an
upcoming enrolment holds its erasure back until it is cancelled."""

import pytest
from django.urls import reverse

from acteurs import personal_data
from ateliers import services
from core.errors import Refused

pytestmark = pytest.mark.django_db

LEVELS = {"1": 1, "2": 1, "3": 2, "4": 2, "5": 3}


def anonymised(household, prescriber):
    personal_data.household_erase(household.pk, prescriber)
    return household


def test_an_anonymised_household_is_not_enrolled(upcoming, households, prescriber, client):
    household = anonymised(households[0], prescriber)
    with pytest.raises(Refused) as refused:
        services.enrol(upcoming.pk, household.pk, actor=prescriber)
    assert refused.value.code == "household_anonymised"
    assert not upcoming.enrolments.exists()
    client.force_login(prescriber)
    page = client.get(reverse("ateliers:session", args=[upcoming.pk])).content.decode()
    assert f'value="{household.pk}"' not in page  # not offered on the form
    assert f'value="{households[1].pk}"' in page


def test_an_anonymised_household_is_not_assessed(households, prescriber):
    household = anonymised(households[0], prescriber)
    with pytest.raises(Refused) as refused:
        services.assessment_record(
            actor=prescriber, household_id=household.pk, moment="before", levels=LEVELS
        )
    assert refused.value.code == "household_anonymised"


def test_attendance_of_an_anonymised_household_is_final(
    started, households, prescriber, facilitator
):
    kept, gone = households[0], households[1]
    enrolments = [services.enrol(started.pk, h.pk, actor=prescriber) for h in (kept, gone)]
    anonymised(gone, prescriber)
    # The others' attendance is still noted (the sheet lists the anonymised one unchanged).
    assert (
        services.attendance_record(
            started.pk, actor=facilitator, marks={enrolments[0].pk: "present", enrolments[1].pk: ""}
        )
        == 1
    )
    with pytest.raises(Refused) as refused:
        services.attendance_record(
            started.pk, actor=facilitator, marks={enrolments[1].pk: "present"}
        )
    assert refused.value.code == "household_anonymised"


def test_an_upcoming_enrolment_holds_the_erasure_back(upcoming, households, prescriber):
    household = households[0]
    enrolment = services.enrol(upcoming.pk, household.pk, actor=prescriber)
    with pytest.raises(Refused, match="séance à venir") as refused:
        personal_data.household_erase(household.pk, prescriber)
    assert refused.value.code == "household_in_use"
    services.enrolment_cancel(enrolment.pk, actor=prescriber)
    personal_data.household_erase(household.pk, prescriber)
    assert personal_data.is_anonymised(household.pk)
