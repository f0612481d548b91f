"""Registering devices by the hundred: the bulk twin of ``services.device_register``, for the
import of a donor's list (``intake``) and any caller that receives devices in numbers.
Re-exported as ``parc.services.devices_register_bulk``.

The same invariants as one registration: a free random public code per device, its storage
media, one ``register`` event each, in the caller's transaction (all rows or none). Rows go to
the database as plain multi-row INSERTs (``raw_insert``): at this size, building a model
instance per row and letting the ORM prepare every value costs most of the time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput

from . import events
from .codes import generate_code
from .models import Device, DeviceEvent, DeviceKind, MediaType, State, StockLocation, StorageMedium
from .search import DEVICE_TEXT_FIELDS, MEDIUM_TEXT_FIELDS, device_document

# Devices written per round of statements (and per savepoint, retried on a taken code).
CHUNK = 500


@dataclass(frozen=True)
class MediumRow:
    """A storage medium of a device being registered."""

    media_type: str
    capacity_gb: int | None = None
    manufacturer: str = ""
    model: str = ""
    serial: str = ""
    # The disk's SMART verdict when a report gave it (SmartStatus values), else "".
    smart_status: str = ""


@dataclass(frozen=True)
class DeviceRow:
    """One device to register, its storage media, and what its ``register`` event says."""

    kind: str
    brand: str = ""
    model: str = ""
    serial: str = ""
    cpu: str = ""
    ram_gb: Decimal | None = None
    os: str = ""
    # What a donor's list says (intake): the serial as written when it differs from
    # ``serial``, the donor's inventory number, weight and purchase date.
    serial_raw: str = ""
    asset_tag: str = ""
    weight_kg: Decimal | None = None
    purchase_date: date | str | None = None
    notes: str = ""
    received_without_storage: bool = False
    location_id: int | None = None
    media: tuple[MediumRow, ...] = ()
    # A code the user has already seen (the import's preview): kept while it is free, drawn
    # again otherwise; drawn here when empty.
    public_code: str = ""
    event_note: str = ""
    event_data: dict = field(default_factory=dict)


def devices_register_bulk(
    *, owner, actor, donation=None, rows: Sequence[DeviceRow]
) -> list[tuple[int, str]]:
    """Register ``rows`` as devices of ``owner`` received with ``donation``: (id, public code)
    of each new device, in the order of ``rows``. All or none."""
    from .services import check_donation_accepts, check_register_access

    check_register_access(actor, owner)
    _check_rows(owner, rows)
    donation_id = donation.pk if donation is not None else None
    registered: list[tuple[int, str]] = []
    with transaction.atomic():
        if donation is not None:
            # The donation's state as it is now, inside the transaction that registers.
            donation.refresh_from_db(fields=["state"])
        check_donation_accepts(donation, owner)
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            registered += _register_chunk(owner.pk, actor.pk, donation_id, chunk)
    return registered


TEXT_LENGTHS = {
    name: Device._meta.get_field(name).max_length
    for name in ("brand", "model", "serial", "cpu", "os", "serial_raw", "asset_tag")
}


def _check_rows(owner, rows: Sequence[DeviceRow]) -> None:
    """What the database would refuse (or SQLite silently keep), as a French message."""
    kinds = set(DeviceKind.values)
    media_types = set(MediaType.values)
    for number, row in enumerate(rows, start=1):
        if row.kind not in kinds:
            raise InvalidInput(
                _("Appareil %(n)s : type d'appareil inconnu « %(kind)s ».")
                % {"n": number, "kind": row.kind},
                code="unknown_kind",
            )
        for name, limit in TEXT_LENGTHS.items():
            if len(getattr(row, name)) > limit:
                raise InvalidInput(
                    _("Appareil %(n)s : %(field)s trop long (%(limit)s caractères au plus).")
                    % {
                        "n": number,
                        "field": Device._meta.get_field(name).verbose_name,
                        "limit": limit,
                    },
                    code="too_long",
                )
        if row.weight_kg is not None and not (0 <= row.weight_kg < 10_000):
            raise InvalidInput(
                _("Appareil %(n)s : poids hors limites.") % {"n": number}, code="bad_weight"
            )
        if row.media and row.received_without_storage:
            raise InvalidInput(
                _(
                    "Appareil %(n)s : un appareil reçu sans support de stockage ne peut pas "
                    "en avoir un."
                )
                % {"n": number},
                code="storage_contradiction",
            )
        if any(medium.media_type not in media_types for medium in row.media):
            raise InvalidInput(
                _("Appareil %(n)s : type de support de stockage inconnu.") % {"n": number},
                code="unknown_media_type",
            )
    locations = {row.location_id for row in rows if row.location_id is not None}
    if locations and len(locations) != (
        StockLocation.objects.filter(pk__in=locations, organisation_id=owner.pk).count()
    ):
        raise InvalidInput(
            _("Cet emplacement appartient à une autre organisation."), code="foreign_location"
        )


def _register_chunk(
    owner_id: int, actor_id: int, donation_id: int | None, chunk: Sequence[DeviceRow]
) -> list[tuple[int, str]]:
    # Codes given by the caller were free when drawn; one taken since (a one-in-a-million
    # chance per chunk) fails the insert on the unique index, and only then is the pool asked.
    codes = _free_codes([row.public_code for row in chunk], in_pool=False)
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _insert_chunk(owner_id, actor_id, donation_id, chunk, codes)
        except IntegrityError as error:
            if attempt == 2:
                raise
            refusal = str(error)
        # A public code taken since it was drawn (or by a concurrent registration): draw
        # again, once the error (and the failed chunk's rows its traceback holds) is let go.
        fresh = _free_codes(codes)
        if fresh == codes:
            raise IntegrityError(refusal)
        codes = fresh
    raise AssertionError("unreachable")


def _free_codes(codes: list[str], *, in_pool: bool = True) -> list[str]:
    """The codes with a fresh one wherever a code is missing, repeated in the list or
    (``in_pool``) taken by a device."""
    taken = (
        set(Device.objects.filter(public_code__in=codes).values_list("public_code", flat=True))
        if in_pool
        else set()
    )
    seen: set[str] = set()
    fresh = []
    for code in codes:
        while not code or code in taken or code in seen:
            code = generate_code()
        seen.add(code)
        fresh.append(code)
    return fresh


DEVICE_FIELDS = [
    "public_code",
    "kind",
    "brand",
    "model",
    "serial",
    "cpu",
    "ram_gb",
    "os",
    "serial_raw",
    "asset_tag",
    "weight_kg",
    "purchase_date",
    "grade",
    "owner",
    "location",
    "donation",
    "received_without_storage",
    "notes",
    "search_document",
    "state",
    "cycle",
    "state_changed_at",
    "last_seen_at",
    "created_at",
]
MEDIUM_FIELDS = [
    "device",
    "media_type",
    "manufacturer",
    "model",
    "serial",
    "capacity_gb",
    "smart_status",
]


def _document(row: DeviceRow) -> str:
    """The row's search document, as ``parc.search.refresh_search_document`` would write it."""
    return device_document(
        {name: getattr(row, name) for name in DEVICE_TEXT_FIELDS},
        [{name: getattr(medium, name) for name in MEDIUM_TEXT_FIELDS} for medium in row.media],
    )


def _insert_chunk(
    owner_id: int,
    actor_id: int,
    donation_id: int | None,
    chunk: Sequence[DeviceRow],
    codes: list[str],
) -> list[tuple[int, str]]:
    now = timezone.now()
    # The devices as plain rows (what bulk_create would write for Device(...) with these
    # values and the fields' defaults), their ids returned with their unique public codes.
    devices = [
        (
            code,
            row.kind,
            row.brand,
            row.model,
            row.serial,
            row.cpu,
            row.ram_gb,
            row.os,
            row.serial_raw,
            row.asset_tag,
            row.weight_kg,
            row.purchase_date,
            "",
            owner_id,
            row.location_id,
            donation_id,
            row.received_without_storage,
            row.notes,
            _document(row),
            State.REGISTERED,
            1,
            now,
            None,
            now,
        )
        for row, code in zip(chunk, codes, strict=True)
    ]
    ids = dict(raw_insert(Device, DEVICE_FIELDS, devices, returning=("public_code", "id")))
    media = []
    registrations = []
    for row, code in zip(chunk, codes, strict=True):
        device_id = ids[code]
        for medium in row.media:
            media.append(
                (
                    device_id,
                    medium.media_type,
                    medium.manufacturer,
                    medium.model,
                    medium.serial,
                    medium.capacity_gb,
                    medium.smart_status,
                )
            )
        registrations.append(
            events.device_registered_row(
                device_id, actor_id=actor_id, at=now, note=row.event_note, data=row.event_data
            )
        )
    # Media and events are plain rows (no id needed back): written without the ORM's
    # per-instance work. Events stay append-only: an INSERT, like DeviceEvent.save().
    raw_insert(StorageMedium, MEDIUM_FIELDS, media)
    raw_insert(DeviceEvent, events.REGISTRATION_COLUMNS, registrations)
    return [(ids[code], code) for code in codes]


# --- many rows per INSERT -----------------------------------------------------------------------


def _json_value(value):
    """Dates and decimals in the JSON document of ``raw_insert``, as PostgreSQL reads them."""
    if isinstance(value, (date, Decimal)):
        return value.isoformat() if isinstance(value, date) else str(value)
    raise TypeError(type(value))


def raw_insert(model, fields: list[str], rows: list[tuple], returning: tuple = ()) -> list:
    """INSERT many rows, several per statement: what ``bulk_create`` writes, without building
    a model instance and preparing every value through the ORM for each row (most of its time
    for thousands of rows). Values are given in the fields' Python types; JSON and dates are
    adapted by their field, the rest passes as is (on PostgreSQL the rows go as one JSON
    document, typed by the columns). ``returning`` names columns read back (RETURNING, in no
    particular order: return a unique key with the id).
    """
    # The connection itself, not the proxy that looks it up again for every value adapted.
    connection = transaction.get_connection()
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    adapt = [
        index
        for index, field in enumerate(columns)
        if field.get_internal_type() in ("JSONField", "DateTimeField", "DateField", "DecimalField")
    ]
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(
        quote(meta.db_table), ", ".join(quote(field.column) for field in columns)
    )
    placeholders = "({})".format(", ".join(["%s"] * len(columns)))
    tail = (" RETURNING " + ", ".join(quote(name) for name in returning)) if returning else ""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        # The whole chunk as one JSON document, read back as typed rows: one parameter,
        # where psycopg would quote thousands of placeholders or array items one by one.
        names = [f"c{index}" for index in range(len(columns))]
        types = [field.db_type(connection) for field in columns]
        record = ", ".join(f"{name} {kind}" for name, kind in zip(names, types, strict=True))
        document = json.dumps(
            [dict(zip(names, row, strict=True)) for row in rows], default=_json_value
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"{head.removesuffix(' VALUES ')} SELECT {', '.join(names)} "
                f"FROM jsonb_to_recordset(%s::jsonb) AS chunk({record}){tail}",
                [document],
            )
            return cursor.fetchall() if returning else []
    params = []
    # A chunk's rows share their timestamp: each distinct value of a column is adapted once.
    last = {index: (object(), None) for index in adapt}
    for row in rows:
        if adapt:
            row = list(row)
            for index in adapt:
                value = row[index]
                seen, adapted = last[index]
                if value is not seen:
                    adapted = columns[index].get_db_prep_save(value, connection)
                    last[index] = (value, adapted)
                row[index] = adapted
        params.append(row)
    returned = []
    # As many rows per statement as the database takes parameters (SQLite's limit).
    batch = max(1, connection.ops.bulk_batch_size(columns, params) or len(params))
    with connection.cursor() as cursor:
        for start in range(0, len(params), batch):
            part = params[start : start + batch]
            cursor.execute(
                head + ", ".join([placeholders] * len(part)) + tail,
                [value for row in part for value in row],
            )
            if returning:
                returned.extend(cursor.fetchall())
    return returned
