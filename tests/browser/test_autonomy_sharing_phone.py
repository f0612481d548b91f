"""Sharing a household's autonomy level with another organisation, on a phone (issue 15):
the prescriber notes the household's consent, the other organisation's facilitator sees the
level on the session page, the consent withdrawn hides it again. Every page passes axe-core
and fits the phone's width."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from ateliers import services
from ateliers.models import AutonomySharing
from tests.acteurs.factories import (
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.ateliers.factories import EnrolmentFactory, SessionFactory

from .test_forms_and_report_phone import log_in
from .test_workshop_phone import assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.submits("ateliers:sharing_add", "ateliers:sharing_withdraw")
def test_consent_to_share_then_withdrawn(live_server, page, axe_check, transactional_db):
    association = OrganisationFactory(
        name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True
    )
    ccas = OrganisationFactory(name="CCAS de Chartres", short_name="CCAS", is_prescriber=True)
    paul = UserFactory(username="paul", email="paul@example.org")
    MembershipFactory(user=paul, organisation=ccas, role="prescriber")
    emilie = UserFactory(username="emilie", email="emilie@example.org")
    MembershipFactory(user=emilie, organisation=association, role="facilitator")
    household = HouseholdFactory(organisation=ccas, name="Mme Lefèvre", consent_recorded_by=paul)
    session = SessionFactory(organisation=association, facilitator=emilie)
    EnrolmentFactory(session=session, household=household)
    services.assessment_record(
        actor=paul,
        household_id=household.pk,
        moment="before",
        levels={"1": 2, "2": 2, "3": 3, "4": 1, "5": 2},
        assessed_on=dt.date.today() - dt.timedelta(days=3),
    )

    log_in(page, live_server, "paul")
    page.goto(f"{live_server.url}/ateliers/foyers/{household.pk}/")
    axe_check(page, "household workshops with sharing")
    assert_no_horizontal_scroll(page)
    page.get_by_label("Organisation qui anime l'atelier").select_option(label=association.name)
    page.get_by_label("Le foyer est d'accord", exact=False).check()
    page.get_by_role("button", name="Noter l'accord du foyer").click()
    expect(page.get_by_role("status").filter(has_text="Accord noté")).to_be_visible()
    assert AutonomySharing.objects.get().granted_by == paul
    axe_check(page, "household workshops, consent noted")

    page.context.clear_cookies()
    log_in(page, live_server, "emilie")
    page.goto(f"{live_server.url}/ateliers/seances/{session.pk}/")
    expect(page.get_by_text("2,0 sur 3", exact=False)).to_be_visible()
    axe_check(page, "session with a shared level")
    assert_no_horizontal_scroll(page)

    page.context.clear_cookies()
    log_in(page, live_server, "paul")
    page.goto(f"{live_server.url}/ateliers/foyers/{household.pk}/")
    page.get_by_role("button", name="Retirer l'accord pour RB").click()
    expect(page.get_by_role("status").filter(has_text="Accord retiré")).to_be_visible()

    page.context.clear_cookies()
    log_in(page, live_server, "emilie")
    page.goto(f"{live_server.url}/ateliers/seances/{session.pk}/")
    expect(page.get_by_text("Mme Lefèvre").first).to_be_visible()
    expect(page.get_by_text("2,0 sur 3", exact=False)).to_have_count(0)


@pytest.mark.submits("ateliers:attendance", "ateliers:assessment_create")
def test_the_shared_level_on_the_roll_call_and_the_assessment_form(
    live_server, small_phone_page, axe_check, transactional_db
):
    """The other organisation's facilitator meets the household on the roll call and its
    assessment form too: the shared level shows there, on the narrowest phone."""
    from django.utils import timezone

    page = small_phone_page
    association = OrganisationFactory(
        name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True
    )
    ccas = OrganisationFactory(name="CCAS de Chartres", short_name="CCAS", is_prescriber=True)
    paul = UserFactory(username="paul", email="paul@example.org")
    MembershipFactory(user=paul, organisation=ccas, role="prescriber")
    emilie = UserFactory(username="emilie", email="emilie@example.org")
    MembershipFactory(user=emilie, organisation=association, role="facilitator")
    household = HouseholdFactory(organisation=ccas, name="Mme Lefèvre", consent_recorded_by=paul)
    session = SessionFactory(
        organisation=association,
        facilitator=emilie,
        starts_at=timezone.now() - dt.timedelta(minutes=30),
        ends_at=timezone.now() + dt.timedelta(minutes=90),
    )
    EnrolmentFactory(session=session, household=household)
    services.assessment_record(
        actor=paul,
        household_id=household.pk,
        moment="before",
        levels={"1": 2, "2": 2, "3": 3, "4": 1, "5": 2},
        assessed_on=dt.date.today() - dt.timedelta(days=3),
    )
    services.autonomy_sharing_grant(household.pk, association.pk, actor=paul)

    log_in(page, live_server, "emilie")
    page.goto(f"{live_server.url}/ateliers/seances/{session.pk}/presences/")
    expect(page.get_by_text("2,0 sur 3", exact=False).first).to_be_visible()
    axe_check(page, "roll call with a shared level")
    assert_no_horizontal_scroll(page)
    page.get_by_label("Présent").check()
    page.get_by_role("button", name="Enregistrer les présences").click()
    expect(page.get_by_text("Présences enregistrées", exact=False)).to_be_visible()

    page.goto(f"{live_server.url}/ateliers/seances/{session.pk}/evaluation/{household.pk}/")
    expect(page.get_by_text("Niveau d'autonomie partagé par sa structure")).to_be_visible()
    expect(page.get_by_text("2,0 sur 3", exact=False).first).to_be_visible()
    axe_check(page, "assessment form with a shared level")
    assert_no_horizontal_scroll(page)
    page.get_by_label("Après la formation", exact=False).check()
    for fieldset in page.locator("fieldset.attendance-row").all()[1:]:
        fieldset.get_by_label("sans aide", exact=False).check()
    page.get_by_role("button", name="Enregistrer l'évaluation").click()
    expect(page.get_by_text("Évaluation de Mme Lefèvre enregistrée.")).to_be_visible()
