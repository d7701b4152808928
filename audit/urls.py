"""The training record (audit.views): /records/<user id>/ and its PDF."""

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("<int:user_id>/", views.training_record_page, name="training_record"),
    path("<int:user_id>/pdf/", views.training_record_download, name="training_record_pdf"),
]
