from django.urls import path

from lessons import views

# Not namespaced, mounted at the site's root: search, and the public check of a
# certificate (no login). The lesson page and Mark complete ("lessons:" names) are
# progress's (progress/urls.py).
site_patterns = [
    path("search/", views.search, name="search"),
    path("verify/", views.verify_certificate, name="verify_certificate"),
    path("verify/<str:code>/", views.verify_certificate, name="verify_certificate"),
]
