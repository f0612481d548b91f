from django.contrib import admin

from core.forms import FRENCH_DECIMALS_IN_ADMIN

from .models import Funding


@admin.register(Funding)
class FundingAdmin(admin.ModelAdmin):
    formfield_overrides = FRENCH_DECIMALS_IN_ADMIN
    list_display = ["name", "funder", "refurbisher", "gisement", "starts_on", "ends_on", "amount"]
    list_filter = ["funder"]
    autocomplete_fields = []
    raw_id_fields = ["gisement"]
