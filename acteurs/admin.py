from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Commune, Departement, Epci, Household, Membership, Organisation, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "siret", "commune", "kinds"]
    list_filter = ["is_refurbisher", "is_prescriber", "is_donor", "is_funder", "is_coordinator"]
    search_fields = ["name", "short_name", "siret"]
    autocomplete_fields = ["commune"]
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
                ]
            },
        ),
    ]

    @admin.display(description=_("rôles"))
    def kinds(self, obj):
        return ", ".join(obj.kind_labels)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    list_select_related = ["user", "organisation"]


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
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "commune", "size", "last_contact_at"]
    list_filter = ["organisation"]
    search_fields = ["name"]
    autocomplete_fields = ["organisation", "commune"]
    list_select_related = ["organisation", "commune"]
    readonly_fields = ["consent_at", "consent_version", "consent_recorded_by", "created_at"]
