"""Property-based tests of the evidence parsers and services (hypothesis): on arbitrary bytes
and on real files mutated at random, a hardware report or an nwipe log is either read or
refused with a French message and a stable code — never another exception, and a refusal
writes nothing (no device field, medium, erasure, event, evidence row or stored file)."""

import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parc.evidence import services as evidence
from parc.evidence.erasure_logs import LogError, parse_log
from parc.evidence.hardware import ReportError, parse_report
from parc.models import DeviceEvent, ErasureRecord, EvidenceFile, StorageMedium
from tests.parc.factories import DeviceFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPORTS = [
    path.read_bytes()
    for path in sorted((FIXTURES / "hardware").iterdir())
    if path.suffix in (".json", ".txt")
]
LOGS = [path.read_bytes() for path in sorted((FIXTURES / "nwipe").glob("*.log"))]

# Pieces that make parsers stumble: structure, huge numbers, NUL, invalid UTF-8, log syntax.
TOKENS = [
    b"[",
    b"{",
    b"]",
    b"}",
    b'"',
    b",",
    b"\\",
    b"9" * 60,
    b"-1e99999",
    b"\x00",
    b"\xff\xfe",
    b"\n",
    b"|",
    b"null",
    b'"children": 5,',
    b'"size": "x",',
    b"[9999/99/99 99:99:99] ",
    b"Found /dev/sda, ATA, X, 500 GB, S/N=",
    b"Invoking method 'Fill With Zeros' on /dev/sda\n",
    b"banner = nwipe ",
    b"  loop0 | Erased | 0 B/s | 99999999:00:00 | x/\n",
    b"Handle 0x0001, DMI type 1, 27 bytes\nSystem Information\n\tManufacturer: ",
]

FRENCH = re.compile(r"[àâçéèêîôûù«»]|\b(le|la|les|ce|de|du|un|une|est|pas)\b", re.I)


def assert_french_refusal(error) -> None:
    assert error.code and re.fullmatch(r"[a-z_]+", error.code), error.code
    assert error.message and FRENCH.search(error.message), error.message


@st.composite
def mutated(draw, sources):
    data = bytearray(draw(st.sampled_from(sources)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        operation = draw(st.sampled_from(["flip", "cut", "insert", "truncate", "repeat"]))
        position = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if operation == "flip" and data:
            data[position] = draw(st.integers(min_value=0, max_value=255))
        elif operation == "cut":
            del data[position : position + draw(st.integers(min_value=1, max_value=200))]
        elif operation == "insert":
            data[position:position] = draw(st.sampled_from(TOKENS))
        elif operation == "truncate":
            del data[position:]
        elif operation == "repeat":
            data[position:position] = draw(st.sampled_from(TOKENS)) * draw(
                st.integers(min_value=2, max_value=1200)
            )
    return bytes(data)


# --- the parsers ----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_are_a_report_or_a_french_refusal(raw):
    try:
        parse_report(raw)
    except ReportError as error:
        assert_french_refusal(error)


@settings(max_examples=400, deadline=None)
@given(mutated(REPORTS))
def test_mutated_real_reports_are_read_or_refused_in_french(raw):
    try:
        parse_report(raw)
    except ReportError as error:
        assert_french_refusal(error)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_are_a_log_or_a_french_refusal(raw):
    try:
        parse_log(raw)
    except LogError as error:
        assert_french_refusal(error)


@settings(max_examples=400, deadline=None)
@given(mutated(LOGS))
def test_mutated_real_logs_are_read_or_refused_in_french(raw):
    try:
        log = parse_log(raw)
    except LogError as error:
        assert_french_refusal(error)
    else:
        for disk in log.disks:
            assert disk.result in ("erased", "failed", "aborted")
            assert disk.ended_at >= disk.started_at


# --- the services: a refusal writes nothing ------------------------------------------------


def _written(device) -> tuple:
    return (
        StorageMedium.objects.filter(device=device).count(),
        ErasureRecord.objects.filter(medium__device=device).count(),
        DeviceEvent.objects.filter(device=device).count(),
        EvidenceFile.objects.filter(device=device).count(),
    )


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=mutated(REPORTS))
def test_applying_a_mutated_report_is_all_or_nothing(raw, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, brand="", model="", serial="", cpu="", ram_gb=None)
    try:
        outcome = evidence.hardware_report_apply(device.pk, technician, raw)
    except evidence.EvidenceError as error:
        assert_french_refusal(error)
        device.refresh_from_db()
        assert (device.brand, device.model, device.serial, device.cpu) == ("", "", "", "")
        assert _written(device) == (0, 0, 0, 0)
    else:
        assert default_storage.exists(outcome.evidence.file.name)
        assert outcome.event.data["summary"]


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=mutated(LOGS))
def test_staging_and_confirming_a_mutated_log_is_all_or_nothing(
    raw, refurbisher, technician, django_capture_on_commit_callbacks
):
    device = DeviceFactory(owner=refurbisher, state="triage")
    try:
        staged, log = evidence.erasure_log_stage(device.pk, technician, raw)
    except evidence.EvidenceError as error:
        assert_french_refusal(error)
        assert _written(device) == (0, 0, 0, 0)
        return
    assignments = dict.fromkeys((disk.path for disk in log.disks), evidence.CREATE)
    try:
        evidence.erasure_log_confirm(staged.pk, technician, assignments=assignments)
    except evidence.EvidenceError as error:
        assert_french_refusal(error)
        # Only the staged upload remains, waiting for another try.
        assert _written(device) == (0, 0, 0, 1)
    else:
        media, erasures, events, kept = _written(device)
        assert media == len(log.disks) == erasures and kept == 1
