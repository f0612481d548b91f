"""Territories chosen by name on the roadmap's filters: the search behind the field's list
(bounded, accents ignored, narrowed to the département chosen), and the names, codes and
"Name (code)" choices the form accepts."""

import html

import pytest
from django.urls import reverse

from acteurs.models import Epci
from tests.acteurs.factories import CommuneFactory, DepartementFactory

pytestmark = pytest.mark.django_db

ROADMAP = reverse("rapports:roadmap")


def search(client, level, q, **extra):
    return client.get(reverse("rapports:territory_search", args=[level]), {"q": q, **extra})


def options(response) -> list[str]:
    """The values the options would write in the field."""
    text = html.unescape(response.content.decode())
    return [part.split('"', 1)[0] for part in text.split('data-value="')[1:]]


@pytest.fixture
def places(db):
    eure_et_loir = DepartementFactory(code="28", name="Eure-et-Loir")
    orne = DepartementFactory(code="61", name="Orne")
    metropole = Epci.objects.create(siren="200033181", name="Chartres Métropole", population=1)
    perche = Epci.objects.create(siren="200035640", name="Communauté de communes du Perche")
    communes = {
        "chartres": CommuneFactory(
            insee_code="28085",
            name="Chartres",
            departement=eure_et_loir,
            epci=metropole,
            population=38000,
            postcodes="28000",
        ),
        "chateaudun": CommuneFactory(
            insee_code="28088",
            name="Châteaudun",
            departement=eure_et_loir,
            population=13000,
            postcodes="28200",
        ),
        "saint_denis_28": CommuneFactory(
            insee_code="28334",
            name="Saint-Denis-des-Puits",
            departement=eure_et_loir,
            epci=perche,
            postcodes="28170",
        ),
        "belleme_28": CommuneFactory(
            insee_code="28999", name="Bellême", departement=eure_et_loir, postcodes="28999"
        ),
        "belleme_61": CommuneFactory(
            insee_code="61038", name="Bellême", departement=orne, postcodes="61130"
        ),
    }
    return communes


def test_communes_are_found_by_the_start_of_their_name_without_accents(client, staff, places):
    client.force_login(staff)
    assert options(search(client, "commune", "chateau")) == ["Châteaudun (28088)"]
    assert options(search(client, "commune", "CHÂTEAUD")) == ["Châteaudun (28088)"]
    assert options(search(client, "commune", "saint denis")) == ["Saint-Denis-des-Puits (28334)"]
    # A number is an INSEE code or a postcode.
    assert options(search(client, "commune", "28000")) == ["Chartres (28085)"]
    assert options(search(client, "commune", "2808")) == ["Chartres (28085)", "Châteaudun (28088)"]
    # Narrowed to the département chosen beside it.
    assert options(search(client, "commune", "belleme")) == ["Bellême (28999)", "Bellême (61038)"]
    assert options(search(client, "commune", "belleme", departement="61")) == ["Bellême (61038)"]
    # One letter is not searched; no match says so.
    assert options(search(client, "commune", "c")) == []
    response = search(client, "commune", "zzz")
    assert "Aucun territoire de ce nom" in html.unescape(response.content.decode())


def test_epci_are_found_by_any_word_of_their_name(client, staff, places):
    client.force_login(staff)
    assert options(search(client, "epci", "chartres")) == ["Chartres Métropole (200033181)"]
    assert options(search(client, "epci", "perche")) == [
        "Communauté de communes du Perche (200035640)"
    ]
    assert options(search(client, "epci", "20003")) == [
        "Chartres Métropole (200033181)",  # the most populated first
        "Communauté de communes du Perche (200035640)",
    ]
    assert options(search(client, "epci", "perche", departement="61")) == []


def test_the_search_sends_ten_territories_at_most_in_one_query(
    client, staff, places, django_assert_max_num_queries
):
    departement = places["chartres"].departement
    for index in range(30):
        CommuneFactory(
            insee_code=f"28{500 + index}",
            name=f"Chartrier {index}",
            departement=departement,
            postcodes="28300",
        )
    client.force_login(staff)
    search(client, "commune", "ch")  # session warm
    # session, user, the roles (the idle timeout depends on them), the communes
    with django_assert_max_num_queries(4):
        response = search(client, "commune", "chartr")
    assert len(options(response)) == 10
    assert options(response)[0] == "Chartres (28085)"


def test_the_search_needs_a_login_and_a_known_level(client, staff, places):
    response = search(client, "commune", "chartres")
    assert response.status_code == 302
    client.force_login(staff)
    assert search(client, "departement", "eure").status_code == 404
    response = search(client, "commune", "<script>" + "x" * 500)
    assert response.status_code == 200 and "<script>" not in response.content.decode()


@pytest.mark.parametrize(
    "query, territory",
    [
        ({"commune": "Chartres"}, "Chartres"),  # "Chartres" once gave a length error
        ({"commune": "chartres"}, "Chartres"),
        ({"commune": "Chartres (28085)"}, "Chartres"),  # as the list writes it
        ({"commune": "28085"}, "Chartres"),
        ({"commune": "Belleme", "departement": "61"}, "Bellême"),
        ({"epci": "Chartres Métropole"}, "Chartres Métropole"),
        ({"epci": "Chartres Métropole (200033181)"}, "Chartres Métropole"),
        ({"epci": "200033181"}, "Chartres Métropole"),
    ],
)
def test_the_filter_takes_a_name_a_code_or_a_choice_of_the_list(
    client, staff, places, query, territory
):
    client.force_login(staff)
    response = client.get(ROADMAP, query)
    assert response.status_code == 200
    assert response.context["territory"].name == territory
    assert "erreur" not in html.unescape(response.content.decode())


def test_a_name_several_communes_share_asks_to_choose(client, staff, places):
    client.force_login(staff)
    response = client.get(ROADMAP, {"commune": "Bellême"})
    text = html.unescape(response.content.decode())
    assert "Plusieurs communes s'appellent « Bellême » (Bellême (28999), Bellême (61038))" in text
    assert not response.context["territory"]
    assert 'href="#id_commune"' in text  # the error summary leads to the field
