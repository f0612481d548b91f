"""Who reads which report: a funder reads what it funds (and nothing else), the coordination
reads everything, a refurbisher's team its own gisements; everyone else gets a 404."""

import pytest
from django.urls import reverse

from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

FILES = ("pdf", "xlsx", "csv", "annexe")


def _urls(kind, pk):
    yield reverse(f"rapports:{kind}", args=[pk])
    for fmt in FILES:
        yield reverse(f"rapports:{kind}_{fmt}", args=[pk])


def test_funder_sees_rapports_in_the_navigation_listing_only_what_it_funds(
    client, funder_user, scenario, other_funder_user
):
    client.force_login(funder_user)
    home = client.get(reverse("rapports:index"))
    assert home.status_code == 200
    page = home.content.decode()
    assert f'href="{reverse("rapports:index")}"' in page  # the navigation link
    assert "Renouvellement 2026" in page
    assert "Gisement d&#x27;ailleurs" not in page and "Gisement d'ailleurs" not in page


def test_funder_reads_the_funded_gisement_in_every_format(client, funder_user, scenario):
    client.force_login(funder_user)
    for url in _urls("gisement", scenario["gisement"].pk):
        response = client.get(url)
        assert response.status_code == 200, url


def test_funder_gets_404_for_what_it_does_not_fund(client, funder_user, scenario):
    client.force_login(funder_user)
    elsewhere = scenario["elsewhere"]
    forbidden = [
        *_urls("gisement", elsewhere.pk),
        *_urls("don", elsewhere.donations.get().pk),
        *_urls("donateur", elsewhere.donor_id),
        reverse("rapports:gisement_share", args=[elsewhere.pk]),
        reverse("rapports:gisement_job", args=[elsewhere.pk]),
    ]
    for url in forbidden:
        method = client.post if url.endswith(("partager/", "complet/")) else client.get
        assert method(url).status_code == 404, url


def test_another_funder_cannot_read_this_funders_report(client, other_funder_user, scenario):
    client.force_login(other_funder_user)
    for url in _urls("gisement", scenario["gisement"].pk):
        assert client.get(url).status_code == 404, url
    page = client.get(reverse("rapports:index")).content.decode()
    assert "Renouvellement 2026" not in page


def test_a_donor_member_with_the_funder_role_reads_the_gisements_it_gave(client, scenario):
    user = UserFactory(username="banque-rse")
    MembershipFactory(user=user, organisation=scenario["gisement"].donor, role="funder")
    client.force_login(user)
    url = reverse("rapports:donateur", args=[scenario["gisement"].donor_id])
    assert client.get(url).status_code == 200


def test_coordination_reads_every_report(client, scenario):
    organisation = OrganisationFactory(name="Coordination", short_name="CO", is_coordinator=True)
    user = UserFactory(username="coord")
    MembershipFactory(user=user, organisation=organisation, role="admin")
    client.force_login(user)
    for gisement in (scenario["gisement"], scenario["elsewhere"]):
        assert client.get(reverse("rapports:gisement", args=[gisement.pk])).status_code == 200


def test_refurbisher_staff_reads_its_own_gisements_not_the_others(client, scenario, staff):
    client.force_login(staff)
    assert (
        client.get(reverse("rapports:gisement", args=[scenario["gisement"].pk])).status_code == 200
    )
    elsewhere = reverse("rapports:gisement", args=[scenario["elsewhere"].pk])
    assert client.get(elsewhere).status_code == 404


def test_technicians_and_prescribers_have_no_reports(client, scenario, technician, prescriber):
    for user in (technician, prescriber):
        client.force_login(user)
        home = client.get(reverse("rapports:index")).content.decode()
        assert "Aucun rapport ne vous est ouvert" in home
        url = reverse("rapports:gisement", args=[scenario["gisement"].pk])
        assert client.get(url).status_code == 404
        assert client.get(reverse("rapports:open_data_csv")).status_code == 404


def test_anonymous_users_are_sent_to_the_login_page(client, scenario):
    response = client.get(reverse("rapports:gisement", args=[scenario["gisement"].pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_unknown_subject_is_a_404(client, funder_user):
    client.force_login(funder_user)
    assert client.get(reverse("rapports:gisement", args=[999999])).status_code == 404
