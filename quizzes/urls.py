from django.urls import path

from quizzes import views

app_name = "quizzes"

urlpatterns = [
    path("quizzes/<int:quiz_id>/", views.take_quiz, name="take"),
    path("quizzes/attempts/<int:attempt_id>/", views.attempt_result, name="result"),
    path("quizzes/attempts/<int:attempt_id>/save/", views.save_answers, name="save"),
    path("results/", views.my_results, name="my_results"),
]
