"""Full-text search of the pool: every word of a device's specifications, storage media,
remarks and reports, whatever its position, accents and case.

Each device carries a search document (``Device.search_document``): the words of its brand,
model, serial, processor, system, remarks, of its storage media (maker, model, serial), of its
functional tests (system installed, parts replaced, remarks) and of its hardware reports,
folded here in Python (lower case, accents removed, one space between words) so that the two
databases index exactly the same words and need no extension (PostgreSQL's ``unaccent`` is
not required, hence no superuser). The services that change any of these rows rewrite the
document in the same transaction (``refresh_search_document``).

The databases index the document themselves (migration ``parc/0014``):

- PostgreSQL: a stored generated column ``search_vector``, the document's words as its
  lexemes (``array_to_tsvector``, no positions: neither ranking nor phrases are asked for),
  with a GIN index; a word typed is matched as a prefix (``'word':*``, a ``tsquery`` read
  as written). PostgreSQL's own text parser (``to_tsvector``, until migration
  ``parc/0021``) cut some words in two where SQLite does not (« 45e5wkl », a serial, into
  the number « 45e5 » and « wkl »), and cost three times as much per document.
- SQLite: an FTS5 table ``parc_device_fts`` over the document (external content: the text
  stays in ``parc_device``), kept in step by triggers; prefix queries ``"word"*``.

Neither structure is a model field: the selectors reach them through ``FullTextMatch``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from django.db.models import Lookup

# A word: letters and digits only (an underscore, a dash or a dot separates words), so that
# PostgreSQL's parser and SQLite's unicode61 tokenizer cut the document at the same places.
WORD = re.compile(r"[^\W_]+")
# A document is capped: a long hardware report adds little once its words are in.
MAX_DOCUMENT_LENGTH = 4000
# Words of a query taken into account (each one must match), and their shortest length.
MAX_QUERY_WORDS = 8
MIN_QUERY_WORD = 2
SQLITE_TABLE = "parc_device_fts"


# Brands, models, processors and systems come back on every device of a bulk registration
# (and of the benchmark's pool): their folding is remembered.
@functools.lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower case without accents: « Écran fêlé » → « ecran fele »."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def words(text: str) -> list[str]:
    return WORD.findall(fold(text or ""))


def compact(identifier: str) -> str:
    """A serial number as one word (« SN-00 12 » → « sn0012 »), as people type it."""
    return "".join(words(identifier))


def document(texts: Iterable[str], identifiers: Iterable[str] = ()) -> str:
    """The search document of these texts: each word once, in order of appearance, and the
    identifiers (serial numbers) also written as one word."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in words(text):
            seen.setdefault(word, None)
    for identifier in identifiers:
        joined = compact(identifier)
        if joined:
            seen.setdefault(joined, None)
    result = " ".join(seen)
    if len(result) > MAX_DOCUMENT_LENGTH:
        result = result[:MAX_DOCUMENT_LENGTH].rsplit(" ", 1)[0]
    return result


def device_document(
    device: dict,
    media: Iterable[dict] = (),
    tests: Iterable[dict] = (),
    reports: Iterable[str] = (),
) -> str:
    """The document of a device from plain values (a migration, the bulk registration and
    the benchmark's pool call it without model instances).

    ``device``: brand, model, serial, cpu, os, notes, asset_tag (the donor's inventory
    number); ``media``: manufacturer, model,
    serial; ``tests`` (functional tests): os_installed, parts_replaced, notes; ``reports``:
    the text of its hardware reports."""
    media = list(media)
    texts = [device.get(name) or "" for name in DEVICE_TEXT_FIELDS]
    for medium in media:
        texts += [medium.get("manufacturer") or "", medium.get("model") or ""]
        texts.append(medium.get("serial") or "")
    for test in tests:
        texts += [test.get(name) or "" for name in ("os_installed", "parts_replaced", "notes")]
    texts += list(reports)
    identifiers = [device.get("serial") or "", device.get("asset_tag") or ""]
    identifiers += [m.get("serial") or "" for m in media]
    return document(texts, identifiers)


# --- the document of a stored device ------------------------------------------------------------

DEVICE_TEXT_FIELDS = ("brand", "model", "serial", "cpu", "os", "notes", "asset_tag")
MEDIUM_TEXT_FIELDS = ("manufacturer", "model", "serial")
TEST_TEXT_FIELDS = ("os_installed", "parts_replaced", "notes")
# The device event that carries a hardware report's own words (parc.evidence.services).
HARDWARE_REPORT_ACTION = "hardware_report"


def hardware_report_text(report) -> str:
    """What a hardware report says of the machine beyond the fields it fills (which keep
    the device's own values when it had some): kept in its event's data for the search."""
    parts = [report.brand, report.model, report.serial, report.cpu, report.chassis]
    parts += [f"{m.manufacturer} {m.model} {m.serial}" for m in report.media]
    return " ".join(str(part) for part in parts if part)


def stored_device_document(device_id: int) -> str:
    """The document of a device from its rows: four small queries by the device's id."""
    from .models import Device, DeviceEvent, RefurbishmentRecord, StorageMedium

    device = Device.objects.filter(pk=device_id).values(*DEVICE_TEXT_FIELDS).first()
    if device is None:
        return ""
    media = StorageMedium.objects.filter(device_id=device_id).order_by("id")
    tests = RefurbishmentRecord.objects.filter(device_id=device_id).order_by("id")
    reports = DeviceEvent.objects.filter(device_id=device_id, action=HARDWARE_REPORT_ACTION)
    return device_document(
        device,
        media.values(*MEDIUM_TEXT_FIELDS),
        tests.values(*TEST_TEXT_FIELDS),
        [data.get("text", "") for data in reports.order_by("id").values_list("data", flat=True)],
    )


def refresh_search_document(device_id: int) -> str:
    """Rewrite the device's search document from its rows (called by the services that
    change them, inside their transaction). Writes only if it changed."""
    from .models import Device

    text = stored_device_document(device_id)
    Device.objects.filter(pk=device_id).exclude(search_document=text).update(search_document=text)
    return text


def add_search_words(device, texts: Iterable[str], identifiers: Iterable[str] = ()) -> None:
    """Add words to the search document of a device loaded by the caller (a medium added, a
    functional test recorded): one UPDATE, none if nothing is new. Words are only added here
    (what a device once had stays findable); ``refresh_search_document`` rebuilds it all."""
    from .models import Device

    text = document([device.search_document, *texts], identifiers)
    if text != device.search_document:
        Device.objects.filter(pk=device.pk).update(search_document=text)
        device.search_document = text


# --- matching -----------------------------------------------------------------------------------


def query_words(text: str) -> list[str]:
    """The words of what a user typed, folded like the documents, each once; a single
    letter or digit is no word to search by (as a prefix, it matches a good part of the
    pool)."""
    found = [word for word in words(text) if len(word) >= MIN_QUERY_WORD]
    return list(dict.fromkeys(found))[:MAX_QUERY_WORDS]


def postgres_query(query: list[str]) -> str:
    """``tsquery`` text: every word as a prefix (words are letters and digits only, so
    nothing needs quoting inside the quotes)."""
    return " & ".join(f"'{word}':*" for word in query)


def sqlite_query(query: list[str]) -> str:
    """FTS5 MATCH text: every word as a quoted prefix."""
    return " AND ".join(f'"{word}"*' for word in query)


class FullTextMatch(Lookup):
    """``FullTextMatch(F("id"), words)``: the device's search document holds every word (as
    a word prefix). Written on the primary key so the table's alias comes with the column:
    PostgreSQL reads the GIN-indexed ``search_vector`` of the same row, SQLite asks its FTS5
    table for the matching row ids."""

    lookup_name = "full_text"
    prepare_rhs = False
    # False: the same test written so that PostgreSQL cannot answer it from the GIN index
    # (the function behind ``@@``), for a walk of the newest devices (parc.selectors).
    indexed = True

    def as_sql(self, compiler, connection):
        raise NotImplementedError(f"full-text search is not set up for {connection.vendor}")

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        table = lhs.rsplit(".", 1)[0]
        # Read as written (the words are already folded): no parser cuts them otherwise
        # than the document's.
        query = "%s::tsquery"
        if self.indexed:
            sql = f"{table}.search_vector @@ {query}"
        else:
            sql = f"ts_match_vq({table}.search_vector, {query})"
        return sql, [*params, postgres_query(self.rhs)]


class FullTextMatchByWalk(FullTextMatch):
    """``FullTextMatch`` tested row by row (PostgreSQL; the same as FullTextMatch elsewhere)."""

    indexed = False

    def as_sqlite(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        sql, match = sqlite_matching_ids(self.rhs)
        return f"{lhs} IN ({sql})", [*params, match]


def sqlite_matching_ids(query: list[str]) -> tuple[str, str]:
    """The SQL listing the ids of the devices matching every word (SQLite), and its one
    parameter."""
    return f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s", sqlite_query(query)


# --- the databases' own structures (migration 0014; re-checked after every migrate) -----------

# The document's words, one lexeme each (the document has one space between words; an empty
# string is no lexeme).
POSTGRES_VECTOR = "array_to_tsvector(array_remove(string_to_array(search_document, ' '), ''))"
POSTGRES_FORWARD = f"""
ALTER TABLE parc_device ADD COLUMN IF NOT EXISTS search_vector tsvector
    GENERATED ALWAYS AS ({POSTGRES_VECTOR}) STORED;
CREATE INDEX IF NOT EXISTS device_search_vector ON parc_device USING gin (search_vector);
"""
# The column's expression as PostgreSQL prints it back, before parc/0021.
POSTGRES_PARSED_VECTOR = "to_tsvector('simple'"
POSTGRES_BACKWARD = """
DROP INDEX IF EXISTS device_search_vector;
ALTER TABLE parc_device DROP COLUMN IF EXISTS search_vector;
"""

SQLITE_TABLE_SQL = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_TABLE} USING fts5(
    search_document, content='parc_device', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2', prefix='2 3'
)
"""
SQLITE_TRIGGERS = {
    "parc_device_fts_insert": f"""
CREATE TRIGGER IF NOT EXISTS parc_device_fts_insert AFTER INSERT ON parc_device BEGIN
    INSERT INTO {SQLITE_TABLE}(rowid, search_document) VALUES (new.id, new.search_document);
END""",
    "parc_device_fts_delete": f"""
CREATE TRIGGER IF NOT EXISTS parc_device_fts_delete AFTER DELETE ON parc_device BEGIN
    INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, search_document)
        VALUES ('delete', old.id, old.search_document);
END""",
    "parc_device_fts_update": f"""
CREATE TRIGGER IF NOT EXISTS parc_device_fts_update AFTER UPDATE OF search_document
ON parc_device WHEN old.search_document IS NOT new.search_document BEGIN
    INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, search_document)
        VALUES ('delete', old.id, old.search_document);
    INSERT INTO {SQLITE_TABLE}(rowid, search_document) VALUES (new.id, new.search_document);
END""",
}
SQLITE_REBUILD = f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}) VALUES ('rebuild')"
SQLITE_BACKWARD = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS] + [
    f"DROP TABLE IF EXISTS {SQLITE_TABLE}"
]


def install_full_text(connection) -> bool:
    """Create what the database needs for full-text search if anything is missing; True if
    something was created. On SQLite, Django rebuilds a table to alter it (and its triggers
    go with the old table): after such a migration this puts the triggers back and rebuilds
    the index from the documents."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = {
                column.name
                for column in connection.introspection.get_table_description(cursor, "parc_device")
            }
            if "search_vector" in columns:
                cursor.execute(
                    "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d "
                    "JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
                    "WHERE d.adrelid = 'parc_device'::regclass AND a.attname = 'search_vector'"
                )
                row = cursor.fetchone()
                if not row or POSTGRES_PARSED_VECTOR not in row[0]:
                    return False
                # The parsed vector of before parc/0021: the column (and its index) rewritten.
                cursor.execute(POSTGRES_BACKWARD)
            cursor.execute(POSTGRES_FORWARD)
            return True
        if connection.vendor != "sqlite":
            return False
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'parc_device'"
        )
        present = {row[0] for row in cursor.fetchall()}
        tables = connection.introspection.table_names(cursor)
        if SQLITE_TABLE in tables and present >= set(SQLITE_TRIGGERS):
            return False
        cursor.execute(SQLITE_TABLE_SQL)
        for sql in SQLITE_TRIGGERS.values():
            cursor.execute(sql)
        cursor.execute(SQLITE_REBUILD)
        return True
