"""Pool pages. Thin: validate a form, read through selectors, call one service, and turn a
refusal into a French message."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from acteurs.list_filters import remembered_filters
from acteurs.permissions import POOL_ROLES, organisations_with_role
from core.bounds import parse_id
from core.errors import ApplicationError
from core.views import attempt, refusal_message
from dons import selectors as dons_selectors
from dons.models import Donation

from . import history, register_selectors, selectors, services
from .evidence import selectors as evidence_selectors
from .extensions import device_page_links
from .forms import (
    BulkActionForm,
    BulkConfirmForm,
    CursorForm,
    DeviceFilterForm,
    DeviceRegisterForm,
    ErasureForm,
    LossForm,
    MarkReadyForm,
    MoveForm,
    NoteForm,
    PartUseForm,
    StorageMediumForm,
    WorkTimeForm,
)
from .models import DeviceKind, State

TRANSITION_FORMS = {"mark_ready": MarkReadyForm, "declare_lost": LossForm}


DEVICE_LIST = "parc.devices"


@login_required
@require_http_methods(["GET", "POST"])
def device_list(request):
    remembered = remembered_filters(request, DEVICE_LIST, DeviceFilterForm.NAMES)
    if request.method == "POST":
        # « Réinitialiser les filtres »: forget them, back to the list as it first shows.
        remembered.forget()
        return redirect("parc:list")
    if remembered.redirect_url and not request.htmx:
        return HttpResponseRedirect(remembered.redirect_url)
    organisations = selectors.organisations_for_filter(request.user)
    locations = selectors.stock_locations_for(request.user)
    form = DeviceFilterForm(request.GET or None, organisations=organisations, locations=locations)
    filters = form.cleaned_data if form.is_valid() else {}
    if form.is_valid():
        remembered.remember()
    for name in ("owner", "location"):
        _read_choices_once(form.fields[name])
    ordering = selectors.DEVICE_ORDERINGS.get(filters.get("tri"))
    cursor = CursorForm(request.GET)
    cursor_data = cursor.cleaned_data if cursor.is_valid() else {}
    page = selectors.keyset_page(
        selectors.device_list_rows(request.user, filters=filters),
        size=settings.PAGE_SIZE,
        ordering=ordering,
        after=cursor_data.get("apres"),
        before=cursor_data.get("avant"),
        count_cap=selectors.SEARCH_COUNT_CAP if filters.get("q") else selectors.COUNT_CAP,
    )
    _prepare_rows_for_display(page.rows)
    query = request.GET.copy()
    query.pop("apres", None)
    query.pop("avant", None)
    can_register = request.user.is_superuser or bool(
        organisations_with_role(request.user, POOL_ROLES)
    )
    template = "parc/_device_rows.html" if request.htmx else "parc/device_list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "sort_links": _sort_links(query, ordering),
            "filtered": remembered.active,
            "can_register": can_register,
            "can_act": can_register,
            "bulk_form": BulkActionForm(),
        },
    )


# Column headers that sort the list: (column, its ordering key ascending, descending).
SORTABLE_COLUMNS = {
    "code": ("code", "-code"),
    "device": ("appareil", "-appareil"),
    "state": ("etat", "-etat"),
}


def _sort_links(query, ordering) -> dict:
    """For each sortable column: the address sorting by it (the other way round if it is
    the current sort) and its ``aria-sort`` value."""
    links = {}
    for column, (ascending, descending) in SORTABLE_COLUMNS.items():
        params = query.copy()
        if ordering.key == ascending:
            params["tri"], state = descending, "ascending"
        elif ordering.key == descending:
            params["tri"], state = ascending, "descending"
        else:
            params["tri"], state = ascending, "none"
        links[column] = {"url": "?" + params.urlencode(), "aria_sort": state}
    return links


def _read_choices_once(field) -> None:
    """The options of a list the template writes itself, read by one plain query.

    Django's own choice iterator counts the rows before reading them when the template
    loops over it, and reads them through a server-side cursor on PostgreSQL (three more
    round trips): a small list of locations costs one query here.
    """
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = [*empty, *((obj.pk, field.label_from_instance(obj)) for obj in field.queryset)]


# A placeholder reversed once per page; public codes are URL-safe (A–Z, 0–9 and a dash).
_CODE_PLACEHOLDER = "FIL-0000000"


def _prepare_rows_for_display(devices) -> None:
    """What each row of the list shows, computed once per page rather than once per row.

    Django's ``get_FOO_display`` rebuilds its choices dictionary at every call and
    ``{% url %}`` resolves the route at every row: together most of the list's render time.
    """
    kinds = {value: capfirst(str(label)) for value, label in DeviceKind.choices}
    states = {value: str(label) for value, label in State.choices}
    url = reverse("parc:device", kwargs={"code": _CODE_PLACEHOLDER})
    for device in devices:
        device.kind_label = kinds.get(device.kind, device.kind)
        device.state_label = states.get(device.state, device.state)
        device.url = url.replace(_CODE_PLACEHOLDER, device.public_code)


@login_required
def device_detail(request, code):
    device = selectors.device_for_page(request.user, code)
    if device.public_code != code:
        # A forgiving reading (lower case, O for 0…) lands on the canonical address.
        return redirect("parc:device", code=device.public_code)
    can_move = not device.is_terminal and device.owner_id in organisations_with_role(
        request.user, POOL_ROLES
    )
    move_form = None
    if can_move:
        locations = selectors.stock_locations_for(request.user, device.owner_id)
        move_form = MoveForm(locations=locations, initial={"location": device.location_id})
        _read_choices_once(move_form.fields["location"])
    return render(
        request,
        "parc/device_detail.html",
        {
            "device": device,
            "events": history.attach_links(request.user, selectors.device_history(device)),
            "evidence": evidence_selectors.evidence_for_device(device),
            "transitions": selectors.transitions_for(device, request.user),
            "move_form": move_form,
            "can_move": can_move,
            "extra_links": device_page_links(request, device),
        },
    )


def _transition_or_404(device, user, name):
    for info in selectors.transitions_for(device, user):
        if info.name == name:
            return info
    return None


@login_required
@require_http_methods(["GET", "POST"])
def device_transition(request, code, name):
    device = selectors.device_with_records(request.user, code)
    if name not in services.WORKSHOP_TRANSITIONS:
        raise Http404
    info = services.TRANSITIONS[name]
    if _transition_or_404(device, request.user, name) is None:
        messages.error(
            request,
            _("Action « %(action)s » impossible : l'appareil est « %(state)s ».")
            % {"action": info.label, "state": device.get_state_display()},
        )
        return redirect("parc:device", code=device.public_code)
    form_class = TRANSITION_FORMS.get(name, NoteForm)
    form_kwargs = {"kind": device.kind} if form_class is MarkReadyForm else {}
    if request.method == "POST":
        form = form_class(request.POST, **form_kwargs)
        if form.is_valid() and attempt(
            request, _run_transition_form, device, name, request.user, form
        ):
            device.refresh_from_db(fields=["state"])
            messages.success(
                request,
                _("%(action)s : fait. L'appareil est maintenant « %(state)s ».")
                % {"action": info.label, "state": device.get_state_display()},
            )
            return redirect("parc:device", code=device.public_code)
    else:
        form = form_class(initial={"expected_state": device.state}, **form_kwargs)
    context = {"device": device, "info": info, "form": form}
    if name == "wipe":
        context.update(_wipe_context(device))
    return render(request, "parc/device_transition.html", context)


def _run_transition_form(device, name, user, form):
    data = form.cleaned_data
    common = {"expected_state": data["expected_state"], "note": data.get("note", "")}
    if name == "mark_ready":
        return services.device_mark_ready(
            device.pk,
            user,
            checklist=form.checklist(),
            grade=data["grade"],
            os_installed=data["os_installed"],
            parts_replaced=data["parts_replaced"],
            usage_profile_id=data["usage_profile"].pk if data["usage_profile"] else None,
            adaptations=form.adaptations(),
            **common,
        )
    service = {
        "start_triage": services.device_start_triage,
        "wipe": services.device_wipe,
        "start_refurbishment": services.device_start_refurbishment,
        "dismantle": services.device_dismantle,
        "recycle": services.device_recycle,
        "declare_lost": services.device_declare_lost,
    }[name]
    return service(device.pk, user, **common)


def _wipe_context(device, *, failed_erasure=None, medium_form=None):
    """Each medium with its erasures and its own erasure form (prefixed: unique field ids)."""
    lacking = {m.pk for m in device.media_lacking_erasure()}
    media = []
    for medium in device.storage_media.all():
        form = failed_erasure
        if form is None or form.prefix != ErasureForm.prefix_for(medium.pk):
            form = ErasureForm(prefix=ErasureForm.prefix_for(medium.pk))
        media.append(
            {
                "medium": medium,
                "erasures": list(medium.erasures.all()),
                "erased": medium.pk not in lacking,
                "form": form,
            }
        )
    return {
        "media": media,
        "storage_missing": device.storage_missing(),
        "medium_form": medium_form or StorageMediumForm(),
        "can_record_erasure": device.state in services.ERASURE_STATES,
    }


def _wipe_page(request, device, **forms):
    context = {
        "device": device,
        "info": services.TRANSITIONS["wipe"],
        "form": NoteForm(initial={"expected_state": device.state}),
        **_wipe_context(device, **forms),
    }
    return render(request, "parc/device_transition.html", context, status=400)


@login_required
@require_POST
def erasure_add(request, code):
    device = selectors.device_with_records(request.user, code)
    try:
        medium_id = int(request.POST.get("medium", ""))
    except ValueError:
        raise Http404 from None
    if medium_id not in {m.pk for m in device.storage_media.all()}:
        raise Http404
    form = ErasureForm(request.POST, request.FILES, prefix=ErasureForm.prefix_for(medium_id))
    if not form.is_valid():
        messages.error(request, _("L'effacement n'a pas été enregistré : corrigez le formulaire."))
        return _wipe_page(request, device, failed_erasure=form)
    attempt(
        request,
        services.erasure_record,
        medium_id,
        request.user,
        **form.cleaned_data,
        success=_("Effacement enregistré."),
    )
    return redirect("parc:transition", code=device.public_code, name="wipe")


@login_required
@require_POST
def medium_add(request, code):
    device = selectors.device_with_records(request.user, code)
    form = StorageMediumForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Le support n'a pas été ajouté : corrigez le formulaire."))
        return _wipe_page(request, device, medium_form=form)
    attempt(
        request,
        services.storage_medium_add,
        device.pk,
        request.user,
        **form.cleaned_data,
        success=_("Support de stockage ajouté."),
    )
    return redirect("parc:transition", code=device.public_code, name="wipe")


@login_required
@require_POST
def device_move(request, code):
    device = selectors.device_with_records(request.user, code)
    form = MoveForm(
        request.POST, locations=selectors.stock_locations_for(request.user, device.owner_id)
    )
    if form.is_valid():
        attempt(
            request,
            services.device_move,
            device.pk,
            request.user,
            form.cleaned_data["location"],
            success=_("Emplacement mis à jour."),
        )
    else:
        messages.error(request, _("Emplacement inconnu."))
    return redirect("parc:device", code=device.public_code)


@login_required
@require_http_methods(["GET", "POST"])
def work_and_parts(request, code):
    """Work time per stage and parts used on a device (issue 15): the pool's members only."""
    device = selectors.device_for_page(request.user, code)
    if device.owner_id not in organisations_with_role(request.user, POOL_ROLES):
        raise PermissionDenied
    parts = selectors.parts_in_stock(device.owner_id)
    work_form = WorkTimeForm(prefix="temps")
    part_form = PartUseForm(parts=parts, prefix="piece")
    if request.method == "POST":
        if "temps-stage" in request.POST:
            work_form = WorkTimeForm(request.POST, prefix="temps")
            if work_form.is_valid() and attempt(
                request,
                services.work_time_record,
                device.pk,
                request.user,
                stage=work_form.cleaned_data["stage"],
                minutes=work_form.cleaned_data["minutes"],
                supported_minutes=work_form.cleaned_data["supported_minutes"] or 0,
                success=_("Temps de travail enregistré."),
            ):
                return redirect("parc:work_and_parts", code=device.public_code)
        else:
            part_form = PartUseForm(request.POST, parts=parts, prefix="piece")
            if part_form.is_valid() and attempt(
                request,
                services.part_use,
                device.pk,
                part_form.cleaned_data["part"].pk,
                request.user,
                quantity=part_form.cleaned_data["quantity"],
                success=_("Pièce enregistrée et retirée du stock."),
            ):
                return redirect("parc:work_and_parts", code=device.public_code)
    work, used = selectors.work_and_parts(device)
    return render(
        request,
        "parc/work_and_parts.html",
        {
            "device": device,
            "work": work,
            "used": used,
            "work_form": work_form,
            "part_form": part_form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def device_register(request):
    org_ids = organisations_with_role(request.user, POOL_ROLES)
    if not org_ids and not request.user.is_superuser:
        raise PermissionDenied
    organisations = selectors.organisations_for_filter(request.user)
    if not request.user.is_superuser:
        organisations = organisations.filter(pk__in=org_ids)
    locations = selectors.stock_locations_for(request.user).filter(organisation__in=organisations)
    donations = dons_selectors.donations_open_for_registration(
        request.user, organisation_ids=organisations.values("pk")
    )
    # ?don=<id>: registering the devices of one donation, from its page.
    preselected = None
    if request.GET.get("don"):
        try:
            preselected = donations.get(pk=parse_id(request.GET["don"]))
        except Donation.DoesNotExist:
            raise Http404 from None
    initial = {}
    if preselected is not None:
        initial = {"donation": preselected.pk, "owner": preselected.gisement.refurbisher_id}
    form = DeviceRegisterForm(
        request.POST or None,
        organisations=organisations,
        locations=locations,
        donations=donations,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            device = services.device_register(
                owner=form.cleaned_data["owner"],
                actor=request.user,
                media=form.storage_media(),
                **form.device_fields(),
            )
        except (ApplicationError, ValidationError) as error:
            # Next to the field it is about, when there is one.
            field = getattr(error, "field", None)
            form.add_error(field if field in form.fields else None, refusal_message(error))
        else:
            messages.success(
                request,
                _("Appareil enregistré sous le code %(code)s.") % {"code": device.public_code},
            )
            if "_another" in request.POST:
                url = reverse("parc:register")
                if device.donation_id:
                    url += f"?don={device.donation_id}"
                return HttpResponseRedirect(url)
            return redirect("parc:device", code=device.public_code)
    suggestion_orgs = [o.pk for o in organisations]
    return render(
        request,
        "parc/device_register.html",
        {
            "form": form,
            "donation": preselected,
            "brands": register_selectors.brand_suggestions(suggestion_orgs),
            "models": register_selectors.model_suggestions(suggestion_orgs),
        },
    )


# --- actions on the ticked devices of the list ------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def device_bulk(request):
    """The ticked devices and the action chosen on the list: a confirmation page listing
    them (GET), then the action device by device (POST), one message per device."""
    if not (request.user.is_superuser or organisations_with_role(request.user, POOL_ROLES)):
        raise PermissionDenied
    locations = selectors.stock_locations_for(request.user)
    if request.method == "POST":
        form = BulkConfirmForm(request.POST, locations=locations)
    else:
        form = BulkConfirmForm(request.GET, locations=locations)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("parc:list")
    devices = selectors.devices_for_bulk(request.user, form.cleaned_data["appareil"])
    if not devices:
        raise Http404
    action = form.cleaned_data["action"]
    if request.method == "POST":
        ids = [device.pk for device in devices]
        if form.is_move:
            outcome = attempt(
                request,
                services.devices_bulk_move,
                ids,
                request.user,
                form.cleaned_data["location"],
            )
        else:
            outcome = attempt(
                request,
                services.devices_bulk_transition,
                ids,
                action,
                request.user,
                expected_states=form.expected_states(),
                note=form.cleaned_data["note"],
            )
        for result in outcome.value or []:
            text = result.message
            if result.code not in text:
                text = f"{result.code} : {text}"
            (messages.success if result.done else messages.error)(request, text)
        return redirect("parc:list")
    info = None if form.is_move else services.TRANSITIONS[action]
    rows = [
        {
            "device": device,
            "applies": True if info is None else device.state in info.sources,
        }
        for device in devices
    ]
    _prepare_rows_for_display(devices)
    if form.is_move:
        _read_choices_once(form.fields["location"])
    return render(
        request,
        "parc/device_bulk.html",
        {
            "form": form,
            "rows": rows,
            "action_label": dict(form.fields["action"].choices)[action],
            "is_move": form.is_move,
            "applicable": sum(row["applies"] for row in rows),
        },
    )
