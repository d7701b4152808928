from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

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
    path("courses/<slug:course_slug>/lessons/", include("lessons.urls")),
    path("", include("quizzes.urls")),
    path("", include("courses.urls")),
]
