"""Every GET URL of the project, for every role, with hostile and fuzzed query strings: no
server error, ever.

The URL patterns come from the resolver (``every_pattern``), so a page added tomorrow is walked
too; its path parameters are filled from the demo data (``path_kwargs``), and a pattern for
which no sample is known fails the test until one is added. Query-string keys are every name
the project reads from a query string (found in its source and its forms); values are
extreme dates, huge and negative numbers, NUL bytes, long strings, injection attempts
(``HOSTILE_VALUES``), then whatever hypothesis draws.

Roles: the demo accounts (technician, staff, prescriber, facilitator, funder, coordination),
the association's admin, an admin of a second organisation (who must meet only 404s on the
first one's objects), an operator (superuser), and an anonymous visitor.
"""

import io
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django import forms
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acteurs.models import Household, Membership, Organisation, Role, User

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = (
    "acteurs",
    "dons",
    "parc",
    "intake",
    "ateliers",
    "prets",
    "rapports",
    "api",
    "www",
    "exploitation",
    "core",
    "documents",
)
ROLES = (
    "anonyme",
    "technicien",
    "equipe",
    "admin-asso",
    "prescripteur",
    "animateur",
    "financeur",
    "coordination",
    "autre-organisation",
    "operateur",
)

# --- what the project reads from query strings -----------------------------------------------

_GET_READ = re.compile(
    r"""(?:GET|query_params)(?:\.get|\.getlist|\[)\(?\s*["']([A-Za-z_][\w-]*)["']"""
)
_GET_IN = re.compile(r"""["']([A-Za-z_][\w-]*)["']\s+in\s+request\.GET""")
# Fields a form adds in its __init__ (self.fields["structure"] = ...).
_FORM_FIELD = re.compile(r"""fields\[["']([A-Za-z_]\w*)["']\]\s*=""")
# The admin's own list parameters (sort, page, search, popup, filters).
ADMIN_KEYS = ("o", "p", "q", "e", "all", "_popup", "_to_field", "_changelist_filters")


def query_keys() -> tuple[str, ...]:
    get_resolver().url_patterns  # imports every view, hence every form  # noqa: B018
    keys = set(ADMIN_KEYS) | {"next"}
    for app in PROJECT_APPS:
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            keys |= set(_GET_READ.findall(text)) | set(_GET_IN.findall(text))
            keys |= set(_FORM_FIELD.findall(text))
    # Every field of every form of the project: filters are forms bound to request.GET.
    seen = set()
    stack = [forms.Form, forms.ModelForm]
    while stack:
        form_class = stack.pop()
        for sub in form_class.__subclasses__():
            if sub in seen:
                continue
            seen.add(sub)
            stack.append(sub)
            if sub.__module__.split(".")[0] in PROJECT_APPS:
                keys |= set(getattr(sub, "declared_fields", {}))
    return tuple(sorted(keys))


HOSTILE_VALUES = (
    "9999-12-31",
    "0001-01-01",
    "99999999999999999999999",
    "a\x00b",
    "x" * 5000,
)

# Drawn by hypothesis besides the ones above.
MORE_VALUES = (
    "-1",
    "2026-02-30",
    "31/12/9999",
    "9223372036854775808",
    "NaN",
    "<script>alert(1)</script>",
    "",
    "1900-01-01",
    "2100-12-31",
    "2101-01-01",
    "2026-W53",
    "0",
    "1e308",
    "Infinity",
    "-9223372036854775809",
    " ",
    "\x00",
    "é" * 3,
    "'; DROP TABLE acteurs_household; --",
    "../../etc/passwd",
    "28085",
    "200022190",
    "28",
    "on",
    "true",
)


@dataclass
class World:
    users: dict[str, User | None]
    kwargs: dict[str, dict]


# --- the demo world --------------------------------------------------------------------------


def _member(username, organisation, role, **fields):
    user = User.objects.create_user(username=username, password="x", **fields)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def _extra_objects(rnel, staff, technician):
    """Objects the demo does not make, so their pages are walked with a real one."""
    from dons.models import STATES_ACCEPTING_DEVICES, Convention, Donation, DonationDocument
    from parc.models import LabelJob
    from rapports.models import ReportJob

    # One that still accepts devices (the import job below needs it).
    donation = (
        Donation.objects.filter(gisement__refurbisher=rnel, state__in=STATES_ACCEPTING_DEVICES)
        .order_by("pk")
        .first()
    )
    convention = Convention.objects.create(
        gisement=donation.gisement, status="signed", signed_on=donation.created_at.date()
    )
    document = DonationDocument(donation=donation, kind="other", title="Bon", uploaded_by=staff)
    document.file.save("bon.txt", ContentFile(b"bon d'enlevement"), save=True)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from intake.services import job_create
    from parc.models import StockLocation
    from parc.scanning.services import batch_start

    location = StockLocation.objects.filter(organisation=rnel).order_by("pk").first()
    batch = batch_start(technician, organisation=rnel, action="inventory", location=location)
    label_job = LabelJob.objects.create(
        organisation=rnel, requested_by=staff, layout="L7160", status="done"
    )
    upload = SimpleUploadedFile(
        "liste.csv", "marque;modèle;n° de série\nDell;Latitude 5490;ABC123\n".encode()
    )
    import_job = job_create(staff, donation, upload)
    report_job = ReportJob.objects.create(
        requested_by=staff, subject_kind="gisement", subject_id=donation.gisement_id, title="R"
    )
    # The coordination's page of failed and stuck jobs (exploitation) lists these.
    LabelJob.objects.create(
        organisation=rnel, requested_by=staff, layout="L7160", status="failed", error="Échec"
    )
    ReportJob.objects.create(
        requested_by=staff,
        subject_kind="gisement",
        subject_id=donation.gisement_id,
        title="R2",
        status="failed",
        error="Échec",
    )
    import datetime as dt

    from django.utils import timezone

    from parc.models import Device, EvidenceFile

    device = Device.objects.filter(owner=rnel).order_by("pk").first()
    evidence = {}
    for name, staged_until in (("kept", None), ("staged", timezone.now() + dt.timedelta(hours=1))):
        evidence[name] = EvidenceFile(
            device=device,
            kind="erasure_log",
            original_name="nwipe.log",
            size=4,
            sha256="0" * 64,
            uploaded_by=technician,
            staged_until=staged_until,
        )
        evidence[name].file.save("nwipe.log", ContentFile(b"log\n"), save=True)
    from ateliers.models import RepairImport

    repair_import = RepairImport.objects.create(
        organisation=rnel, filename="ords.csv", imported_by=staff
    )
    return {
        "repair_import": repair_import,
        "evidence": evidence,
        "donation": donation,
        "convention": convention,
        "document": document,
        "batch": batch,
        "label_job": label_job,
        "import_job": import_job,
        "report_job": report_job,
    }


def _api_kwargs(device, gisement, donation, household, request, loan, session, users) -> dict:
    """The API's addresses (api/urls.py) and the account pages of its tokens and webhooks."""
    from api.models import ApiToken, Webhook
    from api.tokens import token_create
    from api.webhooks.services import webhook_create

    staff = users["equipe"]
    token, _clear = token_create(staff, name="walker", scope="read", days=30)
    organisation = staff.memberships.order_by("pk").first().organisation
    webhook = Webhook.objects.filter(organisation=organisation).first() or webhook_create(
        users["admin-asso"],
        organisation=organisation,
        url="https://hooks.example.org/filiere",
        events=["device.ready"],
    )
    assert isinstance(token, ApiToken)
    code = {"code": device.public_code}
    found = {
        f"api:{name}": code
        for name in (
            "device",
            "device_history",
            "device_media",
            "device_erasures",
            "device_hardware_reports",
            "device_erasure_logs",
            "device_evidence",
            "device_moves",
        )
    }
    found["api:device_transition"] = {**code, "name": "start_triage"}
    found["api_bundle_upload"] = code
    found["api:gisement"] = {"pk": gisement.pk}
    found["api:donation"] = {"pk": donation.pk}
    found["api:donation_transition"] = {"pk": donation.pk, "name": "collect"}
    found["api:household"] = {"pk": household.pk}
    found["api:household_eligibility"] = {"pk": household.pk}
    found["api:request"] = {"pk": request.pk}
    found["api:request_transition"] = {"pk": request.pk, "name": "approve"}
    found["api:loan"] = {"pk": loan.pk}
    for name in ("session", "session_enrolments", "session_repairs"):
        found[f"api:{name}"] = {"pk": session.pk}
    found["api:report_gisement"] = {"kind": "gisement", "pk": gisement.pk}
    found["api_token_revoke"] = {"pk": token.pk}
    found["api_webhook"] = {"pk": webhook.pk}
    found["api_webhook_delete"] = {"pk": webhook.pk}
    return found


def _build_world() -> World:
    quiet = io.StringIO()
    call_command("load_territories", "--if-empty", "--departement", "28", stdout=quiet)
    call_command("load_demo", stdout=quiet)
    from ateliers.models import Assessment, Enrolment, Repair, Session
    from demo.world import DEPARTEMENT, RNEL
    from dons.models import Donation, Gisement
    from parc.models import Device, ErasureRecord
    from prets.models import DeviceRequest, Loan, Sale
    from rapports import sharing
    from rapports.selectors import Period

    rnel = Organisation.objects.get(name=RNEL)
    departement = Organisation.objects.get(name=DEPARTEMENT)
    other = Organisation.objects.create(
        name="Atelier voisin", short_name="Voisin", is_refurbisher=True, is_prescriber=True
    )
    users = {
        name: User.objects.get(username=name)
        for name in ROLES
        if name
        in {
            "technicien",
            "equipe",
            "prescripteur",
            "animateur",
            "financeur",
        }
    }
    users["coordination"] = User.objects.get(username="admin")
    users["admin-asso"] = _member("admin-asso", rnel, Role.ADMIN, is_staff=True)
    users["autre-organisation"] = _member("voisin", other, Role.ADMIN, is_staff=True)
    users["operateur"] = User.objects.create_superuser("operateur", "op@example.org", "x")
    users["anonyme"] = None
    extra = _extra_objects(rnel, users["equipe"], users["technicien"])
    # An authenticator being set up (unconfirmed: nobody is asked for a code).
    from django_otp.plugins.otp_totp.models import TOTPDevice

    totp = TOTPDevice.objects.create(user=users["admin-asso"], name="app", confirmed=False)

    device = Device.objects.filter(owner=rnel).order_by("pk").first()
    erased = ErasureRecord.objects.filter(medium__device__owner=rnel).order_by("pk").first()
    household = Household.objects.exclude(organisation=departement).order_by("pk").first()
    session = Session.objects.order_by("pk").first()
    enrolment = Enrolment.objects.order_by("pk").first()
    request = DeviceRequest.objects.order_by("pk").first()
    loan = Loan.objects.order_by("pk").first()
    sale = Sale.objects.order_by("pk").first()
    gisement = Gisement.objects.filter(refurbisher=rnel).order_by("pk").first()
    donation = Donation.objects.filter(gisement=gisement).order_by("pk").first()
    token = sharing.make_token(
        kind="gisement", pk=gisement.pk, period=Period(), days=30, user_id=users["equipe"].pk
    )
    from dons.signing import make_token as donor_token

    assessment = Assessment.objects.order_by("pk").first()
    repair = Repair.objects.order_by("pk").first()
    assert repair is not None and assessment is not None

    kwargs = {
        "www:household": {"pk": household.pk},
        "household_edit": {"pk": household.pk},
        "parc:device": {"code": device.public_code},
        "parc:transition": {"code": device.public_code, "name": "start_triage"},
        "parc:erasure_add": {"code": device.public_code},
        "parc:medium_add": {"code": device.public_code},
        "parc:move": {"code": device.public_code},
        "parc:work_and_parts": {"code": device.public_code},
        "parc:hardware_report": {"code": device.public_code},
        "parc:erasure_log": {"code": erased.medium.device.public_code},
        "parc:label_job": {"pk": extra["label_job"].pk},
        "parc:label_job_restart": {"pk": extra["label_job"].pk},
        "parc:erasure_log_confirm": {
            "code": extra["evidence"]["staged"].device.public_code,
            "pk": extra["evidence"]["staged"].pk,
        },
        "parc:evidence_download": {
            "code": extra["evidence"]["kept"].device.public_code,
            "pk": extra["evidence"]["kept"].pk,
        },
        "parc:label_job_pdf": {"pk": extra["label_job"].pk},
        "parc:scan_batch": {"batch_id": extra["batch"].pk},
        **{
            f"intake:{name}": {"pk": extra["import_job"].pk}
            for name in ("job", "mapping", "reanalyse", "import", "restart", "rejected", "labels")
        },
        "parc:scan_batch_close": {"batch_id": extra["batch"].pk},
        "parc:scan_batch_move_here": {"batch_id": extra["batch"].pk},
        "www:gisement": {"pk": gisement.pk},
        "dons:gisement_edit": {"pk": gisement.pk},
        "dons:convention_create": {"gisement_pk": gisement.pk},
        "dons:convention_edit": {"pk": extra["convention"].pk},
        "dons:convention_document": {"pk": extra["convention"].pk},
        "dons:donation_create": {"gisement_pk": gisement.pk},
        "www:donation": {"pk": donation.pk},
        "dons:donation_edit": {"pk": donation.pk},
        "www:donation_transition": {"pk": donation.pk, "name": "collect"},
        "www:donation_document_add": {"pk": extra["document"].donation_id},
        "dons:document": {"pk": extra["document"].donation_id, "document_pk": extra["document"].pk},
        "www:donation_receipt": {"pk": donation.pk},
        "www:donor_link": {"pk": donation.pk},
        "dons:donor_link_revoke": {"pk": donation.pk},
        "www:donor_page": {"token": donor_token(donation)},
        "ateliers:session": {"pk": session.pk},
        "ateliers:session_edit": {"pk": session.pk},
        "ateliers:enrol": {"pk": session.pk},
        "ateliers:attendance": {"pk": session.pk},
        "ateliers:sheet": {"pk": session.pk},
        "ateliers:assessment_create": {
            "pk": enrolment.session_id,
            "household_pk": enrolment.household_id,
        },
        "ateliers:repair_create": {"pk": session.pk},
        "ateliers:repair_import": {"pk": extra["repair_import"].pk},
        "ateliers:repair_import_rejected": {"pk": extra["repair_import"].pk},
        "ateliers:cancel": {"pk": enrolment.pk},
        "ateliers:household": {"pk": enrolment.household_id},
        "ateliers:sharing_add": {"pk": enrolment.household_id},
        "ateliers:sharing_withdraw": {"pk": 1},
        "ateliers:repairs_export": {"organisation_pk": rnel.pk},
        "prets:request": {"pk": request.pk},
        "prets:request_consent": {"pk": request.pk},
        "prets:allocate": {"pk": request.pk},
        "prets:release": {"pk": request.pk},
        "prets:loan_start": {"pk": request.pk},
        "prets:sale_create": {"pk": request.pk},
        "prets:request_action": {"pk": request.pk, "action": "approve"},
        "prets:loan": {"pk": loan.pk},
        "prets:agreement": {"pk": loan.pk},
        "prets:follow_up": {"pk": loan.pk},
        "prets:loan_date": {"pk": loan.pk, "action": "extend"},
        "prets:loan_action": {"pk": loan.pk, "action": "return"},
        "prets:receipt": {"pk": sale.pk},
        "prets:voucher_add": {"pk": sale.pk},
        "prets:loan_voucher_add": {"pk": loan.pk},
        "prets:household": {"pk": loan.household_id},
        "prets:eligibility_add": {"pk": loan.household_id},
        "prets:request_create": {"pk": loan.household_id},
        "household_export": {"pk": loan.household_id},
        "household_erase": {"pk": loan.household_id},
        "information_notice": {"pk": household.organisation_id},
        "information_notice_pdf": {"pk": household.organisation_id},
        "rapports:job": {"pk": extra["report_job"].pk},
        "rapports:job_restart": {"pk": extra["report_job"].pk},
        "exploitation:job_retry": {"kind": "rapport", "pk": extra["report_job"].pk},
        "rapports:territory_search": {"level": "commune"},
        "rapports:job_file": {"pk": extra["report_job"].pk},
        "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
        "rapports:shared": {"token": token},
    }
    for fmt in ("pdf", "xlsx", "csv", "annexe"):
        kwargs[f"rapports:shared_{fmt}"] = {"token": token}
    for kind, pk in (
        ("gisement", gisement.pk),
        ("don", donation.pk),
        ("donateur", gisement.donor_id),
    ):
        for suffix in ("", "_share", "_job", "_pdf", "_xlsx", "_csv", "_annexe"):
            kwargs[f"rapports:{kind}{suffix}"] = {"pk": pk}
    kwargs.update(_api_kwargs(device, gisement, donation, household, request, loan, session, users))
    kwargs.update(_admin_kwargs())
    kwargs["admin:otp_totp_totpdevice_config"] = {"pk": totp.pk}
    kwargs["admin:otp_totp_totpdevice_qrcode"] = {"pk": totp.pk}
    kwargs["admin:auth_user_password_change"] = {"id": users["prescripteur"].pk}
    return World(users=users, kwargs=kwargs)


def _admin_kwargs() -> dict[str, dict]:
    """The admin's object pages, for the first object of each registered model."""
    found = {}
    for model, _model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        obj = model._default_manager.order_by("pk").first()
        object_id = str(obj.pk) if obj is not None else "0"
        for suffix in ("change", "delete", "history"):
            found[f"{prefix}_{suffix}"] = {"object_id": object_id}
        # The unnamed redirect from the object's bare address to its change page.
        bare = f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/"
        found[f"route:{bare}"] = {"object_id": object_id}
        found[f"{prefix}_password_change"] = {"id": object_id}
    from django.contrib.contenttypes.models import ContentType

    household = Household.objects.order_by("pk").first()
    found["admin:view_on_site"] = {
        "content_type_id": ContentType.objects.get_for_model(Household).pk,
        "object_id": household.pk,
    }
    for app_label in {model._meta.app_label for model in admin.site._registry}:
        found[f"admin:app_list:{app_label}"] = {"app_label": app_label}
    return found


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


# --- the URL patterns --------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    route: str
    name: str
    converters: tuple[str, ...]


def every_pattern() -> list[Pattern]:
    found = []

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                route = prefix + str(entry.pattern)
                found.append(
                    Pattern(route, name or "", tuple(re.findall(r"<(?:\w+:)?(\w+)>", route)))
                )

    walk(get_resolver().url_patterns, "", "")
    return found


def _fill(pattern: Pattern, world: World) -> str | None:
    """The pattern's path with its parameters filled; None when the route is a regex one we
    cannot fill (the admin's catch-all and its 'view on site' shortcut)."""
    route = pattern.route
    if route.startswith("^") or "(?P<" in route:
        if pattern.name == "admin:app_list":
            return None  # walked through its per-app names below
        return None
    if not pattern.converters:
        return "/" + route
    kwargs = world.kwargs.get(pattern.name or f"route:{route}")
    if kwargs is None:
        raise AssertionError(
            f"No sample path parameters for URL {pattern.name!r} ({route}): add them to "
            "tests/config/test_every_get_url.py (_build_world)."
        )
    path = route
    for name in pattern.converters:
        path = re.sub(rf"<(?:\w+:)?{name}>", str(kwargs[name]), path)
    return "/" + path


def _paths(world: World) -> list[str]:
    paths = []
    for pattern in every_pattern():
        path = _fill(pattern, world)
        if path is not None:
            paths.append(path)
    # The admin's app index pages (a regex route, one per app).
    for name, kwargs in world.kwargs.items():
        if name.startswith("admin:app_list:"):
            paths.append(f"/admin/{kwargs['app_label']}/")
    return sorted(set(paths))


# --- the requests --------------------------------------------------------------------------------


def _clients(world: World) -> dict[str, Client]:
    clients = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        user = world.users[role]
        if user is not None:
            client.force_login(user)
        clients[role] = client
    return clients


class KeysRead:
    """Records which query-string keys a request reads (QueryDict lookups), to aim the
    hostile values at the keys each page really uses."""

    def __init__(self, monkeypatch):
        self.keys: set[str] = set()
        recorder = self

        for name in ("get", "getlist", "__getitem__", "__contains__"):
            original = getattr(QueryDict, name)

            def spy(self, key, *args, _original=original, **kwargs):
                if isinstance(key, str):
                    recorder.keys.add(key)
                return _original(self, key, *args, **kwargs)

            monkeypatch.setattr(QueryDict, name, spy)

    def around(self, call):
        self.keys = set()
        result = call()
        return result, set(self.keys) & set(QUERY_KEYS)


def _get(client: Client, path: str, query: str = "") -> tuple[int, str]:
    url = path + ("?" + query if query else "")
    return client.get(url).status_code, url


QUERY_KEYS = query_keys()
VALUES = st.one_of(
    st.sampled_from(HOSTILE_VALUES + MORE_VALUES),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.dates().map(lambda day: day.isoformat()),
    st.text(max_size=20),
)
# Per key, alone: the values that broke pages before (dates, numbers, NUL, length).
EXTREMES = ("9999-12-31", "99999999999999999999999", "a\x00b", "x" * 5000)
# The admin is Django's (and django-import-export's): every key at once with these only.
ADMIN_VALUES = ("9999-12-31", "99999999999999999999999", "")
FUZZ_EXAMPLES = 60


def test_every_get_url_has_a_sample_and_reads_known_keys(world):
    paths = _paths(world)
    assert len(paths) > 200  # the site's pages and the admin's
    for key in ("semaine", "debut", "fin", "du", "au", "page", "apres", "structure", "etape"):
        assert key in QUERY_KEYS, key


@pytest.mark.parametrize("role", ROLES)
def test_no_get_url_gives_a_server_error(world, role, monkeypatch, record_property):
    """As this role, each path: bare; then on the pages the role may open, every known key at
    once with each hostile value, and each key the page read alone at each extreme; then
    hypothesis draws pages, keys and values."""
    _no_pdf_layout(monkeypatch)
    _production_templates(monkeypatch)
    spy = KeysRead(monkeypatch)
    client = _clients(world)[role]
    errors, requests, opened = [], 0, {}
    for path in _paths(world):
        (status, url), keys = spy.around(lambda path=path: _get(client, path))
        requests += 1
        if status >= 500:
            errors.append(url)
            continue
        if status != 200:
            continue
        opened[path] = sorted(keys)
        if path.startswith("/admin/"):
            queries = [urlencode(dict.fromkeys(QUERY_KEYS, value)) for value in ADMIN_VALUES]
        else:
            queries = [urlencode(dict.fromkeys(QUERY_KEYS, value)) for value in HOSTILE_VALUES]
            queries += [urlencode({key: value}) for key in keys for value in EXTREMES]
        for query in queries:
            status, url = _get(client, path, query)
            requests += 1
            if status >= 500:
                errors.append(url)

    if opened:
        page_keys = sorted({key for keys in opened.values() for key in keys} or QUERY_KEYS)

        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        @given(
            path=st.sampled_from(sorted(opened)),
            pairs=st.lists(
                st.tuples(st.sampled_from(page_keys) | st.sampled_from(QUERY_KEYS), VALUES),
                min_size=1,
                max_size=4,
            ),
        )
        def fuzz(path, pairs):
            status, url = _get(client, path, urlencode(pairs))
            assert status < 500, url

        try:
            fuzz()
        except AssertionError as error:
            errors.append(str(error))
        requests += FUZZ_EXAMPLES
    record_property("requests", requests)
    print(f"{role}: {requests} requests, {len(opened)} pages opened")  # noqa: T201
    assert not errors, f"{len(errors)} server errors as {role}:\n" + "\n".join(
        error[:300] for error in errors[:40]
    )


def _production_templates(monkeypatch):
    """Templates render as in production: an undefined variable is empty text. (Elsewhere the
    suite makes it loud, tests/conftest.py; here third-party templates, the admin's and
    django-otp's, would count as server errors they are not.)"""
    from django.template import engines

    monkeypatch.setattr(engines["django"].engine, "string_if_invalid", "")


def _no_pdf_layout(monkeypatch):
    """The PDFs' templates are rendered (a template error is a 500 like any other), but not
    laid out by WeasyPrint: a second per PDF times hundreds of requests."""
    import weasyprint

    class FakeDocument:
        pages = []

        def write_pdf(self, *args, **kwargs):
            return b"%PDF-1.7\n%fake\n"

        def copy(self, pages):
            return self

    class FakeHTML:
        def __init__(self, *args, string=None, **kwargs):
            assert string is not None

        def render(self, *args, **kwargs):
            return FakeDocument()

        def write_pdf(self, *args, **kwargs):
            return b"%PDF-1.7\n%fake\n"

    monkeypatch.setattr(weasyprint, "HTML", FakeHTML)
