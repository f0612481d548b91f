"""The Django admin of the acteurs app.

Least privilege: the coordination manages organisations, users and roles here without being a
superuser (its permissions come from its role: acteurs.auth_backends). Households are shown
only to the admins of their own organisation, read-only and without a delete page (a household
is erased through the erase service, on its file); an operator (superuser) may open them.
Every read is recorded (acteurs.access_log) for the organisation's admins to see.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from core.forms import FRENCH_DECIMALS_IN_ADMIN

from . import access_log
from .models import (
    Commune,
    Departement,
    Epci,
    Household,
    Membership,
    Organisation,
    Role,
    User,
)
from .permissions import organisations_with_role


class HouseholdAccessRecordingMixin:
    """Records the households a person sees on a list or a change page of this admin
    (acteurs.access_log: every person, operators one row per household listed).

    ``household_path`` leads from the admin's object to its household (``None`` for the
    household itself)."""

    household_path: str | None = "household"
    access_label = _("administration")

    def _household_of(self, obj):
        return obj if self.household_path is None else getattr(obj, self.household_path)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        changelist = context.get("cl")
        if changelist is not None:
            access_log.record_list(
                request,
                [self._household_of(obj) for obj in changelist.result_list],
                what=f"{self.access_label} : {self.model._meta.verbose_name_plural}",
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = (getattr(response, "context_data", None) or {}).get("original")
        household = self._household_of(obj) if obj is not None else None
        if household is not None:
            access_log.record_access(
                request,
                household,
                what=f"{self.access_label} : {self.model._meta.verbose_name}",
            )
        return response


class MembershipForm(forms.ModelForm):
    """Nobody but an operator changes their own roles (no one grants themselves a way into
    another organisation's households)."""

    def __init__(self, *args, request_user=None, **kwargs):
        self.request_user = request_user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        user = data.get("user") or getattr(self.instance, "user", None)
        actor = self.request_user
        if (
            actor is not None
            and not actor.is_superuser
            and user is not None
            and user.pk == actor.pk
        ):
            raise forms.ValidationError(
                _(
                    "Vous ne pouvez pas modifier vos propres rôles : demandez-le à un autre "
                    "administrateur de la coordination."
                )
            )
        return data


class MembershipInline(admin.TabularInline):
    """On the page of one's own account, the roles are read-only (MembershipForm's rule)."""

    model = Membership
    extra = 1
    autocomplete_fields = ["organisation"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.pk == request.user.pk and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        if obj is not None and obj.pk == request.user.pk and not request.user.is_superuser:
            return False
        return super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.pk == request.user.pk and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


# Fields only an operator sets: who is an operator, and Django's own permissions (Filière's
# permissions follow the roles).
OPERATOR_ONLY_FIELDS = ("is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not request.user.is_superuser:
            # Operators' accounts are managed by operators only.
            queryset = queryset.filter(is_superuser=False)
        return queryset

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [*OPERATOR_ONLY_FIELDS, "last_login", "date_joined"]
        return fields

    def user_change_password(self, request, id, form_url=""):
        # Setting someone else's password would let its holder log in as them: people reset
        # their own password by e-mail; operators may still set one.
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    formfield_overrides = FRENCH_DECIMALS_IN_ADMIN
    list_display = ["name", "short_name", "siret", "commune", "kinds"]
    list_filter = ["is_refurbisher", "is_prescriber", "is_donor", "is_funder", "is_coordinator"]
    search_fields = ["name", "short_name", "siret"]
    autocomplete_fields = ["commune"]
    # A plain multiple select (about a hundred départements): the admin's two-box widget
    # carries ARIA attributes its elements may not have (axe, serious).
    fieldsets = [
        (None, {"fields": ["name", "short_name", "siret"]}),
        (
            _("Coordonnées"),
            {
                "fields": ["street_address", "postcode", "commune", "phone", "email"],
                "description": _(
                    "Imprimées sur la convention de prêt, le reçu et les rappels remis aux "
                    "foyers : l'adresse, le téléphone et le courriel où joindre l'association."
                ),
            },
        ),
        (
            _("Rôles"),
            {
                "fields": [
                    "is_refurbisher",
                    "is_prescriber",
                    "is_donor",
                    "is_funder",
                    "is_coordinator",
                    "territories",
                ]
            },
        ),
        (
            _("Modèle économique"),
            {
                "fields": ["hourly_cost", "inclusive_status"],
                "description": _(
                    "Le coût d'une heure de travail à l'atelier et, pour un ESAT, une "
                    "entreprise adaptée ou une SIAE, son statut : le tableau de bord « Modèle "
                    "économique » s'en sert."
                ),
            },
        ),
    ]

    @admin.display(description=_("rôles"))
    def kinds(self, obj):
        return ", ".join(obj.kind_labels)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "organisation", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    list_select_related = ["user", "organisation"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class BoundMembershipForm(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, request_user=request.user, **inner)

        return BoundMembershipForm


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["insee_code", "name", "departement", "epci", "population"]
    search_fields = ["name", "insee_code", "postcodes"]
    list_select_related = ["departement", "epci"]
    list_filter = ["departement"]


@admin.register(Epci)
class EpciAdmin(admin.ModelAdmin):
    list_display = ["siren", "name", "kind", "population"]
    search_fields = ["name", "siren"]


@admin.register(Departement)
class DepartementAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region_code"]
    search_fields = ["name", "code"]


@admin.register(Household)
class HouseholdAdmin(HouseholdAccessRecordingMixin, admin.ModelAdmin):
    """Read-only, and only for the admins of the household's organisation (and operators,
    recorded). Changes go through the household's page (acteurs.services); erasure through
    the erase service."""

    household_path = None
    list_display = ["name", "organisation", "commune", "size", "last_contact_at"]
    list_filter = ["organisation"]
    search_fields = ["name"]
    list_select_related = ["organisation", "commune"]

    def _admin_organisations(self, request) -> list[int]:
        return organisations_with_role(request.user, {Role.ADMIN})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(organisation_id__in=self._admin_organisations(request))

    def get_list_filter(self, request):
        # The organisation filter would list every organisation: operators only.
        return self.list_filter if request.user.is_superuser else []

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        if not (request.user.is_active and request.user.is_staff):
            return False
        if request.user.is_superuser:
            return True
        organisations = self._admin_organisations(request)
        if obj is None:
            return bool(organisations)
        return obj.organisation_id in organisations

    def has_add_permission(self, request):
        return False  # a household is recorded with its consent, on the household page

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # erasure goes through acteurs.personal_data, which keeps the rules
