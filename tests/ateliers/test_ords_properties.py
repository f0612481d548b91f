"""Property-based tests of the ORDS import (hypothesis), on arbitrary bytes and on a real
published file mutated: whatever the file, a French refusal or a preview whose counts add up
(every row valid or rejected, every rejected row in the download with its reason), and an
import that writes every valid row or none — never an exception escaping as a 500."""

import csv
import io
import re

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ateliers import ords_csv, services
from ateliers.models import Repair, RepairImport
from core.errors import ApplicationError
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.ords import SAMPLES, upload

pytestmark = pytest.mark.django_db

FILE_CODES = {"ords_encoding", "ords_not_ords", "ords_empty", "ords_too_long"}
# What a message must never show: Python's or the csv module's own English.
ENGLISH = re.compile(r"(?i:error|traceback|expected after|end of data|codec|field limit)|NUL")
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# The first 60 records of a real file (quotes, long texts, "Item too worn out").
REAL = b"".join(SAMPLES["repairconnects"].read_bytes().splitlines(keepends=True)[:61])
HEADER = REAL.split(b"\n", 1)[0] + b"\n"
# Bytes that matter to a CSV reader and to the decoders.
SIGNIFICANT = [b'"', b",", b";", b"\t", b"\n", b"\r", b"\r\n", b"\x00", b"'", b"=", b"-"]
SIGNIFICANT += [b"\xff", b"\xe9", "é".encode(), b"\xef\xbb\xbf", b"9999", b"Unknown", b" "]


@pytest.fixture
def cafe(db):
    cafe = OrganisationFactory(name="Repair café de Dreux", short_name="RC Dreux")
    volunteer = UserFactory(username="benevole")
    MembershipFactory(user=volunteer, organisation=cafe, role="staff")
    return cafe, volunteer


def check_import(cafe, content: bytes) -> None:
    """The properties, for one file; every example rolled back afterwards."""
    organisation, volunteer = cafe
    with transaction.atomic():
        try:
            batch = services.repairs_import_preview(
                actor=volunteer, organisation=organisation, upload=upload("x.csv", content)
            )
        except ApplicationError as refusal:
            assert refusal.code in FILE_CODES, refusal.code
            assert refusal.message and not ENGLISH.search(refusal.message), refusal.message
            assert not RepairImport.objects.exists()
        else:
            check_preview(batch)
            check_confirm(cafe, batch)
        transaction.set_rollback(True)


def check_preview(batch) -> None:
    assert not Repair.objects.exists()
    assert batch.total_rows == batch.valid_rows + batch.rejected_rows > 0
    assert 0 <= batch.skipped <= batch.valid_rows
    for line, _external_id, reason in batch.report["errors"]:
        assert line >= 2 and reason and not ENGLISH.search(reason), reason
    # Every rejected row is in the download, with its reason in « Erreur ».
    if batch.rejected_rows:
        with batch.rejected_file.open("rb") as handle:
            raw = handle.read()
        text = raw.decode("cp1252" if batch.encoding == "cp1252" else "utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=batch.delimiter))
        assert len(rows) == batch.rejected_rows + 1
        position = rows[0].index(ords_csv.ERROR_COLUMN)
        assert all(row[position].startswith("Ligne ") for row in rows[1:])
    else:
        assert not batch.rejected_file


def check_confirm(cafe, batch) -> None:
    try:
        with transaction.atomic():
            done = services.repairs_import_confirm(actor=cafe[1], batch_pk=batch.pk)
    except ApplicationError as refusal:
        assert batch.importable_rows == 0
        assert refusal.code == "ords_nothing_to_import"
        assert not Repair.objects.exists()
    else:
        assert done.rows == batch.importable_rows == Repair.objects.count() > 0


@SETTINGS
@given(content=st.binary(max_size=3000))
def test_arbitrary_bytes(cafe, content):
    check_import(cafe, content)


@SETTINGS
@given(body=st.binary(max_size=2000))
def test_arbitrary_bytes_after_an_ords_header(cafe, body):
    check_import(cafe, HEADER + body)


@st.composite
def mutated(draw):
    """The real file with a few edits where CSV breaks: bytes inserted, removed, replaced,
    or the file cut short."""
    content = bytearray(REAL)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        position = draw(st.integers(min_value=0, max_value=len(content)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "cut"]))
        piece = draw(st.sampled_from(SIGNIFICANT) | st.binary(min_size=1, max_size=4))
        if action == "insert":
            content[position:position] = piece
        elif action == "delete":
            del content[position : position + draw(st.integers(min_value=1, max_value=40))]
        elif action == "replace":
            content[position : position + len(piece)] = piece
        else:
            del content[position:]
    return bytes(content)


@SETTINGS
@given(content=mutated())
def test_mutated_real_files(cafe, content):
    check_import(cafe, content)


def test_the_unmutated_excerpt_imports_whole(cafe):
    """The baseline of the mutations: the 60 records are all valid."""
    organisation, volunteer = cafe
    batch = services.repairs_import_preview(
        actor=volunteer, organisation=organisation, upload=upload("x.csv", REAL)
    )
    assert (batch.total_rows, batch.valid_rows) == (60, 60)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=mutated() | st.binary(max_size=500))
def test_the_upload_page_never_answers_500(client, cafe, content):
    organisation, volunteer = cafe
    client.force_login(volunteer)
    with transaction.atomic():
        response = client.post(
            reverse("ateliers:repairs"),
            {"organisation": organisation.pk, "fichier": upload("x.csv", content)},
        )
        assert response.status_code in (302, 400)
        if response.status_code == 302:
            page = client.get(response["Location"])
            assert page.status_code == 200
            if page.context["batch"].importable_rows:
                done = client.post(response["Location"])
                assert done.status_code == 302
        transaction.set_rollback(True)
