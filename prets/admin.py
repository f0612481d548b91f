"""The coordination configures eligibility criteria, handover policies and prices here.
Requests, loans and sales are read-only: they change through the pages (services)."""

from django.contrib import admin

from core.forms import FRENCH_DECIMALS_IN_ADMIN

from .models import (
    EligibilityCriterion,
    HandoverPolicy,
    PriceSuggestion,
    ProfileRule,
)


@admin.register(EligibilityCriterion)
class EligibilityCriterionAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "validity_months", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["label", "code"]
    prepopulated_fields = {"code": ["label"]}


@admin.register(HandoverPolicy)
class HandoverPolicyAdmin(admin.ModelAdmin):
    formfield_overrides = FRENCH_DECIMALS_IN_ADMIN
    list_display = [
        "organisation",
        "training_rule",
        "training_days",
        "default_loan_days",
        "default_deposit",
        "default_fee",
        "reminder_days_before",
    ]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]


@admin.register(PriceSuggestion)
class PriceSuggestionAdmin(admin.ModelAdmin):
    formfield_overrides = FRENCH_DECIMALS_IN_ADMIN
    list_display = ["organisation", "kind", "grade", "price"]
    list_filter = ["kind", "grade"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]


@admin.register(ProfileRule)
class ProfileRuleAdmin(admin.ModelAdmin):
    """The table from a household's autonomy to the usage profile recommended (issue 15)."""

    list_display = ["up_to_average", "profile", "reason"]
    list_select_related = ["profile"]
