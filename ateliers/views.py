"""Workshop pages. Thin: validate a form, read through selectors, call one service, and turn
a refusal into a French message (never a 500)."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from acteurs import access_log
from acteurs.selectors import communes_for, household_for, households_visible_to
from core.bounds import parse_id
from core.errors import ApplicationError
from core.views import attempt
from documents.rendering import render_pdf
from documents.responses import csv_stream_response, file_response, pdf_response

from . import impact, ords_csv, pix, selectors, services
from .forms import (
    AssessmentForm,
    AttendanceForm,
    AutonomySharingForm,
    EnrolForm,
    ImportForm,
    ProgressFilterForm,
    RepairForm,
    SessionFilterForm,
    SessionForm,
    WeekForm,
)
from .permissions import is_team, sees_sessions, team_organisation_ids


def _render(request, template, context, status=200):
    """render() with what the workshop sub-navigation needs."""
    context["team_nav"] = bool(team_organisation_ids(request.user))
    return render(request, template, context, status=status)


def _require_sessions(user):
    if not sees_sessions(user):
        raise PermissionDenied


def _require_team(user):
    if not team_organisation_ids(user):
        raise PermissionDenied


# --- sessions ---------------------------------------------------------------------------------


@login_required
def session_list(request):
    _require_sessions(request.user)
    form = SessionFilterForm(
        request.GET or None,
        workshop_types=selectors.workshop_types(),
        organisations=selectors.session_organisations(),
    )
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.SessionFilters(
        workshop_type=data.get("atelier"),
        organisation=data.get("organisation"),
        when=data.get("quand") or "upcoming",
        mine=bool(data.get("miennes")),
    )
    paginator = Paginator(selectors.session_list(request.user, filters), settings.PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        request,
        "ateliers/session_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_create": bool(team_organisation_ids(request.user)),
            "when": filters.when,
            "now": timezone.now(),
        },
    )


@login_required
def session_week(request):
    _require_sessions(request.user)
    week_form = WeekForm(request.GET)
    day = week_form.day()
    if week_form.error:
        messages.error(request, week_form.error + " " + _("Voici la semaine en cours."))
    days = selectors.week(request.user, day)
    monday = days[0][0]
    return _render(
        request,
        "ateliers/session_week.html",
        {
            "days": days,
            "monday": monday,
            "sunday": monday + dt.timedelta(days=6),
            "previous": monday - dt.timedelta(days=7),
            "next": monday + dt.timedelta(days=7),
            "today": timezone.localdate(),
        },
    )


def _session_form(request, *, instance=None):
    organisations = selectors.team_organisations(request.user)
    if instance is not None:
        facilitator_orgs = [instance.organisation_id]
    else:
        facilitator_orgs = team_organisation_ids(request.user)
    return SessionForm(
        request.POST or None,
        instance=instance,
        workshop_types=selectors.workshop_types(),
        organisations=organisations,
        communes=communes_for(request.user),
        facilitators=selectors.facilitators_for(facilitator_orgs),
        editing=instance is not None,
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_create(request):
    _require_team(request.user)
    form = _session_form(request)
    if request.method == "POST" and form.is_valid():
        created = attempt(
            request,
            services.session_create,
            actor=request.user,
            **form.cleaned_data,
            success=_("Séance créée."),
        )
        if created:
            return redirect("ateliers:session", pk=created.value.pk)
    elif request.method == "GET":
        form.initial.setdefault("facilitator", request.user.pk)
    return _render(request, "ateliers/session_form.html", {"form": form, "session": None})


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request, pk):
    session = selectors.team_session_for(request.user, pk)
    form = _session_form(request, instance=session)
    if (
        request.method == "POST"
        and form.is_valid()
        and attempt(
            request,
            services.session_update,
            session.pk,
            actor=request.user,
            **form.cleaned_data,
            success=_("Séance mise à jour."),
        )
    ):
        return redirect("ateliers:session", pk=session.pk)
    return _render(request, "ateliers/session_form.html", {"form": form, "session": session})


def _show_shared_levels(request, session, enrolments, what) -> dict:
    """Another organisation's households that consented to share their autonomy level with
    the session's organisation: the level only (``enrolment.shared_level``), for the
    session's team, each read recorded in the household's access log. The session page, the
    roll call and the assessment form show it, with the same check."""
    shared_levels = selectors.shared_autonomy_levels(request.user, session, enrolments)
    for enrolment in enrolments:
        enrolment.shared_level = shared_levels.get(enrolment.household_id)
    access_log.record_accesses(
        request,
        [e.household for e in enrolments if e.household_id in shared_levels],
        what=what % {"n": session.pk},
    )
    return shared_levels


@login_required
def session_detail(request, pk):
    session = selectors.session_for(request.user, pk)
    team = is_team(request.user, session.organisation_id)
    enrolments = selectors.session_enrolments(session, request.user)
    access_log.record_list(
        request, [e.household for e in enrolments], what=_("inscrits d'une séance")
    )
    shared_levels = _show_shared_levels(
        request, session, enrolments, _("niveau d'autonomie partagé (séance n° %(n)s)")
    )
    now = timezone.now()
    households = selectors.enrollable_households(request.user, session)
    can_enrol = not session.workshop_type.is_repair and not session.has_ended(now)
    context = {
        "session": session,
        "team": team,
        "confirmed": [e for e in enrolments if e.status == "confirmed"],
        "waiting": [e for e in enrolments if e.status == "waiting"],
        "enrol_form": EnrolForm(households=households) if can_enrol else None,
        "started": session.has_started(now),
        "competences": pix.competences_by_domain(session.workshop_type.competences),
        "seats_left": max(session.capacity - session.confirmed_count, 0),
        "shared_levels": shared_levels,
    }
    if team and session.workshop_type.is_repair:
        context["repairs"] = selectors.session_repairs(session)
        context["averted_source"] = impact.SOURCE
    return _render(request, "ateliers/session_detail.html", context)


# --- enrolments and attendance ----------------------------------------------------------------


@login_required
@require_POST
def enrol(request, pk):
    session = selectors.session_for(request.user, pk)
    # Any household the user sees passes the form: one already enrolled (a stale page, a
    # second tab) gets the service's message saying so.
    form = EnrolForm(request.POST, households=households_visible_to(request.user))
    if not form.is_valid():
        messages.error(request, _("Choisissez un foyer de votre organisation."))
        return redirect("ateliers:session", pk=session.pk)
    enrolled = attempt(
        request, services.enrol, session.pk, form.cleaned_data["household"].pk, actor=request.user
    )
    if enrolled:
        enrolment = enrolled.value
        if enrolment.status == "confirmed":
            messages.success(
                request, _("%(name)s est inscrit.") % {"name": enrolment.household.name}
            )
        else:
            messages.warning(
                request,
                _(
                    "La séance est complète : %(name)s est sur la liste d'attente. Il sera "
                    "inscrit si une place se libère, et vous recevrez un courriel."
                )
                % {"name": enrolment.household.name},
            )
    return redirect("ateliers:session", pk=session.pk)


@login_required
@require_POST
def enrolment_cancel(request, pk):
    enrolment = selectors.enrolment_for(request.user, pk)
    cancelled = attempt(request, services.enrolment_cancel, enrolment.pk, actor=request.user)
    if cancelled:
        promoted = cancelled.value
        text = _("Inscription de %(name)s annulée.") % {"name": enrolment.household.name}
        if promoted is not None:
            text += " " + _("%(name)s quitte la liste d'attente et prend la place.") % {
                "name": promoted.household.name
            }
        messages.success(request, text)
    return redirect("ateliers:session", pk=enrolment.session_id)


@login_required
@require_http_methods(["GET", "POST"])
def attendance(request, pk):
    session = selectors.team_session_for(request.user, pk)
    if not session.has_started():
        messages.error(
            request,
            _("La séance n'a pas encore commencé : les présences se notent pendant ou après."),
        )
        return redirect("ateliers:session", pk=session.pk)
    enrolments = [
        e for e in selectors.session_enrolments(session, request.user) if e.status == "confirmed"
    ]
    access_log.record_list(
        request, [e.household for e in enrolments], what=_("présences d'une séance")
    )
    shared_levels = _show_shared_levels(
        request, session, enrolments, _("niveau d'autonomie partagé (appel, séance n° %(n)s)")
    )
    form = AttendanceForm(request.POST or None, enrolments=enrolments)
    if request.method == "POST" and form.is_valid():
        recorded = attempt(
            request, services.attendance_record, session.pk, actor=request.user, marks=form.marks()
        )
        if recorded:
            messages.success(
                request,
                _("Présences enregistrées (%(n)d modification(s)).") % {"n": recorded.value},
            )
            return redirect("ateliers:session", pk=session.pk)
    return _render(
        request,
        "ateliers/attendance.html",
        {"session": session, "form": form, "shared_levels": shared_levels},
    )


@login_required
def attendance_sheet(request, pk):
    """The feuille d'émargement (PDF): printed before the session, signed, kept as proof."""
    session = selectors.team_session_for(request.user, pk)
    enrolments = [
        e for e in selectors.session_enrolments(session, request.user) if e.status == "confirmed"
    ]
    access_log.record_list(
        request, [e.household for e in enrolments], what=_("feuille d'émargement (PDF)")
    )
    pdf = render_pdf(
        "ateliers/attendance_sheet.html",
        {
            "session": session,
            "enrolments": enrolments,
            "blank_rows": range(max(0, min(5, session.capacity - len(enrolments)))),
            "competences": pix.competences_by_domain(session.workshop_type.competences),
            "printed_at": timezone.now(),
        },
    )
    day = timezone.localtime(session.starts_at).strftime("%Y-%m-%d")
    return pdf_response(pdf, f"emargement-{day}-{session.pk}.pdf", inline=True)


# --- assessments and progress -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def assessment_create(request, pk, household_pk):
    """Assess one participant of a session (the session's team)."""
    session = selectors.team_session_for(request.user, pk)
    enrolment = next(
        (
            e
            for e in selectors.session_enrolments(session, request.user)
            if e.household_id == household_pk and e.status == "confirmed"
        ),
        None,
    )
    if enrolment is None:
        messages.error(request, _("Cette personne n'est pas inscrite à cette séance."))
        return redirect("ateliers:session", pk=session.pk)
    access_log.record_access(request, enrolment.household, what=_("évaluation d'autonomie"))
    _show_shared_levels(
        request,
        session,
        [enrolment],
        _("niveau d'autonomie partagé (évaluation, séance n° %(n)s)"),
    )
    form = AssessmentForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and attempt(
            request,
            services.assessment_record,
            actor=request.user,
            household_id=household_pk,
            moment=form.cleaned_data["moment"],
            levels=form.levels(),
            assessed_on=form.cleaned_data["assessed_on"],
            session_id=session.pk,
            success=_("Évaluation de %(name)s enregistrée.") % {"name": enrolment.household.name},
        )
    ):
        return redirect("ateliers:session", pk=session.pk)
    return _render(
        request,
        "ateliers/assessment_form.html",
        {
            "session": session,
            "household": enrolment.household,
            "shared_level": enrolment.shared_level,
            "form": form,
        },
    )


@login_required
def household_workshops(request, pk):
    """A household's workshops: enrolments, attendance, assessments and progress."""
    household = household_for(request.user, pk)
    access_log.record_access(request, household, what=_("ateliers du foyer"))
    return _render(
        request,
        "ateliers/household.html",
        {
            "household": household,
            "enrolments": selectors.household_enrolments(household),
            "assessments": selectors.household_assessments(household),
            "progress": selectors.progress(household_id=household.pk),
            "domains": pix.DOMAINS,
            **_sharing_context(request.user, household),
        },
    )


def _sharing_context(user, household) -> dict:
    if not services.may_record_sharing(user, household):
        return {}
    return {
        "sharings": selectors.autonomy_sharings(household),
        "sharing_form": AutonomySharingForm(
            organisations=selectors.sharing_organisations(household)
        ),
    }


@login_required
@require_POST
def autonomy_sharing_add(request, pk):
    """The household's consent to share its autonomy level, noted by its organisation."""
    household = household_for(request.user, pk)
    if not services.may_record_sharing(request.user, household):
        raise PermissionDenied
    form = AutonomySharingForm(
        request.POST, organisations=selectors.sharing_organisations(household)
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("ateliers:household", pk=household.pk)
    organisation = form.cleaned_data["organisation"]
    attempt(
        request,
        services.autonomy_sharing_grant,
        household.pk,
        organisation.pk,
        actor=request.user,
        success=_(
            "Accord noté : les animateurs de %(org)s voient le dernier niveau d'autonomie "
            "du foyer sur les séances où il est inscrit."
        )
        % {"org": organisation.name},
    )
    return redirect("ateliers:household", pk=household.pk)


@login_required
@require_POST
def autonomy_sharing_withdraw(request, pk):
    sharing_id = parse_id(pk)
    done = attempt(
        request,
        services.autonomy_sharing_withdraw,
        sharing_id,
        actor=request.user,
        success=_("Accord retiré : le niveau d'autonomie n'est plus montré."),
    )
    if done:
        return redirect("ateliers:household", pk=done.value.household_id)
    return redirect("households")


@login_required
def group_progress(request):
    org_ids = team_organisation_ids(request.user)
    if not org_ids:
        raise PermissionDenied
    form = ProgressFilterForm(request.GET or None, workshop_types=selectors.workshop_types())
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    start = data.get("du") or today.replace(month=1, day=1)
    end = data.get("au") or today
    workshop_type = data.get("atelier")
    rows = selectors.progress(
        organisation_ids=org_ids,
        workshop_type_id=workshop_type.pk if workshop_type else None,
        start=start,
        end=end,
    )
    return _render(
        request,
        "ateliers/progress.html",
        {"form": form, "rows": rows, "start": start, "end": end, "workshop_type": workshop_type},
    )


# --- repairs ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def repair_create(request, pk):
    session = selectors.team_session_for(request.user, pk)
    if not session.workshop_type.is_repair:
        messages.error(
            request, _("Les réparations s'enregistrent lors d'un atelier de réparation.")
        )
        return redirect("ateliers:session", pk=session.pk)
    form = RepairForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        recorded = attempt(
            request, services.repair_record, session.pk, actor=request.user, **form.cleaned_data
        )
        if recorded:
            repair = recorded.value
            text = _("Réparation enregistrée : %(item)s.") % {"item": repair}
            if repair.device_id:
                text += " " + _("Elle figure dans l'historique de l'appareil %(code)s.") % {
                    "code": repair.device.public_code
                }
            messages.success(request, text)
            if "_another" in request.POST:
                return redirect("ateliers:repair_create", pk=session.pk)
            return redirect("ateliers:session", pk=session.pk)
    return _render(request, "ateliers/repair_form.html", {"session": session, "form": form})


def _include_imported(request) -> bool:
    return request.GET.get("importees") == "1"


@login_required
@require_http_methods(["GET", "POST"])
def repairs(request):
    """Repair figures (CO2e averted), the ORDS export, and the upload of another café's file
    (which leads to its preview)."""
    organisations = selectors.team_organisations(request.user)
    if not organisations:
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.repairs_import_preview(
                actor=request.user,
                organisation=form.cleaned_data["organisation"],
                upload=form.cleaned_data["fichier"],
            )
        except ApplicationError as error:
            form.add_error("fichier", error.message)
        else:
            return redirect("ateliers:repair_import", pk=batch.pk)
    status = 400 if request.method == "POST" else 200
    return _render(
        request,
        "ateliers/repairs.html",
        {
            "form": form,
            "organisations": organisations,
            "totals": selectors.repair_totals(request.user),
            "include_imported": _include_imported(request),
            "sessions": selectors.repair_sessions(request.user),
            "imports": selectors.repair_imports(request.user),
            "source": impact.SOURCE,
            "reuse_differs": impact.REUSE_DIFFERS,
        },
        status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def repair_import(request, pk):
    """An ORDS file's preview (valid rows, rejected rows and why, notes) and the import of
    its valid rows; afterwards, what was imported."""
    batch = selectors.repair_import_for(request.user, pk)
    status = 200
    if request.method == "POST":
        imported = attempt(
            request, services.repairs_import_confirm, actor=request.user, batch_pk=batch.pk
        )
        if imported:
            rows = imported.value.rows
            messages.success(
                request,
                ngettext("%(n)s réparation importée.", "%(n)s réparations importées.", rows)
                % {"n": intcomma(rows)},
            )
            return redirect("ateliers:repair_import", pk=batch.pk)
        status = getattr(imported.error, "status", 400)
        batch = selectors.repair_import_for(request.user, pk)
    return _render(request, "ateliers/repair_import.html", {"batch": batch}, status)


@login_required
def repair_import_rejected(request, pk):
    """The rejected rows of an ORDS file, in the provider's columns plus « Erreur »."""
    batch = selectors.repair_import_for(request.user, pk)
    if not batch.rejected_file:
        raise Http404
    stem = batch.filename.rsplit(".", 1)[0] or "ords"
    charset = "windows-1252" if batch.encoding == "cp1252" else "utf-8"
    return file_response(
        batch.rejected_file.open("rb"),
        f"{stem}-lignes-rejetees.csv",
        content_type=f"text/csv; charset={charset}",
    )


@login_required
def repairs_export(request, organisation_pk):
    """The organisation's repairs as an ORDS v0.3 CSV (optionally one session's; with
    ``importees=1`` also the records it holds from other providers), streamed."""
    organisation = selectors.team_organisations(request.user).filter(pk=organisation_pk).first()
    if organisation is None:
        raise Http404
    session = None
    session_id = parse_id(request.GET.get("seance"))
    if session_id is not None:
        session = selectors.team_session_for(request.user, session_id)
    imported = _include_imported(request)
    repairs = selectors.repairs_for_export(organisation, session=session, imported=imported)
    day = timezone.localdate().isoformat()
    suffix = "-avec-importees" if imported and session is None else ""
    return csv_stream_response(
        ords_csv.export_lines(repairs.iterator(chunk_size=2000), organisation),
        f"ords-{organisation.pk}-{day}{suffix}.csv",
    )


@login_required
def workshop_types(request):
    _require_sessions(request.user)
    return _render(
        request,
        "ateliers/workshop_types.html",
        {"types": selectors.workshop_types(), "domains": pix.DOMAINS},
    )
