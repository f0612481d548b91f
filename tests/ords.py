"""Helpers of the ORDS tests: the real files of tests/fixtures/ords, an upload, an import
through the two steps a person takes (preview, then « Importer les N lignes valides »)."""

import csv
import io
import json
import re
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from ateliers import services

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ords"
SAMPLES = {
    "fixitclinic": FIXTURES / "OpenRepairData_v0.3_FixitClinic_202507.csv",
    "repairconnects": FIXTURES / "OpenRepairData_v0.3_RepairConnects_202507.csv",
}
SCHEMA = FIXTURES / "tableschema-202507.json"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def import_file(actor, organisation, content: bytes, name: str = "ords.csv"):
    """Preview then import the valid rows; returns the RepairImport."""
    batch = services.repairs_import_preview(
        actor=actor, organisation=organisation, upload=upload(name, content)
    )
    return services.repairs_import_confirm(actor=actor, batch_pk=batch.pk)


def read_csv(content: bytes | str) -> list[dict]:
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --- the July 2025 table schema, as a validator --------------------------------------------


def schema_fields() -> dict[str, dict]:
    schema = json.loads(SCHEMA.read_text())
    return {field["name"]: field for field in schema["resources"][0]["schema"]["fields"]}


def schema_enum(field: dict) -> list[str] | None:
    """The schema writes its enums as one string, "[Fixed, Repairable, …]"."""
    enum = field.get("constraints", {}).get("enum")
    if enum is None:
        return None
    if isinstance(enum, list):
        return enum
    return [value.strip() for value in enum.strip("[]").split(",")]


def schema_violations(row: dict, fields: dict[str, dict]) -> list[tuple[str, str]]:
    """(column, value) pairs of a CSV row that the schema does not allow: type, pattern,
    enum; a value among the field's missingValues (default [""]) is allowed."""
    violations = []
    for name, field in fields.items():
        value = row[name]
        if value in field.get("missingValues", [""]):
            continue
        constraints = field.get("constraints", {})
        pattern = constraints.get("pattern")
        if pattern and not re.fullmatch(pattern, value):
            violations.append((name, value))
            continue
        enum = schema_enum(field)
        if enum is not None and value not in enum:
            violations.append((name, value))
            continue
        kind = field["type"]
        if kind == "integer" and not re.fullmatch(r"[+-]?\d+", value):
            violations.append((name, value))
        elif kind == "number" and not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value):
            # Frictionless numbers: plain decimals (no exponent written by us, no comma).
            violations.append((name, value))
        elif kind == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            violations.append((name, value))
    return violations
