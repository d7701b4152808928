"""The player pages' routes, in lists that config/urls.py mounts under the namespaces
they share with other apps, so every URL and name is as it was."""

from django.urls import path

from progress import views

# In the "courses" namespace, with courses.urls and training.urls.course_patterns.
course_patterns = [
    path("catalogue/", views.catalogue, name="catalogue"),
    path("courses/<slug:course_slug>/continue/", views.continue_course, name="continue"),
    path("courses/<slug:course_slug>/complete/", views.course_complete, name="complete"),
]

# The "lessons" namespace, mounted under courses/<course_slug>/lessons/.
lesson_patterns = [
    path("<slug:lesson_slug>/", views.lesson_detail, name="detail"),
    path("<slug:lesson_slug>/start/", views.start, name="start"),
    path("<slug:lesson_slug>/complete/", views.mark_complete, name="complete"),
]

# In the "quizzes" namespace, with quizzes.urls.
quiz_patterns = [
    path("quizzes/<int:quiz_id>/", views.take_quiz, name="take"),
    path("quizzes/<int:quiz_id>/start/", views.start_quiz, name="start"),
    path("quizzes/<int:quiz_id>/close/", views.close_quiz, name="close"),
    path("quizzes/attempts/<int:attempt_id>/", views.attempt_result, name="result"),
]

# Not namespaced: the content staff's previews of a draft course and lesson.
preview_patterns = [
    path("preview/courses/<int:course_id>/", views.preview_course, name="preview_course"),
    path("preview/lessons/<int:lesson_id>/", views.preview_lesson, name="preview_lesson"),
]
