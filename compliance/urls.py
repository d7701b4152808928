from django.urls import path

from compliance import views

app_name = "compliance"

urlpatterns = [
    path("", views.matrix, name="matrix"),
    path("matrix.csv", views.matrix_csv, name="matrix_csv"),
    path("matrix.xlsx", views.matrix_xlsx, name="matrix_xlsx"),
    path("exemptions/new/", views.new_exemption, name="new_exemption"),
    path("reports/", views.reports, name="reports"),
    path("digest/", views.digest_settings, name="digest"),
]
