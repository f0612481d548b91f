"""Reads of the pool, scoped to what the user may see. Views never build queries themselves."""

import contextlib
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Lookup, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from acteurs.models import Organisation
from acteurs.permissions import POOL_ROLES, is_coordinator, organisations_with_role
from core.keyset import COUNT_CAP, KeysetPage, Ordering, Orderings, keyset_page  # noqa: F401
from core.transitions import TransitionInfo

from . import search
from .codes import MistypedCode, NotACode, normalize_code
from .models import (
    WAITING_STATES,
    Device,
    DeviceEvent,
    DeviceKind,
    ErasureRecord,
    State,
    StockLocation,
    StorageMedium,
    to_search_key,
)
from .transitions import DEVICE, WORKSHOP_TRANSITIONS

# The sorts the device list offers (``?tri=``), each read along an index at any depth:
# the newest first (the primary key, or (owner, -id) and its state/kind variants), the code
# (unique index), make and model (``device_brand_model_id``), the state then the longest in
# it (``device_state_since_id``). The indexes do not begin with the owner: the walk drops the
# devices of other organisations, cheap while the user's share of the filtered pool is not
# tiny (see docs/ARCHITECTURE.md, "Lists at scale").
DEVICE_ORDERINGS = Orderings(
    (
        Ordering("recents", _("Les plus récents"), ("id",), descending=True),
        Ordering("anciens", _("Les plus anciens"), ("id",)),
        Ordering("code", _("Code (A → Z)"), ("public_code",)),
        Ordering("-code", _("Code (Z → A)"), ("public_code",), descending=True),
        Ordering("appareil", _("Marque et modèle (A → Z)"), ("brand", "model", "id")),
        Ordering(
            "-appareil", _("Marque et modèle (Z → A)"), ("brand", "model", "id"), descending=True
        ),
        Ordering("etat", _("État, puis le plus ancien"), ("state", "state_changed_at", "id")),
        Ordering(
            "-etat",
            _("État inversé, puis le plus récent"),
            ("state", "state_changed_at", "id"),
            descending=True,
        ),
    )
)


def visible_organisation_ids(user) -> list[int] | None:
    """Organisations whose pool the user sees; None means every organisation."""
    if is_coordinator(user):
        return None
    return organisations_with_role(user, POOL_ROLES)


def devices_visible_to(user) -> QuerySet[Device]:
    org_ids = visible_organisation_ids(user)
    queryset = Device.objects.all()
    if org_ids is not None:
        queryset = queryset.filter(owner_id__in=org_ids)
    return queryset


def organisations_for_filter(user) -> QuerySet[Organisation]:
    org_ids = visible_organisation_ids(user)
    queryset = Organisation.objects.filter(is_refurbisher=True)
    if org_ids is not None:
        queryset = Organisation.objects.filter(pk__in=org_ids)
    return queryset.order_by("name")


def stock_locations_for(user, organisation_id: int | None = None) -> QuerySet[StockLocation]:
    org_ids = visible_organisation_ids(user)
    queryset = StockLocation.objects.filter(is_active=True).select_related("organisation")
    if org_ids is not None:
        queryset = queryset.filter(organisation_id__in=org_ids)
    if organisation_id is not None:
        queryset = queryset.filter(organisation_id=organisation_id)
    return queryset.order_by("organisation__name", "name")


class StartsWithByIndex(Lookup):
    """``column`` starts with ``prefix``, written so that each database answers it from an
    index on the column.

    PostgreSQL: ``LIKE 'prefix%'``, an index range with the ``varchar_pattern_ops`` index
    (the database collation is not "C", so a plain index cannot serve LIKE). SQLite: its
    LIKE ignores case and never uses an index on a BINARY column, so the prefix becomes the
    code point range ``prefix <= column < successor(prefix)``, which in BINARY order is
    exactly the set of strings starting with the prefix.
    """

    lookup_name = "starts_with_by_index"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        prefix = self.rhs
        if connection.vendor == "sqlite" and prefix and ord(prefix[-1]) < 0x10FFFF:
            successor = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            return f"({lhs} >= %s AND {lhs} < %s)", [*lhs_params, prefix, *lhs_params, successor]
        pattern = connection.ops.prep_for_like_query(prefix) + "%"
        like = connection.operators["startswith"] % "%s"
        return f"{lhs} {like}", [*lhs_params, pattern]


def device_search(queryset: QuerySet[Device], text: str) -> QuerySet[Device]:
    """Devices matching what a user typed: a code exactly, the start of a serial, brand or
    model (index ranges on the search keys), or every word typed found among the words of
    the device's specifications, media, remarks and reports, accents and case aside, each
    word as the start of a word (full-text index: parc/search.py)."""
    text = text.strip()
    if not text:
        return queryset
    condition = Q()
    with contextlib.suppress(MistypedCode, NotACode):
        condition |= Q(public_code=normalize_code(text))
    key = to_search_key(text)
    if key:
        for column in ("serial_key", "brand_key", "model_key"):
            condition |= Q(StartsWithByIndex(F(column), key))
    query = search.query_words(text)
    full_text = Q(search.FullTextMatch(F("id"), query)) if query else Q()
    if not condition and not full_text:
        return queryset.none()
    if connection.vendor == "postgresql":
        return _postgres_search(queryset, condition, query)
    # SQLite, without statistics, would rather walk the organisation's devices one by one
    # and test each: the matches are listed first, in one subquery (the prefix ranges and
    # code, UNION the FTS table's row ids), then looked up by id.
    parts, params = [], []
    if condition:
        prefixes = Device.objects.filter(condition).order_by().values("pk")
        sql, prefix_params = prefixes.query.sql_with_params()
        parts.append(sql)
        params += prefix_params
    if query:
        sql, match = search.sqlite_matching_ids(query)
        parts.append(sql)
        params.append(match)
    return queryset.filter(pk__in=RawSQL(" UNION ".join(parts), params))


def device_list(user, *, filters: dict) -> QuerySet[Device]:
    queryset = devices_visible_to(user).select_related("owner", "location")
    for field in ("state", "kind", "grade"):
        if filters.get(field):
            queryset = queryset.filter(**{field: filters[field]})
    if filters.get("owner"):
        queryset = queryset.filter(owner=filters["owner"])
    if filters.get("location"):
        queryset = queryset.filter(location=filters["location"])
    if filters.get("q"):
        queryset = device_search(queryset, filters["q"])
    return queryset


def _visible_device(user, code: str, *prefetches) -> Device:
    """The device with this code (read forgivingly) if the user may see it, else 404.

    A device of another organisation is a 404, never a 403: its existence is not disclosed.
    """
    try:
        canonical = normalize_code(code)
    except (MistypedCode, NotACode):
        raise Http404 from None
    try:
        return (
            devices_visible_to(user)
            .select_related("owner", "location", "usage_profile")
            .prefetch_related(*prefetches)
            .get(public_code=canonical)
        )
    except Device.DoesNotExist:
        raise Http404 from None


# What a row of the device list shows; the rest (notes, search keys…) stays in the database.
LIST_COLUMNS = (
    "public_code",
    "kind",
    "brand",
    "model",
    "serial",
    "state",
    "grade",
    "owner",
    "owner__short_name",
    "location",
    "location__name",
)


def device_list_rows(user, *, filters: dict) -> QuerySet[Device]:
    """``device_list`` with only the columns the list page shows."""
    return device_list(user, filters=filters).only(*LIST_COLUMNS)


def device_with_records(user, code: str) -> Device:
    """The device with its media, their erasures and its tests (the wipe page, the actions
    and their refusals read them), or 404."""
    erasures = ErasureRecord.objects.select_related("operator").order_by("-id")
    media = StorageMedium.objects.prefetch_related(Prefetch("erasures", queryset=erasures))
    return _visible_device(user, code, Prefetch("storage_media", queryset=media), "refurbishments")


def device_for_page(user, code: str) -> Device:
    """The device page: the device and its media (listed by name), or 404. Erasures and
    tests are on the pages of the actions, which read them with ``device_with_records``."""
    return _visible_device(user, code, "storage_media")


def device_of_organisation(organisation_id: int, code: str) -> Device | None:
    """The organisation's device with this (canonical) public code, or None: for the floors
    above that name a device by its label (a repair, a scan)."""
    return (
        Device.objects.filter(public_code=code, owner_id=organisation_id)
        .only("id", "public_code", "kind", "brand", "state", "owner_id")
        .first()
    )


def device_history(device: Device, *, limit: int = 50) -> list[DeviceEvent]:
    return list(device.events.select_related("actor").order_by("-id")[:limit])


def transitions_for(device: Device, user) -> list[TransitionInfo]:
    """The lifecycle actions this user may run on this device now, in lifecycle order.

    Conditions are not checked here: a wipe refused for a missing erasure should show its
    reason on its form rather than disappear.
    """
    if device.is_terminal:
        return []
    names = {
        t.name
        for t in device.get_all_state_transitions()
        if t.source in (device.state, "*") and t.has_perm(device, user)
    }
    return [DEVICE.transitions[name] for name in WORKSHOP_TRANSITIONS if name in names]


# --- a donation's devices (the pages composing dons and parc are in www) -----------------------


def donation_devices(donation) -> QuerySet[Device]:
    """The devices registered for the donation, newest first (index ``device_donation_id``)."""
    return Device.objects.filter(donation=donation).select_related("location").order_by("-id")


def device_counts_by_donation(donation_ids) -> dict[int, int]:
    """{donation id: devices registered for it}, for a page of donations. One query."""
    rows = (
        Device.objects.filter(donation_id__in=list(donation_ids))
        .order_by()
        .values_list("donation_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


# Device states grouped as a donor understands them; every state falls in one bucket.
PROGRESS_BUCKETS = (
    ("received", _("Reçus, en attente de diagnostic"), (State.REGISTERED, State.TRIAGE)),
    ("erased", _("Données effacées"), (State.WIPED,)),
    ("refurbishing", _("En reconditionnement"), (State.REFURBISHING, State.RETURNED)),
    ("ready", _("Reconditionnés, prêts à remettre"), (State.READY, State.ALLOCATED)),
    (
        "handed_on",
        _("Remis à un foyer (prêt, don ou vente solidaire)"),
        (State.ON_LOAN, State.TRANSFERRED),
    ),
    ("parts", _("Démontés pour pièces"), (State.PARTS,)),
    ("recycled", _("Recyclés (filière DEEE)"), (State.RECYCLED,)),
    ("lost", _("Perdus ou volés"), (State.LOST,)),
)


@dataclass(frozen=True)
class DonationProgress:
    total: int
    buckets: list[dict]
    by_kind: list[dict]


def donation_progress(donation) -> DonationProgress:
    """Where a donation's devices are, by bucket, and how many of each declared kind were
    registered. Counts only: no serial, no household, nothing personal. Two queries (the
    donation's declared ``lines`` are expected prefetched)."""
    devices = Device.objects.filter(donation=donation).order_by()
    by_state = dict(devices.values_list("state").annotate(n=Count("id")))
    received = dict(devices.values_list("kind").annotate(n=Count("id")))
    declared = {line.kind: line.quantity for line in donation.lines.all()}
    return DonationProgress(
        total=sum(by_state.values()),
        buckets=[
            {
                "code": code,
                "label": str(label),
                "count": sum(by_state.get(state, 0) for state in states),
            }
            for code, label, states in PROGRESS_BUCKETS
        ],
        by_kind=[
            {
                "kind": kind,
                "label": label,
                "declared": declared.get(kind),
                "received": received.get(kind, 0),
            }
            for kind, label in DeviceKind.choices
            if declared.get(kind) or received.get(kind)
        ],
    )


def devices_received_by_kind(donation) -> list[dict]:
    """What was received, by kind in the order of ``DeviceKind``, with each device's code,
    make and serial (the donation receipt). One query."""
    rows: dict[str, list] = {}
    devices = (
        Device.objects.filter(donation=donation)
        .order_by("kind", "brand", "model", "serial", "id")
        .values("kind", "public_code", "brand", "model", "serial")
    )
    for device in devices:
        rows.setdefault(device["kind"], []).append(device)
    return [
        {"kind": kind, "label": label, "devices": rows[kind]}
        for kind, label in DeviceKind.choices
        if kind in rows
    ]


def devices_for_bulk(user, device_ids) -> list[Device]:
    """The ticked devices the user may see, in the order ticked (others are left out: a
    device of another organisation is not disclosed). One query."""
    devices = {
        device.pk: device
        for device in devices_visible_to(user)
        .filter(pk__in=list(device_ids))
        .select_related("owner", "location")
        .only(*LIST_COLUMNS)
    }
    return [devices[pk] for pk in device_ids if pk in devices]


# --- the technician's home (composed in www) -------------------------------------------------


# Newest devices of the list looked at to tell a frequent search from a rare one.
SEARCH_SAMPLE = 2000
# A page of matches among them: the word is frequent enough to walk.
PAGE_HINT = 25
# A search's matches are counted up to this many ("plus de 100"): counting a thousand
# matches of a word found in 2 % of the pool walks 50,000 rows; a hundred, 5,000.
SEARCH_COUNT_CAP = 100


def _postgres_search(queryset: QuerySet[Device], prefixes: Q, words: list) -> QuerySet[Device]:
    """The list's matches on PostgreSQL, flat whether a word is frequent or rare.

    Ordered by id and limited to a page, the planner walks the newest devices testing each
    as soon as it expects a few thousand matches, and its estimates for prefixes are rough:
    for a word found once in a million rows that walk reads every row (1.7 s), while for a
    frequent word the GIN index would hand over a hundred thousand rows to sort (0.2–0.4 s).
    So the selector looks first at the newest SEARCH_SAMPLE devices of the list (one query,
    by primary key): if a page of them matches, the word is frequent and the list walks the
    newest devices testing each, without the index; otherwise the index lists the matches
    (up to COUNT_CAP + 1, no order), which the list then reads by primary key. A word rare
    among the newest devices but frequent among older ones (more than COUNT_CAP of them)
    falls back to the walk."""
    by_walk = prefixes | (Q(search.FullTextMatchByWalk(F("id"), words)) if words else Q())
    newest = queryset.order_by("-id").values("pk")[:SEARCH_SAMPLE]
    if queryset.filter(pk__in=newest).filter(by_walk).order_by()[:PAGE_HINT].count() >= PAGE_HINT:
        return queryset.filter(by_walk)
    by_index = prefixes | (Q(search.FullTextMatch(F("id"), words)) if words else Q())
    ids = list(queryset.filter(by_index).order_by().values_list("pk", flat=True)[: COUNT_CAP + 1])
    if len(ids) <= COUNT_CAP:
        return queryset.filter(pk__in=ids)
    return queryset.filter(by_walk)


@dataclass(frozen=True)
class StageCount:
    """Devices of the user's organisations waiting at one stage, counted up to COUNT_CAP."""

    state: str
    label: str
    count: int
    capped: bool


def waiting_counts(user) -> list[StageCount]:
    """For the user's own pools (their organisations, not the whole département): the
    devices waiting at each stage of ``WAITING_STATES``, each counted up to COUNT_CAP along
    the index ``(owner, state, …)``. One query whatever the size of the pool."""
    org_ids = organisations_with_role(user, POOL_ROLES)
    if not org_ids:
        return []
    parts, params = [], []
    for state in WAITING_STATES:
        capped = (
            Device.objects.filter(owner_id__in=org_ids, state=state)
            .order_by()
            .values("pk")[: COUNT_CAP + 1]
        )
        sql, capped_params = capped.query.sql_with_params()
        parts.append(f"SELECT %s, (SELECT COUNT(*) FROM ({sql}) AS counted_{len(parts)})")
        params += [str(state), *capped_params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        counts = dict(cursor.fetchall())
    labels = dict(State.choices)
    return [
        StageCount(
            state=state,
            label=str(labels[state]),
            count=min(counts.get(state, 0), COUNT_CAP),
            capped=counts.get(state, 0) > COUNT_CAP,
        )
        for state in WAITING_STATES
    ]


# --- the cost of refurbishing (issue 15) ------------------------------------------------------


def work_and_parts(device: Device) -> tuple[list, list]:
    """The technician's work times and the parts used on this device, newest first. Two
    queries."""
    from .models import PartUse, WorkTime

    work = list(WorkTime.objects.filter(device=device).select_related("recorded_by")[:50])
    parts = list(PartUse.objects.filter(device=device).select_related("part", "used_by")[:50])
    return work, parts


def parts_in_stock(organisation_id: int):
    from .models import Part

    return Part.objects.filter(organisation_id=organisation_id, quantity__gt=0).order_by(
        "category", "label"
    )
