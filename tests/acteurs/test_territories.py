"""Loading départements, EPCI and communes from Etalab's CSV files."""

import csv

import pytest
from django.core.management import call_command

from acteurs.models import Commune, Departement, Epci
from acteurs.services import territories_load

DEPARTEMENTS = [["28", "Eure-et-Loir", "24"], ["45", "Loiret", "24"]]
EPCIS = [
    ["200033181", "CA Chartres Métropole", "CA", "140292"],
    ["200040277", "CA Agglo du Pays de Dreux", "CA", ""],
]
COMMUNES = [
    ["28085", "Chartres", "28", "24", "28000", "38324", "200033181"],
    ["28218", "Lucé", "28", "24", "28110", "15921", "200033181"],
    ["28134", "Dreux", "28", "24", "28100", "31543", "200040277"],
    ["28999", "Commune sans EPCI", "28", "24", "28000 28001", "", ""],
    ["45234", "Orléans", "45", "24", "45000 45100", "116617", ""],
]


def _write(folder, name, header, rows):
    with (folder / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def territories_dir(tmp_path):
    _write(tmp_path, "departements.csv", ["code", "nom", "region"], DEPARTEMENTS)
    _write(tmp_path, "epci.csv", ["siren", "nom", "type", "population"], EPCIS)
    _write(
        tmp_path,
        "communes.csv",
        ["code_insee", "nom", "departement", "region", "codes_postaux", "population", "epci"],
        COMMUNES,
    )
    return tmp_path


def _snapshot():
    return (
        list(Departement.objects.order_by("code").values_list()),
        list(Epci.objects.order_by("siren").values_list()),
        list(Commune.objects.order_by("insee_code").values_list()),
    )


@pytest.mark.django_db
def test_load_creates_rows(territories_dir):
    counts = territories_load(territories_dir)

    assert counts["departements_created"] == 2
    assert counts["epci_created"] == 2
    assert counts["communes_created"] == 5
    chartres = Commune.objects.select_related("epci", "departement").get(pk="28085")
    assert chartres.name == "Chartres"
    assert chartres.epci.name == "CA Chartres Métropole"
    assert chartres.departement.name == "Eure-et-Loir"
    assert chartres.population == 38324
    assert Commune.objects.get(pk="45234").postcodes == "45000 45100"
    assert Epci.objects.get(pk="200040277").population is None


@pytest.mark.django_db
def test_empty_epci_gives_none(territories_dir):
    territories_load(territories_dir)

    commune = Commune.objects.get(pk="28999")
    assert commune.epci is None
    assert commune.population is None


@pytest.mark.django_db
def test_second_load_changes_nothing(territories_dir):
    territories_load(territories_dir)
    before = _snapshot()

    counts = territories_load(territories_dir)

    assert _snapshot() == before
    assert counts["communes"] == 5
    assert counts["departements_created"] == counts["epci_created"] == 0
    assert counts["communes_created"] == 0


@pytest.mark.django_db
def test_changed_names_and_figures_are_updated(territories_dir):
    territories_load(territories_dir)
    changed = [list(row) for row in COMMUNES]
    changed[0][1] = "Chartres (nouveau nom)"
    changed[0][5] = "39000"
    changed[3][6] = "200040277"  # now in an EPCI
    _write(
        territories_dir,
        "communes.csv",
        ["code_insee", "nom", "departement", "region", "codes_postaux", "population", "epci"],
        changed,
    )
    _write(
        territories_dir,
        "epci.csv",
        ["siren", "nom", "type", "population"],
        [EPCIS[0], ["200040277", "CA du Pays de Dreux", "CA", "118593"]],
    )

    territories_load(territories_dir)

    assert Commune.objects.count() == 5
    chartres = Commune.objects.get(pk="28085")
    assert (chartres.name, chartres.population) == ("Chartres (nouveau nom)", 39000)
    assert Commune.objects.get(pk="28999").epci_id == "200040277"
    dreux_agglo = Epci.objects.get(pk="200040277")
    assert (dreux_agglo.name, dreux_agglo.population) == ("CA du Pays de Dreux", 118593)


@pytest.mark.django_db
def test_one_departement_only(territories_dir):
    counts = territories_load(territories_dir, departement="45")

    assert counts["communes"] == 1
    assert list(Commune.objects.values_list("pk", flat=True)) == ["45234"]
    # Every département and EPCI is still loaded.
    assert Departement.objects.count() == 2
    assert Epci.objects.count() == 2


@pytest.mark.django_db
def test_unknown_departement_is_refused(territories_dir):
    with pytest.raises(ValueError):
        territories_load(territories_dir, departement="99")
    assert not Departement.objects.exists()


@pytest.mark.django_db
def test_real_files_eure_et_loir():
    counts = territories_load(departement="28")

    assert counts["communes"] > 300
    assert set(Commune.objects.values_list("departement_id", flat=True)) == {"28"}
    chartres = Commune.objects.select_related("epci").get(pk="28085")
    assert chartres.name == "Chartres"
    assert chartres.epci.name == "CA Chartres Métropole"
    assert Departement.objects.get(pk="28").name == "Eure-et-Loir"


@pytest.mark.django_db
def test_command(territories_dir, capsys):
    call_command("load_territories", path=str(territories_dir))
    call_command("load_territories", path=str(territories_dir), if_empty=True)

    out = capsys.readouterr().out
    assert "5 communes" in out
    assert "déjà chargés" in out
    assert Commune.objects.count() == 5
