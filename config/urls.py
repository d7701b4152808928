from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from courses import views as course_views
from lessons import views as lesson_views

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("preview/lessons/<int:lesson_id>/", lesson_views.preview_lesson, name="preview_lesson"),
    path("preview/courses/<int:course_id>/", course_views.preview_course, name="preview_course"),
    path("certificates/<str:code>/", lesson_views.certificate_page, name="certificate"),
    path("certificates/<str:code>/pdf/", lesson_views.certificate_download, name="certificate_pdf"),
    # Public (no login): the form alone, or the answer for one code.
    path("verify/", lesson_views.verify_certificate, name="verify_certificate"),
    path("verify/<str:code>/", lesson_views.verify_certificate, name="verify_certificate"),
    path("courses/<slug:course_slug>/lessons/", include("lessons.urls")),
    path("", include("quizzes.urls")),
    path("", include("courses.urls")),
]
