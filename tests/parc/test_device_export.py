"""The device list as a spreadsheet (CSV, XLSX) and the coordination's admin exports: scope,
filters, French headers and labels, formula injection, query budgets, permissions."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import load_workbook

from parc import resources
from tests.acteurs.factories import UserFactory
from tests.dons.factories import DonationFactory, GisementFactory
from tests.parc.factories import DeviceFactory, StockLocationFactory, StorageMediumFactory

pytestmark = pytest.mark.django_db

HEADERS = [
    "code public",
    "type",
    "marque",
    "modèle",
    "n° de série",
    "processeur",
    "mémoire (Go)",
    "stockage",
    "système",
    "n° de série tel que reçu",
    "n° d'inventaire du donateur",
    "poids (kg)",
    "date d'achat",
    "grade",
    "état",
    "emplacement",
    "organisation",
    "don (n°)",
    "enregistré le",
    "remarques",
]


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # a French spreadsheet opens it without a dialog
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def xlsx_rows(response) -> list[list]:
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def export(client, file_format="csv", **params):
    return client.get(reverse(f"parc:export_{file_format}"), params)


@pytest.fixture
def pools(refurbisher, other_refurbisher):
    """Two laptops and a desktop here, a laptop in another organisation."""
    shelf = StockLocationFactory(organisation=refurbisher, name="Étagère A")
    return {
        "laptops": [
            DeviceFactory(owner=refurbisher, location=shelf, kind="laptop"),
            DeviceFactory(owner=refurbisher, kind="laptop"),
        ],
        "desktop": DeviceFactory(owner=refurbisher, kind="desktop"),
        "foreign": DeviceFactory(
            owner=other_refurbisher,
            kind="laptop",
            location=StockLocationFactory(organisation=other_refurbisher),
        ),
        "shelf": shelf,
    }


# --- what the export holds ----------------------------------------------------------------------


def test_export_holds_the_filtered_devices_of_the_users_organisation(client, technician, pools):
    client.force_login(technician)
    rows = csv_rows(export(client, kind="laptop"))
    assert rows[0] == HEADERS
    assert sorted(row[0] for row in rows[1:]) == sorted(d.public_code for d in pools["laptops"])

    everything = csv_rows(export(client))
    codes = {row[0] for row in everything[1:]}
    assert codes == {d.public_code for d in [*pools["laptops"], pools["desktop"]]}
    assert pools["foreign"].public_code not in codes


def test_export_follows_the_list_filters_and_search(client, technician, pools):
    client.force_login(technician)
    shelf_rows = csv_rows(export(client, location=pools["shelf"].pk))
    assert [row[0] for row in shelf_rows[1:]] == [pools["laptops"][0].public_code]
    searched = csv_rows(export(client, q=pools["desktop"].public_code))
    assert [row[0] for row in searched[1:]] == [pools["desktop"].public_code]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("forged", ["owner", "location"])
def test_forged_filters_never_reveal_another_organisations_device(
    client, technician, pools, forged, file_format
):
    """An organisation or a location the user cannot choose: no file, back to the list."""
    foreign = pools["foreign"]
    value = foreign.owner_id if forged == "owner" else foreign.location_id
    client.force_login(technician)
    response = export(client, file_format, **{forged: value})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('parc:list')}?{forged}={value}"
    page = client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == [
        "Ces filtres ne sont pas valides : corrigez-les avant d'exporter la liste."
    ]
    assert foreign.public_code not in page.content.decode()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_searching_another_organisations_code_exports_nothing(
    client, technician, pools, file_format
):
    client.force_login(technician)
    response = export(client, file_format, q=pools["foreign"].public_code)
    rows = csv_rows(response) if file_format == "csv" else xlsx_rows(response)
    assert rows == [HEADERS]


def test_french_headers_and_labels(client, staff, refurbisher):
    donation = DonationFactory(gisement=GisementFactory(refurbisher=refurbisher))
    device = DeviceFactory(
        owner=refurbisher,
        location=StockLocationFactory(organisation=refurbisher, name="Réserve"),
        donation=donation,
        kind="laptop",
        cpu="Intel Core i5-6300U",
        ram_gb=Decimal("8.0"),
        os="Debian 12",
        grade="A",
    )
    StorageMediumFactory(device=device, media_type="nvme", capacity_gb=512)
    StorageMediumFactory(device=device, media_type="hdd", capacity_gb=1000)
    client.force_login(staff)
    rows = csv_rows(export(client))
    assert rows[0] == HEADERS
    cells = dict(zip(HEADERS, rows[1], strict=True))
    assert cells["type"] == "ordinateur portable"
    assert cells["état"] == "Enregistré"
    assert cells["grade"] == "A – très bon état"
    assert cells["stockage"] == "SSD NVMe 512 Go + disque dur (HDD) 1000 Go"
    assert cells["mémoire (Go)"] == "8,0"
    assert cells["emplacement"] == "Réserve"
    assert cells["organisation"] == "Recyclerie test"
    assert cells["don (n°)"] == str(donation.pk)
    assert cells["marque"] == "Dell"
    assert cells["n° de série"] == device.serial


def test_cells_that_would_run_as_formulas_are_neutralised(client, technician, refurbisher):
    DeviceFactory(
        owner=refurbisher,
        brand='=HYPERLINK("http://evil.example","x")',
        model="+1+1",
        serial="-2",
        cpu="@SUM(A1)",
        os="Windows 10",
    )
    client.force_login(technician)
    csv_cells = dict(zip(HEADERS, csv_rows(export(client))[1], strict=True))
    xlsx_cells = dict(zip(HEADERS, xlsx_rows(export(client, "xlsx"))[1], strict=True))
    for cells in (csv_cells, xlsx_cells):
        assert cells["marque"] == '\'=HYPERLINK("http://evil.example","x")'
        assert cells["modèle"] == "'+1+1"
        assert cells["n° de série"] == "'-2"
        assert cells["processeur"] == "'@SUM(A1)"
        assert cells["système"] == "Windows 10"


def test_xlsx_holds_the_same_rows_as_the_csv(client, technician, pools):
    StorageMediumFactory(device=pools["laptops"][0], capacity_gb=256)
    client.force_login(technician)
    response = export(client, "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    sheet = xlsx_rows(response)
    text = csv_rows(export(client))
    assert sheet[0] == text[0] == HEADERS
    assert len(sheet) == len(text) == 4
    code, storage = HEADERS.index("code public"), HEADERS.index("stockage")
    assert [row[code] for row in sheet] == [row[code] for row in text]
    assert [row[storage] or "" for row in sheet] == [row[storage] for row in text]
    # Dates stay dates in the workbook (the CSV writes them as text).
    registered = sheet[1][HEADERS.index("enregistré le")]
    assert registered.year >= 2024


def test_xlsx_beyond_its_limit_sends_back_to_the_list_with_a_message(
    client, technician, pools, monkeypatch
):
    monkeypatch.setattr(resources, "XLSX_MAX_ROWS", 2)
    client.force_login(technician)
    response = export(client, "xlsx", kind="")
    assert response.status_code == 302
    page = client.get(response["Location"])
    messages = [str(m) for m in page.context["messages"]]
    assert len(messages) == 1
    assert "plus de 2 appareils" in messages[0]
    assert "exportez en CSV" in messages[0]
    # Under the limit, the file comes.
    assert export(client, "xlsx", kind="laptop").status_code == 200


# --- query budgets: the same with 3 devices and with 30 -----------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("count", [3, 30])
def test_export_query_budget(
    count, file_format, client, technician, refurbisher, django_assert_max_num_queries
):
    shelf = StockLocationFactory(organisation=refurbisher)
    for device in DeviceFactory.create_batch(count, owner=refurbisher, location=shelf):
        StorageMediumFactory(device=device)
    client.force_login(technician)
    with django_assert_max_num_queries(8):
        response = export(client, file_format, location=shelf.pk)
        rows = csv_rows(response) if file_format == "csv" else xlsx_rows(response)
    assert len(rows) == count + 1


# --- who may export -----------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(client, pools):
    for file_format in ("csv", "xlsx"):
        url = reverse(f"parc:export_{file_format}")
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"


def test_prescribers_cannot_export_the_pool(client, prescriber, pools):
    client.force_login(prescriber)
    assert export(client).status_code == 403
    assert export(client, "xlsx").status_code == 403


def test_the_list_links_to_the_export_with_its_filters(client, technician, pools):
    client.force_login(technician)
    content = client.get(reverse("parc:list"), {"kind": "laptop"}).content.decode()
    assert f'href="{reverse("parc:export_csv")}?kind=laptop"' in content
    assert f'href="{reverse("parc:export_xlsx")}?kind=laptop"' in content
    # The htmx update of the results carries the links with the new filters.
    partial = client.get(
        reverse("parc:list"), {"kind": "desktop"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert f'href="{reverse("parc:export_csv")}?kind=desktop"' in partial


# --- the coordination's admin exports -----------------------------------------------------------


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="coordination", is_staff=True, is_superuser=True))
    return client


def _admin_export(client, model: str, resource: str, field_names: list[str], file_format=0):
    url = reverse(f"admin:{model}_export")
    page = client.get(url)
    assert page.status_code == 200
    data = {"format": str(file_format), "resource": "0"}
    data.update({f"{resource.lower()}_{name}": "on" for name in field_names})
    return client.post(url, data)


def test_admin_device_export_reachable_by_a_superuser(superuser_client, pools):
    changelist = superuser_client.get(reverse("admin:parc_device_changelist"))
    assert reverse("admin:parc_device_export") in changelist.content.decode()
    DeviceFactory(owner=pools["desktop"].owner, brand="-cmd")
    response = _admin_export(
        superuser_client,
        "parc_device",
        "DeviceResource",
        resources.DeviceResource().get_export_order(),
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert len(rows) == 6  # the coordination sees every organisation
    assert "'-cmd" in [row[HEADERS.index("marque")] for row in rows]
    assert "ordinateur portable" in [row[HEADERS.index("type")] for row in rows]


def test_admin_gisement_and_donation_exports(superuser_client, refurbisher):
    gisement = GisementFactory(refurbisher=refurbisher, name="@Banque", contact_name="Mme X")
    DonationFactory(gisement=gisement, state="received", donor_reference="=1+2")
    response = _admin_export(
        superuser_client,
        "dons_gisement",
        "GisementResource",
        ["number", "name", "donor", "donor_kind", "refurbisher", "frequency", "created_at"],
    )
    gisement_rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert gisement_rows[0][:3] == ["n°", "gisement", "donateur"]
    assert gisement_rows[1][1] == "'@Banque"
    assert gisement_rows[1][3] == "entreprise"
    assert "Mme X" not in response.content.decode()
    response = _admin_export(
        superuser_client,
        "dons_donation",
        "DonationResource",
        ["number", "gisement", "state", "donor_reference"],
        file_format=1,
    )
    sheet = [list(r) for r in load_workbook(io.BytesIO(response.content)).active.values]
    assert sheet[0] == ["n° du don", "gisement", "état", "référence du donateur"]
    assert sheet[1][1:] == ["'@Banque", "Réceptionné", "'=1+2"]


def test_admin_exports_are_for_superusers_only(client, refurbisher):
    staff_user = UserFactory(username="staff-admin", is_staff=True)
    staff_user.user_permissions.add(Permission.objects.get(codename="view_device"))
    client.force_login(staff_user)
    assert client.get(reverse("admin:parc_device_export")).status_code == 403
