"""One-by-one registration of a donation's devices: ?don=<id>, scoping, suggestions, one
storage medium on the same form."""

import factory
import pytest
from django.urls import reverse

from parc import register_selectors
from parc.models import Device
from tests.acteurs.factories import MembershipFactory, OrganisationFactory
from tests.dons.factories import DonationFactory
from tests.parc.factories import DeviceFactory

pytestmark = pytest.mark.django_db

URL = reverse("parc:register")


def _data(refurbisher, **overrides):
    data = {
        "owner": refurbisher.pk,
        "kind": "laptop",
        "brand": "Lenovo",
        "model": "T480",
        "serial": "PF1ABCD",
    }
    data.update(overrides)
    return data


def test_donation_is_preselected_from_the_link(client, technician, gisement):
    donation = DonationFactory(gisement=gisement, state="received")
    client.force_login(technician)
    response = client.get(URL, {"don": donation.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert form["donation"].value() == donation.pk
    assert form["owner"].value() == gisement.refurbisher_id
    assert f"← {donation}" in response.content.decode()


@pytest.mark.parametrize("state", ["sorted", "cancelled"])
def test_a_closed_donation_takes_no_more_devices(client, technician, gisement, state):
    donation = DonationFactory(gisement=gisement, state=state)
    client.force_login(technician)
    assert client.get(URL, {"don": donation.pk}).status_code == 404


def test_another_organisations_donation_is_404(client, technician, other_gisement):
    donation = DonationFactory(gisement=other_gisement, state="received")
    client.force_login(technician)
    assert client.get(URL, {"don": donation.pk}).status_code == 404
    assert client.get(URL, {"don": "abc"}).status_code == 404


def test_forged_donation_in_the_post_is_refused(client, technician, refurbisher, other_gisement):
    donation = DonationFactory(gisement=other_gisement, state="received")
    client.force_login(technician)
    response = client.post(URL, _data(refurbisher, donation=donation.pk))
    assert response.status_code == 200
    assert "choix valide" in " ".join(response.context["form"].errors["donation"])
    assert not Device.objects.exists()


def test_donation_of_another_organisation_of_the_same_user(client, staff, refurbisher, gisement):
    """A user in two organisations cannot attach a device of one to a donation of the other."""
    second = OrganisationFactory(name="Second atelier", is_refurbisher=True)
    MembershipFactory(user=staff, organisation=second, role="staff")
    donation = DonationFactory(gisement=gisement, state="received")
    client.force_login(staff)
    response = client.post(URL, _data(second, donation=donation.pk))
    assert "autre organisation" in " ".join(response.context["form"].errors["donation"])


def test_register_with_donation_and_medium(client, technician, refurbisher, gisement):
    donation = DonationFactory(gisement=gisement, state="received")
    client.force_login(technician)
    response = client.post(
        f"{URL}?don={donation.pk}",
        _data(
            refurbisher,
            donation=donation.pk,
            ram_gb="7,5",
            medium_type="nvme",
            medium_manufacturer="Samsung",
            medium_serial="S4EMNX0R123456",
            medium_capacity_gb="256",
            _another="1",
        ),
    )
    device = Device.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?don={donation.pk}"  # ready for the next one
    assert device.donation == donation
    assert str(device.ram_gb) == "7.5"
    medium = device.storage_media.get()
    assert (medium.media_type, medium.serial, medium.capacity_gb) == ("nvme", "S4EMNX0R123456", 256)
    assert device.events.get().action == "register"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"medium_serial": "S4EM"}, "medium_type", "Précisez le type"),
        (
            {"medium_type": "ssd", "received_without_storage": "on"},
            "received_without_storage",
            "sans support",
        ),
        (
            {"medium_type": "ssd", "medium_capacity_gb": "0"},
            "medium_capacity_gb",
            "supérieure ou égale à 1",
        ),
        ({"medium_type": "disquette"}, "medium_type", "choix valide"),
        ({"kind": ""}, "kind", "obligatoire"),
    ],
)
def test_registration_bad_input_in_french(
    client, technician, refurbisher, overrides, field, message
):
    client.force_login(technician)
    response = client.post(URL, _data(refurbisher, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Device.objects.exists()


def test_without_donation_still_works(client, technician, refurbisher):
    client.force_login(technician)
    response = client.post(URL, _data(refurbisher))
    assert response.status_code == 302
    assert Device.objects.get().donation is None


def test_brand_and_model_suggestions(client, technician, refurbisher, other_refurbisher):
    DeviceFactory.create_batch(3, owner=refurbisher, brand="Dell", model="Latitude 5490")
    DeviceFactory(owner=refurbisher, brand="HP", model="EliteBook 840 G5")
    DeviceFactory(owner=refurbisher, brand="", model="")
    DeviceFactory.create_batch(5, owner=other_refurbisher, brand="Acer", model="Secret")
    assert register_selectors.brand_suggestions([refurbisher.pk]) == ["Dell", "HP"]
    models = register_selectors.model_suggestions([refurbisher.pk])
    assert [m["model"] for m in models] == ["Latitude 5490", "EliteBook 840 G5"]
    client.force_login(technician)
    body = client.get(URL).content.decode()
    assert 'list="marques"' in body
    assert '<option value="Dell"></option>' in body
    assert "Acer" not in body and "Secret" not in body


def test_suggestions_are_limited(refurbisher):
    DeviceFactory.create_batch(
        60, owner=refurbisher, brand=factory.Sequence(lambda n: f"Marque {n:03d}")
    )
    assert len(register_selectors.brand_suggestions([refurbisher.pk])) == 50


def test_register_page_query_budget(
    client, technician, refurbisher, gisement, django_assert_max_num_queries
):
    DeviceFactory.create_batch(30, owner=refurbisher)
    DonationFactory.create_batch(5, gisement=gisement, state="received")
    client.force_login(technician)
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.status_code == 200
