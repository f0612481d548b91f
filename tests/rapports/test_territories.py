"""Several territories on one instance (issue 15): a coordination of one département sees
its own refurbishers and gisements in the dashboards; one with several sees them all; one
with none chosen sees every one (national)."""

import pytest
from django.urls import reverse

from acteurs.models import User
from rapports.access import economics_refurbishers, needs_organisations, report_scope
from tests.acteurs.factories import (
    CommuneFactory,
    DepartementFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.dons.factories import GisementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def map_(db):
    eure_et_loir = DepartementFactory(code="28", name="Eure-et-Loir")
    loiret = DepartementFactory(code="45", name="Loiret", region_code="24")
    chartres = CommuneFactory(insee_code="28085", name="Chartres", departement=eure_et_loir)
    orleans = CommuneFactory(insee_code="45234", name="Orléans", departement=loiret)
    in_28 = OrganisationFactory(name="Atelier de Chartres", is_refurbisher=True, commune=chartres)
    in_45 = OrganisationFactory(name="Atelier d'Orléans", is_refurbisher=True, commune=orleans)
    return {
        "28": eure_et_loir,
        "45": loiret,
        "in_28": in_28,
        "in_45": in_45,
        "gisement_45": GisementFactory(refurbisher=in_45, commune=orleans),
    }


def coordination(name, *departements) -> User:
    organisation = OrganisationFactory(name=name, is_coordinator=True)
    organisation.territories.set(departements)
    user = UserFactory(username=name.lower().replace(" ", "-"))
    MembershipFactory(user=user, organisation=organisation, role="admin")
    return User.objects.get(pk=user.pk)  # a fresh user: nothing cached


def test_a_departement_s_coordination_sees_its_own(map_):
    user = coordination("Coordination 28", map_["28"])
    scope = report_scope(user)
    assert not scope.everything
    assert scope.refurbishers == {map_["in_28"].pk}
    assert map_["gisement_45"].pk not in scope.gisements
    assert list(economics_refurbishers(user)) == [map_["in_28"]]
    assert needs_organisations(user, None) == (map_["in_28"].pk,)


def test_a_regional_coordination_sees_several(map_):
    user = coordination("Coordination Centre", map_["28"], map_["45"])
    scope = report_scope(user)
    assert scope.refurbishers == {map_["in_28"].pk, map_["in_45"].pk}
    assert map_["gisement_45"].pk in scope.gisements
    assert set(economics_refurbishers(user)) == {map_["in_28"], map_["in_45"]}


def test_a_national_coordination_sees_everything(map_):
    user = coordination("Coordination nationale")
    assert report_scope(user).everything
    assert needs_organisations(user, None) is None


def test_the_dashboards_follow_the_territory(client, map_):
    client.force_login(coordination("Coordination 28", map_["28"]))
    for name in ("rapports:economics", "rapports:loan_report"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        form = response.context["form"]
        assert form.organisations == [map_["in_28"]]
        assert form.owner_ids(everything=False) == (map_["in_28"].pk,)
