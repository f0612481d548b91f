"""The registry of personal data (acteurs.personal_data): every app that keeps rows about a
household declares them, and a new free-text column cannot escape it; the export has a section
per source; an anonymised household is final for acteurs' own services."""

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from acteurs import personal_data
from acteurs import services as acteurs_services
from acteurs.models import Household
from core.errors import Refused
from tests.acteurs.factories import (
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Text columns of rows about a household that hold codes or system words, never a person's
# data: what the registry need not list, and why.
NOT_PERSONAL = {
    ("prets.RequestEvent", "action"): "an action code",
    ("prets.RequestEvent", "source_state"): "a state code",
    ("prets.RequestEvent", "target_state"): "a state code",
    ("prets.RequestEvent", "data"): "request events record no details (ids at most)",
    ("prets.LoanEvent", "action"): "an action code",
    ("prets.LoanEvent", "source_state"): "a state code",
    ("prets.LoanEvent", "target_state"): "a state code",
    ("prets.Loan", "training_code"): "a workshop type's code",
}


def models_about_households() -> list[type[models.Model]]:
    """Household and every model that points to it, directly or through another (a return
    inspection → its loan → the household)."""
    linked = {Household}
    grew = True
    while grew:
        grew = False
        for model in apps.get_models():
            if model in linked:
                continue
            if any(
                field.concrete and field.is_relation and field.related_model in linked
                for field in model._meta.get_fields()
                if field.many_to_one or field.one_to_one
            ):
                linked.add(model)
                grew = True
    return sorted(linked, key=lambda model: model._meta.label)


def text_columns(model) -> list[str]:
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField | models.JSONField)
        and not field.choices
    ]


def declared_columns() -> set[tuple[str, str]]:
    return {
        (item.model, name.strip().split(".")[0])
        for item in personal_data.declared_fields()
        for name in item.field.split(",")
    }


def test_every_text_column_about_a_household_is_declared():
    declared = declared_columns()
    missing = [
        (model._meta.label, name)
        for model in models_about_households()
        for name in text_columns(model)
        if (model._meta.label, name) not in declared
        and (model._meta.label, name) not in NOT_PERSONAL
    ]
    assert missing == [], (
        f"Declare these columns to acteurs.personal_data (the app's PersonalDataSource): {missing}"
    )
    # The list of exceptions holds no stale entry.
    for label, name in NOT_PERSONAL:
        assert name in text_columns(apps.get_model(label)), (label, name)


def test_every_declared_column_exists():
    for label, name in declared_columns():
        model = apps.get_model(label)
        assert name in {f.name for f in model._meta.get_fields()} | {"levels"}, (label, name)


def test_the_apps_register_their_sources_in_order():
    names = [source.name for source in personal_data.sources()]
    assert names == ["foyer", "ateliers", "prets"]
    # Registering again (ready() run twice) replaces, never duplicates.
    personal_data.register(personal_data.HOUSEHOLDS)
    assert [source.name for source in personal_data.sources()] == names


@pytest.fixture
def prescriber_and_household(db):
    ccas = OrganisationFactory(name="CCAS registre", is_prescriber=True)
    prescriber = UserFactory(username="presc-registre")
    MembershipFactory(user=prescriber, organisation=ccas, role="prescriber")
    household = HouseholdFactory(
        organisation=ccas, name="M. Lopez", phone="0600000001", consent_recorded_by=prescriber
    )
    return prescriber, household


def test_the_export_has_a_section_per_source_assessments_included(prescriber_and_household):
    from ateliers import services as ateliers_services
    from tests.ateliers.factories import SessionFactory

    prescriber, household = prescriber_and_household
    facilitator = UserFactory(username="anim-registre")
    session = SessionFactory(facilitator=facilitator)
    MembershipFactory(user=facilitator, organisation=session.organisation, role="facilitator")
    ateliers_services.assessment_record(
        actor=prescriber,
        household_id=household.pk,
        moment="before",
        levels={"1": 1, "2": 2, "3": 3, "4": 1, "5": 2},
    )
    exported = personal_data.household_export(household.pk, prescriber)
    assert {
        "foyer",
        "ateliers",
        "evaluations",
        "eligibilite",
        "demandes",
        "prets",
        "achats",
    } <= set(exported)
    assert exported["foyer"]["telephone"] == "0600000001"
    [assessment] = exported["evaluations"]
    assert assessment["moment"] == "avant la formation"
    assert len(assessment["niveaux"]) == 5 and "avec aide" in assessment["niveaux"].values()


def test_an_anonymised_household_cannot_be_edited_back(client, prescriber_and_household):
    prescriber, household = prescriber_and_household
    personal_data.household_erase(household.pk, prescriber)
    with pytest.raises(Refused) as refused:
        acteurs_services.household_update(household.pk, actor=prescriber, name="M. Lopez")
    assert refused.value.code == "household_anonymised"
    household.refresh_from_db()
    assert household.name == personal_data.ANONYMOUS_NAME
    # The page says so instead of offering the form, and the file offers no edit.
    client.force_login(prescriber)
    response = client.post(
        reverse("household_edit", args=[household.pk]),
        {"name": "M. Lopez", "commune": household.commune_id, "size": 2},
        follow=True,
    )
    assert "ont été effacées" in response.content.decode()
    household.refresh_from_db()
    assert household.name == personal_data.ANONYMOUS_NAME
    page = client.get(reverse("www:household", args=[household.pk])).content.decode()
    assert reverse("household_edit", args=[household.pk]) not in page
    assert reverse("household_erase", args=[household.pk]) not in page


def test_the_touch_does_not_bring_an_anonymised_household_back(prescriber_and_household):
    prescriber, household = prescriber_and_household
    personal_data.household_erase(household.pk, prescriber)
    before = Household.objects.get(pk=household.pk).last_contact_at
    personal_data.household_touch(household.pk)
    assert Household.objects.get(pk=household.pk).last_contact_at == before


def test_export_and_erasure_belong_to_the_households_organisation(prescriber_and_household):
    from core.errors import NotPermitted

    _prescriber, household = prescriber_and_household
    elsewhere = UserFactory(username="ailleurs-registre")
    MembershipFactory(
        user=elsewhere, organisation=OrganisationFactory(is_prescriber=True), role="admin"
    )
    facilitator = UserFactory(username="anim-meme-orga")
    MembershipFactory(user=facilitator, organisation=household.organisation, role="facilitator")
    for actor in (elsewhere, facilitator):
        with pytest.raises(NotPermitted):
            personal_data.household_export(household.pk, actor)
        with pytest.raises(NotPermitted):
            personal_data.household_erase(household.pk, actor)
    assert not personal_data.is_anonymised(household.pk)
