"""Pages of the loan scheme. Thin: validate a form, read through selectors, call one service,
and turn a refusal into a French message. Another organisation's row is a 404."""

import itertools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from acteurs import access_log
from ateliers import selectors as ateliers_selectors
from core.views import attempt
from documents.rendering import render_pdf
from documents.responses import csv_response, pdf_response
from parc.codes import MistypedCode, NotACode, normalize_code

from . import matching, pricing, selectors, services
from .forms import (
    AllocateForm,
    DayForm,
    EligibilityCheckForm,
    EndLoanForm,
    FeeRefundForm,
    FollowUpForm,
    LoanStartForm,
    NoteForm,
    RejectForm,
    RenewForm,
    RequestForm,
    ReturnForm,
    SaleForm,
    StateFilterForm,
    VoucherFilterForm,
    VoucherForm,
    default_due,
)
from .models import DEFAULT_LOAN_CONDITIONS, LoanState, Mode, RequestState
from .permissions import (
    can_follow_request,
    can_work_request,
    desk_organisation_ids,
    is_desk_for,
    is_prescriber_for,
    prescribing_organisation_ids,
)


def _page(request, queryset):
    return Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _form_page(request, form, *, title, submit, back_url, back_label, intro="", danger=False):
    return render(
        request,
        "prets/form_page.html",
        {
            "form": form,
            "title": title,
            "submit_label": submit,
            "back_url": back_url,
            "back_label": back_label,
            "intro": intro,
            "danger": danger,
        },
    )


# --- requests -------------------------------------------------------------------------------


@login_required
def request_list(request):
    if not prescribing_organisation_ids(request.user):
        if desk_organisation_ids(request.user):
            return redirect("prets:queue")
        raise PermissionDenied
    form = StateFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.request_list(request.user, state=data.get("etat", ""), q=data.get("q", ""))
    page = _page(request, queryset)
    access_log.record_list(request, [r.household for r in page], what=_("liste des demandes"))
    return render(
        request,
        "prets/request_list.html",
        {"form": form, "page": page, "query": _query_without_page(request)},
    )


QUEUE_TABS = (
    (RequestState.SUBMITTED, "À traiter"),
    (RequestState.APPROVED, "À équiper"),
)


@login_required
def request_queue(request):
    if not desk_organisation_ids(request.user):
        raise PermissionDenied
    state = request.GET.get("etat", RequestState.SUBMITTED)
    if state not in (RequestState.SUBMITTED, RequestState.APPROVED):
        state = RequestState.SUBMITTED
    page = _page(request, selectors.request_queue(request.user, state=state))
    access_log.record_list(request, [r.household for r in page], what=_("demandes reçues"))
    return render(
        request,
        "prets/queue.html",
        {
            "page": page,
            "state": state,
            "tabs": [(value, _(label)) for value, label in QUEUE_TABS],
            "query": _query_without_page(request),
        },
    )


@login_required
def request_detail(request, pk):
    device_request = selectors.request_for(request.user, pk)
    access_log.record_access(
        request,
        device_request.household,
        what=_("demande n° %(n)s") % {"n": device_request.pk},
    )
    follows = can_follow_request(request.user, device_request)
    works = can_work_request(request.user, device_request)
    allocation = selectors.active_allocation(device_request)
    state = device_request.state
    context = {
        "req": device_request,
        "events": selectors.request_history(device_request),
        "allocation": allocation,
        "follows": follows,
        "works": works,
        "can_submit": follows and state == RequestState.DRAFT,
        "can_cancel": (follows or works)
        and state in (RequestState.DRAFT, RequestState.SUBMITTED, RequestState.APPROVED),
        "can_decide": works and state == RequestState.SUBMITTED,
        "can_allocate": works and state == RequestState.APPROVED and allocation is None,
        "can_hand_over": works and state == RequestState.APPROVED and allocation is not None,
        "eligibility_valid": device_request.eligibility is not None
        and device_request.eligibility.is_valid_on(),
        "note_form": NoteForm(initial={"expected_state": state}),
        "reject_form": RejectForm(initial={"expected_state": state}),
    }
    if context["can_hand_over"]:
        context["handover"] = services.handover_check(device_request)
    if state == RequestState.FULFILLED:
        context["loan"] = getattr(device_request, "loan", None)
        context["sale"] = getattr(device_request, "sale", None)
    return render(request, "prets/request_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request, pk):
    household = selectors.household_for_prescriber(request.user, pk)
    if household.is_anonymised:
        raise Http404
    checks = selectors.valid_eligibility_checks(household.pk)
    form = RequestForm(request.POST or None, refurbishers=selectors.refurbishers(), checks=checks)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = attempt(
            request,
            services.request_create,
            request.user,
            household=household,
            refurbisher=data["refurbisher"],
            device_kind=data["device_kind"],
            purpose=data["purpose"],
            mode=data["mode"],
            urgency=data["urgency"],
            training=data["training"],
            eligibility=data["eligibility"],
            details=data["details"],
            consent_informed=data["consent_informed"],
            submit="submit" in request.POST,
            needs=data["needs"],
            needs_consent=data["needs_consent"],
        )
        if outcome:
            created = outcome.value
            if created.state == RequestState.SUBMITTED:
                messages.success(request, _("Demande envoyée à l'association."))
            else:
                messages.success(request, _("Brouillon enregistré."))
            return redirect("prets:request", pk=created.pk)
    return render(
        request,
        "prets/request_form.html",
        {
            "form": form,
            "household": household,
            "has_checks": checks.exists(),
            "recommendation": matching.recommended_profile(household.pk),
        },
    )


REQUEST_ACTIONS = {
    "envoyer": ("submit", NoteForm, _("Demande envoyée à l'association.")),
    "accepter": ("approve", NoteForm, _("Demande acceptée. Attribuez maintenant un appareil.")),
    "refuser": ("reject", RejectForm, _("Demande refusée ; le prescripteur est prévenu.")),
    "annuler": ("cancel", NoteForm, _("Demande annulée.")),
}


@login_required
@require_POST
def request_action(request, pk, action):
    device_request = selectors.request_for(request.user, pk)
    if action not in REQUEST_ACTIONS:
        raise Http404
    name, form_class, done = REQUEST_ACTIONS[action]
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("prets:request", pk=device_request.pk)
    data = form.cleaned_data
    service, extra = {
        "submit": (services.request_submit, {}),
        "approve": (services.request_approve, {"note": data.get("note", "")}),
        "reject": (services.request_reject, {"reason": data.get("reason", "")}),
        "cancel": (services.request_cancel, {"note": data.get("note", "")}),
    }[name]
    attempt(
        request,
        service,
        device_request.pk,
        request.user,
        expected_state=data["expected_state"],
        **extra,
        success=done,
    )
    return redirect("prets:request", pk=device_request.pk)


@login_required
@require_POST
def request_consent(request, pk):
    device_request = selectors.request_for(request.user, pk)
    attempt(request, services.request_consent, device_request.pk, request.user)
    return redirect("prets:request", pk=device_request.pk)


@login_required
@require_http_methods(["GET", "POST"])
def allocate(request, pk):
    device_request = selectors.request_for(request.user, pk)
    if not can_work_request(request.user, device_request):
        raise PermissionDenied
    form = AllocateForm(request.POST or None)
    recommendation = matching.recommended_profile(device_request.household_id)
    if request.method == "POST" and form.is_valid():
        device_id = form.cleaned_data["device"]
        code = form.cleaned_data["code"]
        if not device_id:
            try:
                found = selectors.ready_device_by_code(device_request, normalize_code(code))
            except (MistypedCode, NotACode):
                found = None
            if found is None:
                messages.error(request, _("Aucun appareil de l'association n'a ce code."))
                return redirect("prets:allocate", pk=device_request.pk)
            device_id = found.pk
        allocated = attempt(
            request, services.device_allocate, device_request.pk, device_id, request.user
        )
        if allocated:
            messages.success(
                request,
                _("Appareil %(code)s réservé pour la demande.")
                % {"code": allocated.value.device.public_code},
            )
            return redirect("prets:request", pk=device_request.pk)
    return render(
        request,
        "prets/allocate.html",
        {
            "req": device_request,
            "form": form,
            "suggestions": matching.suggest(device_request, recommendation=recommendation),
            "recommendation": recommendation,
        },
    )


@login_required
@require_POST
def release(request, pk):
    device_request = selectors.request_for(request.user, pk)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    attempt(
        request,
        services.allocation_release,
        device_request.pk,
        request.user,
        note=note,
        success=_("Appareil libéré : il est de nouveau disponible."),
    )
    return redirect("prets:request", pk=device_request.pk)


def _handover_request(request, pk, mode):
    device_request = selectors.request_for(request.user, pk)
    if not can_work_request(request.user, device_request):
        raise PermissionDenied
    allocation = selectors.active_allocation(device_request)
    if device_request.mode != mode or allocation is None:
        messages.error(request, _("Attribuez d'abord un appareil à cette demande acceptée."))
        return device_request, None
    return device_request, allocation


@login_required
@require_http_methods(["GET", "POST"])
def loan_start(request, pk):
    device_request, allocation = _handover_request(request, pk, Mode.LOAN)
    if allocation is None:
        return redirect("prets:request", pk=device_request.pk)
    policy = services.policy_for(device_request.refurbisher_id)
    today = timezone.localdate()
    form = LoanStartForm(
        request.POST or None,
        initial={
            "started_on": today,
            "due_on": default_due(today, policy.default_loan_days),
            "deposit_amount": policy.default_deposit,
            "fee_amount": policy.default_fee,
        },
    )
    if request.method == "POST" and form.is_valid():
        started = attempt(
            request,
            services.loan_start,
            device_request.pk,
            request.user,
            **form.cleaned_data,
            success=_("Prêt commencé. Imprimez la convention en deux exemplaires à signer."),
        )
        if started:
            return redirect("prets:loan", pk=started.value.pk)
    check = services.handover_check(device_request)
    intro = _("Appareil %(code)s pour %(household)s. %(training)s") % {
        "code": allocation.device.public_code,
        "household": device_request.household.name,
        "training": check.message,
    }
    return _form_page(
        request,
        form,
        title=_("Commencer le prêt"),
        submit=_("Remettre l'appareil en prêt"),
        back_url=reverse("prets:request", args=[device_request.pk]),
        back_label=_("Demande n° %(n)s") % {"n": device_request.pk},
        intro=intro,
    )


@login_required
@require_http_methods(["GET", "POST"])
def sale_create(request, pk):
    device_request, allocation = _handover_request(request, pk, Mode.PURCHASE)
    if allocation is None:
        return redirect("prets:request", pk=device_request.pk)
    info = services.price_info(allocation.device)
    form = SaleForm(request.POST or None, initial={"price": info.suggested})
    if request.method == "POST" and form.is_valid():
        sold = attempt(
            request, services.sale_create, device_request.pk, request.user, **form.cleaned_data
        )
        if sold:
            messages.success(
                request,
                _("Vente enregistrée : reçu n° %(n)s.") % {"n": sold.value.receipt_number},
            )
            return redirect("prets:request", pk=device_request.pk)
    if info.cap is not None:
        cap_text = _(
            "Appareil donné par un organisme public : prix plafonné à %(cap)s € (%(source)s)."
        ) % {"cap": formats.localize(info.cap), "source": pricing.CAP_SOURCE}
    else:
        cap_text = _("Pas de prix plafond légal pour cet appareil.")
    intro = _("Appareil %(code)s (%(grade)s). Prix conseillé : %(price)s. %(cap)s") % {
        "code": allocation.device.public_code,
        "grade": allocation.device.get_grade_display() or "–",
        "price": f"{formats.localize(info.suggested)} €" if info.suggested is not None else "–",
        "cap": cap_text,
    }
    return _form_page(
        request,
        form,
        title=_("Vente solidaire"),
        submit=_("Enregistrer la vente"),
        back_url=reverse("prets:request", args=[device_request.pk]),
        back_label=_("Demande n° %(n)s") % {"n": device_request.pk},
        intro=intro,
    )


# --- loans ----------------------------------------------------------------------------------

LOAN_FILTERS = (
    ("open", "en cours"),
    ("overdue", "en retard"),
    ("closed", "terminés"),
)


@login_required
def loan_list(request):
    if not (prescribing_organisation_ids(request.user) or desk_organisation_ids(request.user)):
        raise PermissionDenied
    current = request.GET.get("filtre", "open")
    if current not in dict(LOAN_FILTERS):
        current = "open"
    page = _page(request, selectors.loan_list(request.user, filter=current))
    access_log.record_list(request, [loan.household for loan in page], what=_("liste des prêts"))
    return render(
        request,
        "prets/loan_list.html",
        {
            "page": page,
            "current": current,
            "filters": [(value, _(label)) for value, label in LOAN_FILTERS],
            "query": _query_without_page(request),
            "today": timezone.localdate(),
        },
    )


@login_required
def loan_detail(request, pk):
    loan = selectors.loan_for(request.user, pk)
    access_log.record_access(request, loan.household, what=_("prêt n° %(n)s") % {"n": loan.pk})
    works = is_desk_for(request.user, loan.organisation_id)
    is_open = loan.state == LoanState.OPEN
    return render(
        request,
        "prets/loan_detail.html",
        {
            "loan": loan,
            "works": works,
            "is_open": is_open,
            "follow_ups": selectors.loan_follow_ups(loan),
            "events": selectors.loan_history(loan),
            "follow_up_form": FollowUpForm(),
            "day_form": DayForm(),
            "overdue": loan.is_overdue(),
            "inspection": getattr(loan, "inspection", None),
            "training": selectors.training_status(loan),
            "vouchers": selectors.vouchers_paying(loan) if loan.fee_amount else [],
            "progress": [
                row
                for row in ateliers_selectors.progress(household_id=loan.household_id)
                if row.households
            ],
        },
    )


def _loan_form_page(request, loan, form, title, submit, danger=False, intro=""):
    return _form_page(
        request,
        form,
        title=title,
        submit=submit,
        back_url=reverse("prets:loan", args=[loan.pk]),
        back_label=_("Prêt n° %(n)s") % {"n": loan.pk},
        danger=danger,
        intro=intro,
    )


LOAN_FORMS = {
    "renouveler": (RenewForm, _("Renouveler le prêt"), _("Renouveler")),
    "retour": (ReturnForm, _("Retour de l'appareil"), _("Enregistrer le retour")),
    "ceder": (EndLoanForm, _("Céder l'appareil au foyer"), _("Le foyer garde l'appareil")),
    "rembourser-frais": (
        FeeRefundForm,
        _("Rembourser les frais de prêt"),
        _("Enregistrer le remboursement"),
    ),
    "perte": (EndLoanForm, _("Déclarer perdu ou volé"), _("Déclarer perdu ou volé")),
}


@login_required
@require_http_methods(["GET", "POST"])
def loan_action(request, pk, action):
    loan = selectors.loan_for(request.user, pk)
    if action not in LOAN_FORMS:
        raise Http404
    if not is_desk_for(request.user, loan.organisation_id):
        raise PermissionDenied
    form_class, title, submit = LOAN_FORMS[action]
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if action == "renouveler":
            service, kwargs = services.loan_renew, data
            done = _("Prêt renouvelé jusqu'au %(d)s.") % {"d": data["due_on"].strftime("%d/%m/%Y")}
        elif action == "retour":
            service, kwargs = services.loan_take_back, data
            done = _(
                "Retour enregistré. L'appareil est « Retourné » : il doit être effacé "
                "à nouveau avant un autre prêt."
            )
        elif action == "rembourser-frais":
            service, kwargs = services.loan_fee_refund, data
            done = _("Remboursement des frais de prêt enregistré.")
        elif action == "ceder":
            service, kwargs = services.loan_transfer, {"day": data["day"], "note": data["note"]}
            done = _("Prêt terminé : le foyer garde l'appareil.")
        else:
            service, kwargs = services.loan_declare_lost, {"day": data["day"], "note": data["note"]}
            done = _("Appareil déclaré perdu ou volé.")
        if attempt(request, service, loan.pk, request.user, **kwargs, success=done):
            return redirect("prets:loan", pk=loan.pk)
    intro = ""
    if action == "renouveler":
        intro = _("Échéance actuelle : %(d)s.") % {"d": loan.due_on.strftime("%d/%m/%Y")}
    elif action == "rembourser-frais":
        intro = _(
            "Frais de prêt : %(fee)s €, %(status)s. Rembourser les frais les retire des recettes "
            "du modèle économique ; un chèque numérique qui les a réglés ne doit plus être "
            "présenté à son émetteur."
        ) % {"fee": formats.localize(loan.fee_amount), "status": loan.fee_status}
    return _loan_form_page(
        request, loan, form, title, submit, danger=action == "perte", intro=intro
    )


@login_required
@require_POST
def loan_follow_up(request, pk):
    loan = selectors.loan_for(request.user, pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            services.loan_follow_up,
            loan.pk,
            request.user,
            **form.cleaned_data,
            success=_("Suivi enregistré."),
        )
    else:
        messages.error(request, _("Vérifiez le type et la date du suivi."))
    return redirect("prets:loan", pk=loan.pk)


LOAN_DATES = {
    "frais-regles": _("Frais de prêt enregistrés comme réglés."),
    "caution-versee": _("Caution enregistrée comme versée."),
    "caution-rendue": _("Caution enregistrée comme rendue."),
    "convention-signee": _("Signature de la convention enregistrée."),
}


@login_required
@require_POST
def loan_date(request, pk, action):
    loan = selectors.loan_for(request.user, pk)
    if action not in LOAN_DATES:
        raise Http404
    form = DayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez une date valide."))
        return redirect("prets:loan", pk=loan.pk)
    day = form.cleaned_data["day"]
    if action == "convention-signee":
        service, kwargs = services.loan_agreement_signed, {}
    elif action == "frais-regles":
        service, kwargs = services.loan_fee_paid, {}
    else:
        kind = "paid" if action == "caution-versee" else "refunded"
        service, kwargs = services.loan_deposit, {"action": kind}
    attempt(request, service, loan.pk, request.user, day=day, **kwargs, success=LOAN_DATES[action])
    return redirect("prets:loan", pk=loan.pk)


@login_required
def loan_agreement(request, pk):
    loan = selectors.loan_for(request.user, pk)
    access_log.record_access(
        request,
        loan.household,
        what=_("convention du prêt n° %(n)s (PDF)") % {"n": loan.pk},
        action="export",
    )
    policy = services.policy_for(loan.organisation_id)
    pdf = render_pdf(
        "prets/pdf/convention.html",
        {
            "loan": loan,
            "conditions": policy.loan_conditions or DEFAULT_LOAN_CONDITIONS,
            "printed_on": timezone.localdate(),
        },
    )
    return pdf_response(pdf, f"convention-pret-{loan.pk}.pdf", inline=True)


@login_required
def sale_receipt(request, pk):
    sale = selectors.sale_for(request.user, pk)
    access_log.record_access(
        request,
        sale.household,
        what=_("reçu n° %(n)s (PDF)") % {"n": sale.receipt_number},
        action="export",
    )
    pdf = render_pdf("prets/pdf/receipt.html", {"sale": sale})
    return pdf_response(pdf, f"recu-{sale.receipt_number}.pdf", inline=True)


# --- households -----------------------------------------------------------------------------


@login_required
def household_file(request, pk):
    household = selectors.household_file(request.user, pk)
    access_log.record_access(request, household, what=_("dossier équipement"))
    prescribes = is_prescriber_for(request.user, household.organisation_id)
    return render(
        request,
        "prets/household_file.html",
        {
            "household": household,
            "prescribes": prescribes,
            "anonymised": household.is_anonymised,
            "checks": selectors.eligibility_checks(household) if prescribes else [],
            "requests": selectors.household_requests(request.user, household),
            "loans": selectors.household_loans(request.user, household),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def eligibility_add(request, pk):
    household = selectors.household_for_prescriber(request.user, pk)
    form = EligibilityCheckForm(request.POST or None, criteria=selectors.active_criteria())
    if (
        request.method == "POST"
        and form.is_valid()
        and attempt(
            request,
            services.eligibility_check_record,
            household.pk,
            request.user,
            **form.cleaned_data,
            success=_("Vérification d'éligibilité enregistrée."),
        )
    ):
        return redirect("prets:household", pk=household.pk)
    return _form_page(
        request,
        form,
        title=_("Vérifier l'éligibilité"),
        submit=_("Enregistrer la vérification"),
        back_url=reverse("prets:household", args=[household.pk]),
        back_label=household.name,
        intro=_(
            "Notez le critère et le type de justificatif vu. Ne conservez ni copie ni montant "
            "de ressources."
        ),
    )


# --- digital-inclusion vouchers (issue 15) ----------------------------------------------------


def _voucher_page(request, *, target, ids: dict, back_url, back_label, intro):
    """The voucher form of a sale or a loan: one service, one rule for both."""
    if not is_desk_for(request.user, target.organisation_id):
        raise PermissionDenied
    form = VoucherForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        sale_id = ids.pop("sale_id", None)
        recorded = attempt(
            request,
            services.voucher_record,
            sale_id,
            request.user,
            **ids,
            **form.cleaned_data,
            success=_("Chèque enregistré."),
        )
        if recorded:
            return redirect(back_url)
        if recorded.error is not None and getattr(recorded.error, "field", None) in form.fields:
            form.add_error(recorded.error.field, recorded.error.message)
    return render(
        request,
        "prets/voucher_form.html",
        {
            "form": form,
            "vouchers": selectors.vouchers_paying(target),
            "back_url": back_url,
            "back_label": back_label,
            "intro": intro,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def voucher_add(request, pk):
    sale = selectors.sale_for(request.user, pk)
    return _voucher_page(
        request,
        target=sale,
        ids={"sale_id": sale.pk},
        back_url=reverse("prets:request", args=[sale.request_id]),
        back_label=_("Demande n° %(n)s") % {"n": sale.request_id},
        intro=_("Vente n° %(n)s, %(price)s €.") % {"n": sale.receipt_number, "price": sale.price},
    )


@login_required
@require_http_methods(["GET", "POST"])
def loan_voucher_add(request, pk):
    loan = selectors.loan_for(request.user, pk)
    if not loan.fee_amount:
        raise Http404
    return _voucher_page(
        request,
        target=loan,
        ids={"loan_id": loan.pk},
        back_url=reverse("prets:loan", args=[loan.pk]),
        back_label=_("Prêt n° %(n)s") % {"n": loan.pk},
        intro=_("Frais du prêt n° %(n)s, %(price)s €.") % {"n": loan.pk, "price": loan.fee_amount},
    )


def _voucher_list(request):
    form = VoucherFilterForm(request.GET or None)
    start, end = form.period(timezone.localdate())
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    vouchers = selectors.vouchers_for_reconciliation(
        request.user,
        start=start,
        end=end,
        scheme=data.get("dispositif", ""),
        issuer=data.get("emetteur", ""),
    )
    return form, start, end, vouchers


def _without_page(query) -> str:
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def vouchers(request):
    if not selectors.desk_organisation_ids(request.user):
        raise PermissionDenied
    form, start, end, found = _voucher_list(request)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "prets/vouchers.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "page": page,
            "totals": selectors.voucher_totals(found),
            "query": _without_page(request.GET),
        },
    )


@login_required
def vouchers_export(request):
    if not selectors.desk_organisation_ids(request.user):
        raise PermissionDenied
    _form, start, end, found = _voucher_list(request)
    header = [
        _("Émetteur"),
        _("Dispositif"),
        _("Numéro"),
        _("Valeur (€)"),
        _("Reçu le"),
        _("Reçu de vente"),
        _("Prêt (frais)"),
        _("Frais remboursés le (chèque à ne pas présenter)"),
        _("Organisation"),
    ]
    rows = (
        [
            voucher.issuer,
            voucher.get_scheme_display(),
            voucher.number,
            formats.localize(voucher.value),
            voucher.received_on.strftime("%d/%m/%Y"),
            voucher.sale.receipt_number if voucher.sale_id else "",
            voucher.loan_id or "",
            voucher.loan.fee_refunded_on.strftime("%d/%m/%Y")
            if voucher.loan_id and voucher.loan.fee_refunded_on
            else "",
            voucher.organisation.name,
        ]
        for voucher in found.iterator(chunk_size=2000)
    )
    return csv_response(
        itertools.chain([header], rows),
        f"cheques-numeriques-{start:%Y%m%d}-{end:%Y%m%d}.csv",
    )
