"""The certificate annex's operator column: an employee's name is personal data, so a funder
or a donor reads a pseudonymous reference (« Opérateur RT-XXXXX ») on the page, in the CSV,
the XLSX and the PDFs; the refurbisher's admins and staff and the coordination read the name
(with the same reference, to map a funder's question back to the person). Whatever the
reader, the annex costs the same number of queries for 3 or 30 more rows."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rapports.selectors import Period, annex_rows, subject_for
from rapports.selectors.annex import operator_reference
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.dons.factories import DonationFactory
from tests.parc.factories import DeviceFactory, ErasureRecordFactory, StorageMediumFactory

from .test_gisement_report_exports import body, pdf_text, xlsx_text

pytestmark = pytest.mark.django_db

NAME = "Sami Technicien"  # the scenario's operator (username "operateur")


def _reference(scenario) -> str:
    refurbisher = scenario["gisement"].refurbisher
    return operator_reference(refurbisher.pk, scenario["operator"].pk, refurbisher.short_name)


def _has(text: str, needle: str) -> bool:
    """``needle`` in ``text`` wherever lines wrapped (a PDF breaks « RT-7K3QX » after its
    dash, which pdfium reads as U+FFFE)."""
    return "".join(needle.split()) in "".join(text.split()).replace("\ufffe", "-")


def _annex_outputs(client, kind, pk) -> dict[str, str]:
    """The annex as each output shows it: the page, the annex CSV, the XLSX, the PDF."""
    return {
        "page": client.get(reverse(f"rapports:{kind}", args=[pk])).content.decode(),
        "csv": body(client.get(reverse(f"rapports:{kind}_annexe", args=[pk]))).decode(),
        "xlsx": xlsx_text(client.get(reverse(f"rapports:{kind}_xlsx", args=[pk])).content),
        "pdf": pdf_text(client.get(reverse(f"rapports:{kind}_pdf", args=[pk])).content),
    }


def _operators_in_csv(text: str) -> set[str]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    column = rows[0].index("opérateur")
    return {row[column] for row in rows[1:]}


@pytest.fixture
def donor_user(scenario):
    """A member of the donor company (Banque du Centre), reading its own gisements."""
    user = UserFactory(username="donateur-test")
    MembershipFactory(user=user, organisation=scenario["gisement"].donor, role="funder")
    return user


@pytest.fixture
def coordinator_user(db):
    organisation = OrganisationFactory(name="Département", short_name="DEP", is_coordinator=True)
    user = UserFactory(username="coordination-annexe")
    MembershipFactory(user=user, organisation=organisation, role="admin")
    return user


def test_a_funder_reads_a_reference_not_the_operator_in_every_annex_output(
    client, funder_user, scenario
):
    client.force_login(funder_user)
    outputs = _annex_outputs(client, "gisement", scenario["gisement"].pk)
    reference = f"Opérateur {_reference(scenario)}"
    assert _operators_in_csv(outputs["csv"]) == {reference}  # every row, one stable reference
    for output, text in outputs.items():
        assert _has(text, reference), output
        for needle in ("Sami", "Technicien", "operateur"):
            assert not _has(text, needle), f"{needle!r} in the funder's {output}"


def test_a_donor_reads_no_operator_name_nor_username(client, donor_user, scenario):
    # An operator without a first or last name was shown by username: not to a donor.
    ErasureRecordFactory(
        medium=scenario["devices"]["desktops_triage"][1].storage_media.get(),
        operator=UserFactory(username="j.dupont", first_name="", last_name=""),
    )
    client.force_login(donor_user)
    outputs = _annex_outputs(client, "donateur", scenario["gisement"].donor_id)
    assert len(_operators_in_csv(outputs["csv"])) == 2  # two operators, two references
    for output, text in outputs.items():
        for needle in ("Sami", "Technicien", "operateur", "j.dupont"):
            assert not _has(text, needle), f"{needle!r} in the donor's {output}"


def test_the_refurbishers_staff_and_the_coordination_read_the_name(
    client, staff, coordinator_user, scenario
):
    expected = f"{NAME} ({_reference(scenario)})"
    for reader in (staff, coordinator_user):
        client.force_login(reader)
        outputs = _annex_outputs(client, "gisement", scenario["gisement"].pk)
        assert _operators_in_csv(outputs["csv"]) == {expected}, reader.username
        for output, text in outputs.items():
            assert _has(text, expected), f"{reader.username}: {output}"


def test_staff_elsewhere_funding_the_whole_refurbisher_reads_no_name_there(
    scenario, other_refurbisher
):
    """Being staff somewhere names one's own organisation's operators only: the staff of the
    other refurbisher, also a member of a funder of the whole refurbisher (so every one of
    its gisements is in their report scope), reads the reference."""
    from rapports.models import Funding

    funder = OrganisationFactory(name="Région", short_name="REG", is_funder=True)
    Funding.objects.create(
        funder=funder, name="Programme", refurbisher=scenario["gisement"].refurbisher
    )
    reader = UserFactory(username="equipe-ailleurs")
    MembershipFactory(user=reader, organisation=other_refurbisher, role="staff")
    MembershipFactory(user=reader, organisation=funder, role="funder")
    rows = list(annex_rows(subject_for(reader, "gisement", scenario["gisement"].pk), Period()))
    assert rows and {row["operator_name"] for row in rows} == {f"Opérateur {_reference(scenario)}"}


def test_a_shared_link_made_by_staff_names_nobody(client, staff, scenario):
    """The link's reader is not its author: the subject behind it names nobody, even though
    the staff who made it read the names."""
    client.force_login(staff)
    share = client.post(
        reverse("rapports:gisement_share", args=[scenario["gisement"].pk]), {"days": 7}
    )
    client.logout()
    shared = client.get("/" + share.context["url"].split("/", 3)[3])
    assert shared.status_code == 200
    assert shared.context["subject"].names_of == frozenset()
    assert NAME not in shared.content.decode()


def test_the_background_pdf_names_no_operator_for_a_funder(
    client, funder_user, scenario, django_capture_on_commit_callbacks
):
    from rapports.models import ReportJob

    client.force_login(funder_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rapports:gisement_job", args=[scenario["gisement"].pk]))
    job = ReportJob.objects.get()
    text = pdf_text(
        b"".join(client.get(reverse("rapports:job_file", args=[job.pk])).streaming_content)
    )
    assert _has(text, f"Opérateur {_reference(scenario)}")
    assert not _has(text, "Sami") and not _has(text, "Technicien")


def test_the_reference_is_stable_and_differs_between_organisations():
    assert operator_reference(3, 42, "RT") == operator_reference(3, 42, "RT")
    assert operator_reference(3, 42, "RT").startswith("RT-")
    assert len(operator_reference(3, 42)) == 5
    # The same person in two organisations: two unrelated references (no linking).
    assert operator_reference(3, 42) != operator_reference(4, 42)
    assert operator_reference(3, 42) != operator_reference(3, 43)
    assert "42" not in operator_reference(3, 42)


def test_the_api_leaves_out_whose_names_the_reader_may_see(scenario, funder_user):
    from .test_api import client_for

    response = client_for(funder_user).get(
        f"/api/v1/reports/gisements/gisement/{scenario['gisement'].pk}/"
    )
    assert response.status_code == 200
    assert "names_of" not in response.json()["subject"]


# --- query counts ---------------------------------------------------------------------------


def _grow(scenario, rows: int):
    """More erasure rows in the gisement, each by a different operator of the refurbisher
    (a per-operator query would show as well as a per-row one)."""
    refurbisher = scenario["gisement"].refurbisher
    donation = DonationFactory(gisement=scenario["gisement"], state="received")
    for index in range(rows):
        operator = UserFactory(first_name="Opé", last_name=f"Numéro{index}")
        MembershipFactory(user=operator, organisation=refurbisher, role="technician")
        ErasureRecordFactory(
            medium=StorageMediumFactory(device=DeviceFactory(owner=refurbisher, donation=donation)),
            operator=operator,
        )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        body(response)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("reader", ["funder_user", "staff"])
def test_the_annex_costs_the_same_queries_with_3_or_30_more_rows(client, scenario, request, reader):
    client.force_login(request.getfixturevalue(reader))
    pk = scenario["gisement"].pk
    urls = [
        reverse("rapports:gisement", args=[pk]),
        reverse("rapports:gisement_annexe", args=[pk]),
        reverse("rapports:gisement_pdf", args=[pk]),
    ]
    _grow(scenario, 3)
    client.get(urls[0])  # session and caches warm
    before = {url: _queries(client, url) for url in urls}
    _grow(scenario, 27)
    after = {url: _queries(client, url) for url in urls}
    assert after == before
    annex = body(client.get(urls[1])).decode()
    operators = _operators_in_csv(annex)
    assert len(operators) == 1 + 30  # the rows grown are in the annex, each its operator
    assert any("Numéro26" in name for name in operators) is (reader == "staff")


# --- a donor who is a private individual ----------------------------------------------------

PRIVATE_DONOR = "Particulier – Jeanne Roux"


@pytest.fixture
def private_gisement(scenario):
    """A gisement given by a private individual to the scenario's refurbisher, with one
    device and one erasure."""
    from tests.dons.factories import GisementFactory

    donor = OrganisationFactory(name=PRIVATE_DONOR, short_name="JR", is_donor=True)
    gisement = GisementFactory(
        refurbisher=scenario["gisement"].refurbisher,
        donor=donor,
        donor_kind="particulier",
        name="Ordinateur familial",
    )
    donation = DonationFactory(gisement=gisement, state="received")
    ErasureRecordFactory(
        medium=StorageMediumFactory(
            device=DeviceFactory(owner=gisement.refurbisher, donation=donation)
        ),
        operator=scenario["operator"],
    )
    return gisement


@pytest.fixture
def refurbisher_funder_user(scenario):
    """A member of a funder of the refurbisher's whole activity (every gisement of it)."""
    from rapports.models import Funding

    funder = OrganisationFactory(name="Région", short_name="REG", is_funder=True)
    Funding.objects.create(
        funder=funder, name="Programme", refurbisher=scenario["gisement"].refurbisher
    )
    user = UserFactory(username="financeur-region")
    MembershipFactory(user=user, organisation=funder, role="funder")
    return user


def _private_donor_outputs(client, gisement) -> dict[str, str]:
    outputs = _annex_outputs(client, "gisement", gisement.pk)
    outputs["csv figures"] = body(
        client.get(reverse("rapports:gisement_csv", args=[gisement.pk]))
    ).decode()
    outputs["donor page"] = client.get(
        reverse("rapports:donateur", args=[gisement.donor_id])
    ).content.decode()
    outputs["index"] = client.get(reverse("rapports:index")).content.decode()
    outputs["home"] = client.get("/").content.decode()
    return outputs


def test_a_funder_reads_no_private_donors_name(client, refurbisher_funder_user, private_gisement):
    client.force_login(refurbisher_funder_user)
    outputs = _private_donor_outputs(client, private_gisement)
    hidden = f"un particulier (donateur n° {private_gisement.donor_id})"
    for output in ("page", "pdf", "xlsx", "csv figures", "donor page", "index", "home"):
        assert _has(outputs[output], hidden), output
    for output, text in outputs.items():
        assert not _has(text, "Roux"), output
    # The company donor of the scenario is still named.
    assert "Banque du Centre" in outputs["index"]


def test_the_refurbishers_staff_reads_the_private_donors_name(client, staff, private_gisement):
    client.force_login(staff)
    for url in (
        reverse("rapports:gisement", args=[private_gisement.pk]),
        reverse("rapports:donateur", args=[private_gisement.donor_id]),
        reverse("rapports:index"),
    ):
        assert PRIVATE_DONOR in client.get(url).content.decode(), url


def test_a_shared_link_made_by_staff_hides_the_private_donor(client, staff, private_gisement):
    client.force_login(staff)
    share = client.post(reverse("rapports:gisement_share", args=[private_gisement.pk]), {"days": 7})
    client.logout()
    shared = client.get("/" + share.context["url"].split("/", 3)[3])
    assert shared.status_code == 200
    assert "Roux" not in shared.content.decode()
    token = shared.context["token"]
    pdf = pdf_text(client.get(reverse("rapports:shared_pdf", args=[token])).content)
    assert _has(pdf, "un particulier") and not _has(pdf, "Roux")
