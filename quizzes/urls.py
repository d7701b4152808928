from django.urls import path

from quizzes import views

app_name = "quizzes"

# With progress.urls.quiz_patterns (the quiz page and an attempt's result), in one
# "quizzes" namespace put together by config/urls.py.
urlpatterns = [
    path("quizzes/attempts/<int:attempt_id>/save/", views.save_answers, name="save"),
    path("results/", views.my_results, name="my_results"),
]
