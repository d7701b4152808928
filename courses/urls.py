from django.contrib import admin
from django.urls import path

from courses import views
from courses.admin_tools import view_on_site

app_name = "courses"

# With training.urls.course_patterns (the front door, My learning, the course page and
# its fresh start), in one "courses" namespace put together by config/urls.py.

urlpatterns = [
    path("catalogue/", views.catalogue, name="catalogue"),
    path("courses/<slug:course_slug>/continue/", views.continue_course, name="continue"),
    path("courses/<slug:course_slug>/complete/", views.course_complete, name="complete"),
    path("courses/<slug:course_slug>/media/<path:name>", views.media_file, name="media"),
]

# Mounted at admin/ before the admin's own URLs: shadows admin:view_on_site (same
# path, matched first), whose redirect checks staff status only.
admin_patterns = [
    path("r/<int:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site)),
]

# Not namespaced (a staff preview of a draft course).
preview_patterns = [
    path("preview/courses/<int:course_id>/", views.preview_course, name="preview_course"),
]
