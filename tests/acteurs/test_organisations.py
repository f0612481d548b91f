import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from acteurs.models import Membership
from acteurs.validators import validate_siret
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory


@pytest.mark.parametrize("siret", ["73282932000074", "35600000049837"])
def test_valid_sirets_pass(siret):
    validate_siret(siret)  # raises on failure


@pytest.mark.parametrize(
    ("siret", "message"),
    [
        ("7328293200007", "14 chiffres"),
        ("7328293200007A", "14 chiffres"),
        ("73282932000075", "clé de contrôle"),
        ("35600000049838", "clé de contrôle"),
    ],
)
def test_invalid_sirets_get_a_french_message(siret, message):
    with pytest.raises(ValidationError) as error:
        validate_siret(siret)
    assert message in error.value.messages[0]


@pytest.mark.django_db
def test_an_organisation_can_play_several_parts():
    departement = OrganisationFactory(is_funder=True, is_prescriber=True, is_donor=True)
    assert departement.kind_labels == ["prescripteur", "donateur", "financeur"]


@pytest.mark.django_db
def test_a_user_has_one_role_per_organisation_but_may_belong_to_several():
    user = UserFactory()
    first, second = OrganisationFactory(), OrganisationFactory()
    MembershipFactory(user=user, organisation=first, role="staff")
    MembershipFactory(user=user, organisation=second, role="prescriber")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, organisation=first, role="technician")
    assert user.memberships.count() == 2


@pytest.mark.django_db
def test_a_siret_belongs_to_one_organisation():
    OrganisationFactory(siret="73282932000074")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(siret="73282932000074")
    OrganisationFactory(siret="")
    OrganisationFactory(siret="")  # blank SIRETs do not collide
