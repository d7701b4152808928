from django.contrib import admin
from django.urls import path

from courses import views
from courses.admin_tools import view_on_site

app_name = "courses"

# With progress.urls.course_patterns (the catalogue, Continue, Course complete) and
# training.urls.course_patterns (the front door, My learning, the course page and its
# fresh start), in one "courses" namespace put together by config/urls.py.

urlpatterns = [
    path("courses/<slug:course_slug>/media/<path:name>", views.media_file, name="media"),
]

# Mounted at admin/ before the admin's own URLs: shadows admin:view_on_site (same
# path, matched first), whose redirect checks staff status only.
admin_patterns = [
    path("r/<int:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site)),
]
