"""Small HTTP helpers for views that change something."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect

View = Callable[..., HttpResponse]


def post_only(page: Callable[..., object], message: str = "") -> Callable[[View], View]:
    """POST only; a GET goes to ``page`` (with ``message``, if given) instead of a 405.

    A learner lands on a POST-only URL with a GET when their session ended before
    they pressed the button: the login page sends them back to its ``next=`` URL
    with a GET. A blank "405" loses them; the page the button is on lets them press
    it again. ``page(request, *args, **kwargs)`` gets the view's arguments and
    returns a URL or a model with ``get_absolute_url`` (it may raise Http404).
    Other methods still get a 405: no browser navigation uses them.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                return view(request, *args, **kwargs)
            if request.method not in ("GET", "HEAD"):
                return HttpResponseNotAllowed(["POST"])
            target = page(request, *args, **kwargs)
            if message and request.method == "GET":
                messages.info(request, message)
            return redirect(target)

        return wrapper

    return decorator
