"""The Open Repair Alliance's published files (July 2025, tests/fixtures/ords), as they come:
imported whole, exported back record for record, every exported value checked against the
release's table schema, and their fixed items given a CO2e figure."""

import collections
import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q
from django.urls import reverse

from ateliers import impact, ords, selectors
from ateliers.models import Repair
from tests.ords import SAMPLES, import_file, read_csv, schema_enum, schema_fields, schema_violations

from .test_repairs import record

pytestmark = pytest.mark.django_db

# What the files hold (counted once by hand with the csv module, not by the importer).
EXPECTED = {
    "fixitclinic": {"rows": 1033, "unknown": 232, "item_too_worn_out": 11, "fixed": 413},
    "repairconnects": {"rows": 2885, "unknown": 0, "item_too_worn_out": 156, "fixed": 1592},
}


def sample_rows(name: str) -> list[dict]:
    return read_csv(SAMPLES[name].read_bytes())


@pytest.fixture
def imported(association, facilitator):
    """Both published files imported by the association (its team: the facilitator)."""
    return {
        name: import_file(facilitator, association, path.read_bytes(), path.name)
        for name, path in SAMPLES.items()
    }


def test_the_published_files_are_imported_whole(imported):
    for name, batch in imported.items():
        expected = EXPECTED[name]
        assert (batch.total_rows, batch.valid_rows, batch.rejected_rows) == (
            expected["rows"],
            expected["rows"],
            0,
        ), batch.report["errors"][:3]
        assert batch.rows == expected["rows"]
        # "Item too worn out" is not the schema's spelling: read as "Too worn out", noted.
        assert batch.noted_rows == expected["item_too_worn_out"]
        assert batch.report["notes"] == [
            [
                "obstacle « Item too worn out » lu comme « Too worn out ».",
                expected["item_too_worn_out"],
                batch.report["notes"][0][2],
            ]
        ]
        repairs = Repair.objects.filter(import_batch=batch)
        assert repairs.filter(status="Unknown").count() == expected["unknown"]
    # Provider texts as written: quotes, a 255-character category, "-" as a brand.
    brands = set(Repair.objects.values_list("brand", flat=True))
    assert {'Singer "Featherweight"', 'Andersson 42" tv', '"Princess" fruitpers', "-"} <= brands
    longest = max(Repair.objects.values_list("partner_category", flat=True), key=len)
    assert len(longest) == 255
    assert Repair.objects.get(external_id="repconn_1").year_of_manufacture is None
    assert Repair.objects.filter(year_of_manufacture=1901).exists()


def test_importing_a_published_file_then_exporting_it_gives_the_same_records(
    client, imported, association, facilitator
):
    client.force_login(facilitator)
    response = client.get(
        reverse("ateliers:repairs_export", args=[association.pk]), {"importees": "1"}
    )
    assert response.status_code == 200
    exported = {
        row["id"]: {name: ords.unneutralise(value) for name, value in row.items()}
        for row in read_csv(b"".join(response.streaming_content))
    }
    compared = equal = 0
    differences = collections.Counter()
    for name in SAMPLES:
        for original in sample_rows(name):
            again = exported.pop(original["id"])
            for column in ords.COLUMNS:
                compared += 1
                if again[column] == original[column]:
                    equal += 1
                else:
                    differences[(column, original[column], again[column])] += 1
    assert not exported  # nothing more than the two files
    # The one change: the barrier as the July 2025 schema spells it.
    assert differences == {
        ("repair_barrier_if_end_of_life", "Item too worn out", "Too worn out"): 11 + 156
    }
    assert compared == (1033 + 2885) * 14 and equal == compared - 167
    print(f"round trip: {equal:,} of {compared:,} values equal; {dict(differences)}")


def test_every_exported_value_validates_against_the_july_2025_schema(
    client, imported, association, facilitator, repair_session
):
    # The association's own repairs come out in the same file, one of them 10 years old
    # (written "10", never "1E+1").
    year = repair_session.starts_at.year - 10
    record(repair_session, facilitator, product_category_id=16, year_of_manufacture=year)
    record(
        repair_session,
        facilitator,
        product_category_id=25,
        status="End of life",
        barrier="Too worn out",
    )
    client.force_login(facilitator)
    response = client.get(
        reverse("ateliers:repairs_export", args=[association.pk]), {"importees": "1"}
    )
    rows = read_csv(b"".join(response.streaming_content))
    assert len(rows) == 1033 + 2885 + 2
    fields = schema_fields()
    assert list(fields) == list(ords.COLUMNS)
    violations = collections.Counter()
    for row in rows:
        for column, value in schema_violations(row, fields):
            violations[column] += 1
            # The only one: the providers' own ids ("fixitclinic_1690", "repconn_1") do not
            # match the schema's ^[a-z]+-[0-9]+$; they are kept, being the records' keys.
            assert column == "id" and "_" in value, (column, value)
    assert violations == {"id": 1033 + 2885}
    own = [row for row in rows if row["data_provider"] == association.name]
    assert [row["id"] for row in own] == [
        f"rt-{pk}"
        for pk in Repair.objects.filter(session=repair_session).values_list("pk", flat=True)
    ]
    assert own[0]["product_age"] == "10" and own[0]["year_of_manufacture"] == str(year)
    assert own[1]["repair_barrier_if_end_of_life"] == "Too worn out"
    assert all(schema_violations(row, fields) == [] for row in own)
    # The imported records keep their provider's country and group, not FRA and the
    # association's name.
    countries = collections.Counter(row["country"] for row in rows)
    assert countries == {"BEL": 2501, "USA": 1033, "NLD": 288, "CHE": 93, "LUX": 3, "FRA": 2}


def test_the_codes_match_the_schema():
    fields = schema_fields()
    assert schema_enum(fields["repair_status"]) == ords.RepairStatus.values
    assert schema_enum(fields["repair_barrier_if_end_of_life"]) == ords.RepairBarrier.values


def test_imported_repairs_stay_out_of_the_associations_figures(imported, association, facilitator):
    totals = selectors.repair_totals(facilitator)
    assert totals["local"]["items"] == 0
    assert totals["imported"]["items"] == 1033 + 2885
    by_status = selectors.repairs_by_status(
        organisation_ids=[association.pk],
        territory=Q(),
        start=dt.date(2018, 1, 1),
        end=dt.date(2026, 12, 31),
    )
    assert sum(by_status.values()) == 0
    everything = selectors.repairs_by_status(
        organisation_ids=[association.pk],
        territory=Q(),
        start=dt.date(2018, 1, 1),
        end=dt.date(2026, 12, 31),
        include_imported=True,
    )
    assert everything["Fixed"] == 413 + 1592
    assert everything["Unknown"] == 232


def test_the_fixed_items_of_the_published_files_get_a_co2e_figure(imported, facilitator):
    """Before: four IT categories had a footprint, most fixed items counted zero. Now every
    category but Misc has one."""
    fixed = [
        row for name in SAMPLES for row in sample_rows(name) if row["repair_status"] == "Fixed"
    ]
    assert len(fixed) == 413 + 1592
    before = impact.TABLES["restart-fixometer-2023"].footprints
    after = impact.current_table().footprints
    counted_before = sum(int(row["product_category_id"]) in before for row in fixed)
    counted_after = sum(int(row["product_category_id"]) in after for row in fixed)
    misc = sum(int(row["product_category_id"]) == ords.MISC for row in fixed)
    assert counted_after == len(fixed) - misc
    print(
        f"CO2e coverage of the fixed items: before {counted_before}/{len(fixed)} "
        f"({counted_before / len(fixed):.1%}), after {counted_after}/{len(fixed)} "
        f"({counted_after / len(fixed):.1%}); Misc without weight: {misc}"
    )
    assert counted_before / len(fixed) < 0.1 < 0.9 < counted_after / len(fixed)
    # The database and the Python twin agree on the whole set.
    totals = selectors.repair_totals(facilitator)["imported"]
    expected = sum(
        impact.averted(row["repair_status"], int(row["product_category_id"]), None) for row in fixed
    )
    # (SQLite sums decimals as floating point: a few thousandths of a kilo apart.)
    assert abs(totals["averted_kg"] - expected) < Decimal("0.01")
    assert expected > Decimal("50000")
    assert totals["uncounted"] == misc
