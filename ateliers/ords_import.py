"""Importing another repair café's ORDS file: a preview, then its valid rows or none.

1. ``preview`` reads the uploaded file row by row (``ords_csv``), writes nothing to the
   repairs, and records on a ``RepairImport`` how many rows are valid, how many are already
   held (same data provider and id, or one of the organisation's own exported repairs), the
   first reasons of rejection and the notes grouped by kind. The valid rows, as read, are
   staged (``valid_file``, JSON lines); the rejected rows go into a CSV of their own
   (``rejected_file``), in the provider's columns plus « Erreur », to be fixed and imported
   again.
2. ``import_valid_rows`` inserts every staged row not already held, in one transaction: all
   of them, or none (a refusal, a database error). What is imported is what the preview
   showed, read once. An organisation's imports run one at a time (its row is locked), and
   the unique constraint on (organisation, data provider, id) refuses whole any import
   that would still hold a record twice.

Memory stays flat: rows are read one at a time and looked up in chunks of ``CHUNK_ROWS``
(one query per chunk, and none for a provider the organisation holds nothing from); only a
64-bit digest of each (data provider, id) pair is kept, to find the duplicates inside the
file.
"""

import csv
import hashlib
import io
import itertools
import json
import tempfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.errors import Changed, InvalidInput, NotFound, Refused

from . import ords_csv
from .models import Repair, RepairImport, RepairImportStatus
from .ords_csv import OrdsFileError, OrdsReader, ParsedRow, RawRow

MAX_ROWS = 100_000
CHUNK_ROWS = 2_000
# What the preview keeps for the page; the rejected rows file has them all.
SHOWN_ERRORS = 200
NOTE_KINDS = 50
NOTE_LINES = 5
STALE_PREVIEW_HOURS = 24


def start(*, organisation, actor, filename: str) -> RepairImport:
    return RepairImport.objects.create(
        organisation=organisation,
        filename=(filename or "ords.csv").replace("\x00", "")[-200:],
        status=RepairImportStatus.PREVIEWED,
        imported_by=actor,
        previewed_at=timezone.now(),
    )


def discard(batch: RepairImport) -> None:
    """Forget a preview: its files and its row."""
    for stored in (batch.valid_file, batch.rejected_file):
        if stored:
            stored.delete(save=False)
    batch.delete()


def discard_stale_previews(organisation) -> None:
    cutoff = timezone.now() - timezone.timedelta(hours=STALE_PREVIEW_HOURS)
    for batch in RepairImport.objects.filter(
        organisation=organisation, status=RepairImportStatus.PREVIEWED, previewed_at__lt=cutoff
    ):
        discard(batch)


class _Held:
    """Which records the organisation already holds: imported before (same data provider
    and id), or its own repairs coming back in a file it exported."""

    def __init__(self, organisation):
        self.organisation = organisation
        # Providers of which the organisation holds no record yet: no lookup for their rows.
        self.unheld_providers: set[str] = set()

    def __call__(self, records: list[dict]) -> set[tuple[str, str]]:
        """Keys of the given records already held. One query per data provider at most."""
        organisation = self.organisation
        by_provider: dict[str, list[str]] = {}
        for record in records:
            by_provider.setdefault(record["data_provider"], []).append(record["external_id"])
        held = set()
        for provider, ids in by_provider.items():
            if provider in self.unheld_providers:
                continue
            imported = Repair.objects.filter(
                organisation=organisation, import_batch__isnull=False, data_provider=provider
            )
            if not imported.exists():
                self.unheld_providers.add(provider)
                continue
            held.update(
                (provider, external_id)
                for external_id in imported.filter(external_id__in=ids).values_list(
                    "external_id", flat=True
                )
            )
        own = {
            pk: external_id
            for external_id in by_provider.get(organisation.name, [])
            if (pk := ords_csv.own_repair_pk(external_id, organisation)) is not None
        }
        if own:
            held.update(
                (organisation.name, own[pk])
                for pk in Repair.objects.filter(
                    organisation=organisation, session__isnull=False, pk__in=list(own)
                ).values_list("pk", flat=True)
            )
        return held


class _Rows:
    """The rows of an uploaded file, checked, with whether each valid one is already held."""

    def __init__(self, batch: RepairImport, handle):
        self.reader = OrdsReader(handle)
        self.width = len(self.reader.header)
        self.today = timezone.localdate()
        # First line of each (data provider, id), by a 64-bit digest of the pair: a tenth of
        # the memory of the texts (a false duplicate needs a digest collision, about one
        # chance in 10^9 for a file of 100,000 rows).
        self.seen: dict[int, int] = {}
        self.held = _Held(batch.organisation)

    def __iter__(self) -> Iterator[tuple[RawRow, ParsedRow, bool]]:
        chunk: list[tuple[RawRow, ParsedRow]] = []
        for count, raw in enumerate(self.reader, start=1):
            if count > MAX_ROWS:
                raise OrdsFileError(
                    _("Fichier trop long : %(max)s lignes au plus par import.")
                    % {"max": f"{MAX_ROWS:,}".replace(",", "\u202f")},
                    code="ords_too_long",
                )
            parsed = ords_csv.parse_row(raw, self.reader.index, self.width, self.today)
            if parsed.record is not None:
                first = self.seen.setdefault(
                    _key_digest(parsed.record["data_provider"], parsed.external_id), raw.line
                )
                if first != raw.line:
                    parsed.record = None
                    parsed.errors.append(
                        _("identifiant « %(id)s » déjà présent ligne %(first)d.")
                        % {"id": parsed.external_id, "first": first}
                    )
            chunk.append((raw, parsed))
            if len(chunk) >= CHUNK_ROWS:
                yield from self._with_presence(chunk)
                chunk = []
        yield from self._with_presence(chunk)

    def _with_presence(self, chunk):
        held = self.held([parsed.record for _raw, parsed in chunk if parsed.record is not None])
        for raw, parsed in chunk:
            record = parsed.record
            yield (
                raw,
                parsed,
                record is not None and ((record["data_provider"], record["external_id"]) in held),
            )


def _key_digest(provider: str, external_id: str) -> int:
    pair = f"{provider}\x1f{external_id}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(pair, digest_size=8).digest(), "little")


def _line_text(line: int, reasons: list[str]) -> str:
    return _("Ligne %(line)d : ") % {"line": line} + " ".join(reasons)


def preview(batch: RepairImport, handle) -> RepairImport:
    """Check every row of the uploaded file (a binary file object); stage the valid rows and
    write the rejected ones apart. No repair is written. Raises ``OrdsFileError`` (and
    forgets the preview) when the file as a whole cannot be read as ORDS."""
    try:
        rows = _Rows(batch, handle)
        reader = rows.reader
        with tempfile.TemporaryFile() as rejected_spool, tempfile.TemporaryFile() as valid_spool:
            rejected = io.TextIOWrapper(
                rejected_spool, encoding=reader.encoding, errors="replace", newline=""
            )
            writer = csv.writer(rejected, delimiter=reader.delimiter, lineterminator="\r\n")
            writer.writerow(
                [ords_csv.neutralise(name) for name in reader.header] + [ords_csv.ERROR_COLUMN]
            )
            valid = io.TextIOWrapper(valid_spool, encoding="utf-8", newline="\n")
            counts = {"total": 0, "valid": 0, "rejected": 0, "held": 0, "noted": 0}
            errors: list[list] = []
            notes: dict[str, list] = {}
            for raw, parsed, held in rows:
                counts["total"] += 1
                if parsed.record is not None and parsed.notes:
                    counts["noted"] += 1
                    _group_notes(notes, parsed)
                if parsed.record is None:
                    counts["rejected"] += 1
                    writer.writerow(
                        ords_csv.rejected_row(raw, rows.width, _line_text(raw.line, parsed.errors))
                    )
                    if len(errors) < SHOWN_ERRORS:
                        errors.append([raw.line, parsed.external_id, " ".join(parsed.errors)])
                    continue
                counts["valid"] += 1
                counts["held"] += held
                valid.write(_staged_line(parsed.record))
            if counts["total"] == 0:
                raise OrdsFileError(
                    _("Le fichier ne contient aucune réparation : seulement l'en-tête."),
                    code="ords_empty",
                )
            for text, spool, stored, name, rows_written in (
                (rejected, rejected_spool, batch.rejected_file, "rejetees.csv", "rejected"),
                (valid, valid_spool, batch.valid_file, "valides.jsonl", "valid"),
            ):
                text.flush()
                text.detach()
                if counts[rows_written]:
                    spool.seek(0)
                    stored.save(name, File(spool), save=False)
    except OrdsFileError:
        discard(batch)
        raise
    batch.encoding = reader.encoding
    batch.delimiter = reader.delimiter
    batch.total_rows = counts["total"]
    batch.valid_rows = counts["valid"]
    batch.rejected_rows = counts["rejected"]
    batch.noted_rows = counts["noted"]
    batch.skipped = counts["held"]
    batch.report = {
        "errors": errors,
        "notes": sorted(notes.values(), key=lambda note: -note[1]),
        "ignored_columns": reader.ignored_columns,
    }
    batch.save()
    return batch


# The staged valid rows: one JSON list per line, in this order (dates and ages as text).
STAGED_FIELDS = (
    "external_id",
    "data_provider",
    "country",
    "partner_category",
    "product_category_id",
    "product_category_name",
    "brand",
    "year_of_manufacture",
    "product_age",
    "status",
    "barrier",
    "group_identifier",
    "event_date",
    "problem",
    "import_note",
)
_AGE = STAGED_FIELDS.index("product_age")
_DATE = STAGED_FIELDS.index("event_date")


def _staged_line(record: dict) -> str:
    values = [record[name] for name in STAGED_FIELDS]
    values[_AGE] = None if values[_AGE] is None else str(values[_AGE])
    values[_DATE] = values[_DATE].isoformat()
    return json.dumps(values, ensure_ascii=False) + "\n"


def _staged_records(handle) -> Iterator[dict]:
    for line in io.TextIOWrapper(handle, encoding="utf-8", newline="\n"):
        values = json.loads(line)
        if values[_AGE] is not None:
            values[_AGE] = Decimal(values[_AGE])
        values[_DATE] = date.fromisoformat(values[_DATE])
        yield dict(zip(STAGED_FIELDS, values, strict=True))


def _group_notes(notes: dict, parsed: ParsedRow) -> None:
    for kind, text in parsed.notes:
        note = notes.get(kind)
        if note is None:
            if len(notes) >= NOTE_KINDS:
                continue
            note = notes[kind] = [text, 0, []]
        note[1] += 1
        if len(note[2]) < NOTE_LINES:
            note[2].append(parsed.line)


class _RepairInsert:
    """INSERT of imported records, a chunk of rows at a time (executemany on SQLite, COPY on
    PostgreSQL): what ``bulk_create`` writes, without a model instance and the ORM's
    preparation of every value for each of tens of thousands of rows. The database still
    checks every constraint."""

    # The record's fields (ords_csv.parse_row), then those every row of a batch shares.
    FIELDS = STAGED_FIELDS
    SHARED = (
        "organisation",
        "import_batch",
        "recorded_by",
        "recorded_at",
        "parts_used",
        "session",
        "device",
        "weight_kg",
        "minutes_spent",
    )

    def __init__(self, batch: RepairImport, actor):
        self.connection = transaction.get_connection()
        meta = Repair._meta
        quote = self.connection.ops.quote_name
        fields = [meta.get_field(name) for name in self.FIELDS + self.SHARED]
        columns = ", ".join(quote(field.column) for field in fields)
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(meta.db_table), columns, ", ".join(["%s"] * len(fields))
        )
        self.copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        self.age = meta.get_field("product_age")
        self.date = meta.get_field("event_date")
        self.ages: dict = {}
        self.dates: dict = {}
        recorded_at = meta.get_field("recorded_at").get_db_prep_save(
            timezone.now(), self.connection
        )
        self.shared = (batch.organisation_id, batch.pk, actor.pk, recorded_at, "")
        self.shared += (None,) * (len(self.SHARED) - len(self.shared))

    def __call__(self, records: list[dict]) -> int:
        if not records:
            return 0
        connection, age, date = self.connection, self.age, self.date
        # A file repeats its dates and ages: each distinct value is adapted once.
        ages, dates = self.ages, self.dates
        rows = []
        for record in records:
            row = [record[name] for name in self.FIELDS]
            value = row[_AGE]
            if value not in ages:
                ages[value] = age.get_db_prep_save(value, connection)
            row[_AGE] = ages[value]
            value = row[_DATE]
            if value not in dates:
                dates[value] = date.get_db_prep_save(value, connection)
            row[_DATE] = dates[value]
            rows.append((*row, *self.shared))
        if connection.vendor == "postgresql":
            # COPY: one stream for the chunk, where executemany pays a round trip per row.
            with (
                connection.cursor() as cursor,
                connection.wrap_database_errors,
                cursor.cursor.copy(self.copy_sql) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, rows)
        return len(rows)


_NOTHING_TO_IMPORT = _lazy("Aucune ligne à importer : toutes sont déjà présentes ou en erreur.")


def import_valid_rows(batch_pk: int, *, actor, organisation_ids) -> RepairImport:
    """Insert every valid row of a previewed file not already held: all of them or none."""
    try:
        with transaction.atomic():
            # The organisation's row is locked too: its imports run one at a time, so the
            # second of two overlapping files sees the first one's rows as already held.
            batch = (
                RepairImport.objects.select_for_update(of=("self", "organisation"))
                .select_related("organisation")
                .filter(pk=batch_pk, organisation_id__in=organisation_ids)
                .first()
            )
            if batch is None:
                raise NotFound(
                    _("Cet aperçu n'existe plus : déposez le fichier à nouveau."),
                    code="ords_preview_gone",
                )
            if batch.status != RepairImportStatus.PREVIEWED:
                raise Refused(
                    _("Ce fichier a déjà été importé : rien n'a été ajouté."),
                    code="ords_already_imported",
                )
            if batch.importable_rows == 0:
                raise Refused(_NOTHING_TO_IMPORT, code="ords_nothing_to_import")
            if not batch.valid_file:
                raise Refused(
                    _("Le fichier de cet aperçu n'est plus là : déposez-le à nouveau."),
                    code="ords_preview_gone",
                )
            imported = skipped = 0
            staged_name = batch.valid_file.name
            insert = _RepairInsert(batch, actor)
            held = _Held(batch.organisation)
            with batch.valid_file.open("rb") as handle:
                records = _staged_records(handle)
                while chunk := list(itertools.islice(records, CHUNK_ROWS)):
                    keys = held(chunk)
                    fresh = [
                        record
                        for record in chunk
                        if (record["data_provider"], record["external_id"]) not in keys
                    ]
                    skipped += len(chunk) - len(fresh)
                    imported += insert(fresh)
            if imported == 0:
                raise Refused(_NOTHING_TO_IMPORT, code="ords_nothing_to_import")
            batch.rows = imported
            batch.skipped = skipped
            batch.status = RepairImportStatus.IMPORTED
            batch.imported_at = timezone.now()
            batch.imported_by = actor
            batch.valid_file = ""
            batch.save()
            storage = RepairImport._meta.get_field("valid_file").storage
            transaction.on_commit(lambda: storage.delete(staged_name))
    except IntegrityError:
        raise Changed(
            _(
                "Un autre import vient d'ajouter certaines de ces réparations : rien n'a été "
                "importé. Relancez l'import."
            ),
            code="ords_import_conflict",
        ) from None
    except (ValueError, KeyError, InvalidOperation):  # the staged rows were damaged
        raise InvalidInput(
            _("Les lignes de cet aperçu sont illisibles : déposez le fichier à nouveau."),
            code="ords_preview_damaged",
        ) from None
    return batch
