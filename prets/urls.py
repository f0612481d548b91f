from django.urls import path

from . import views

app_name = "prets"

urlpatterns = [
    # Requests: the prescriber's list, the association's queue, one request and its actions
    path("demandes/", views.request_list, name="requests"),
    path("demandes/recues/", views.request_queue, name="queue"),
    path("demandes/<int:pk>/", views.request_detail, name="request"),
    path("demandes/<int:pk>/information/", views.request_consent, name="request_consent"),
    path("demandes/<int:pk>/attribuer/", views.allocate, name="allocate"),
    path("demandes/<int:pk>/liberer/", views.release, name="release"),
    path("demandes/<int:pk>/pret/", views.loan_start, name="loan_start"),
    path("demandes/<int:pk>/vente/", views.sale_create, name="sale_create"),
    path("demandes/<int:pk>/<slug:action>/", views.request_action, name="request_action"),
    # Loans
    path("prets/", views.loan_list, name="loans"),
    path("prets/<int:pk>/", views.loan_detail, name="loan"),
    path("prets/<int:pk>/convention.pdf", views.loan_agreement, name="agreement"),
    path("prets/<int:pk>/suivi/", views.loan_follow_up, name="follow_up"),
    path("prets/<int:pk>/date/<slug:action>/", views.loan_date, name="loan_date"),
    path("prets/<int:pk>/cheque/", views.loan_voucher_add, name="loan_voucher_add"),
    path("prets/<int:pk>/<slug:action>/", views.loan_action, name="loan_action"),
    # Sales
    path("ventes/<int:pk>/recu.pdf", views.sale_receipt, name="receipt"),
    path("ventes/<int:pk>/cheque/", views.voucher_add, name="voucher_add"),
    path("cheques-numeriques/", views.vouchers, name="vouchers"),
    path("cheques-numeriques/export.csv", views.vouchers_export, name="vouchers_export"),
    # A household's file: eligibility, requests, loans (its export and erasure are acteurs')
    path("dossiers/<int:pk>/", views.household_file, name="household"),
    path("dossiers/<int:pk>/eligibilite/", views.eligibility_add, name="eligibility_add"),
    path("dossiers/<int:pk>/demande/", views.request_create, name="request_create"),
]
