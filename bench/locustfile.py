"""Learners and trainers for the cluster load test (scripts/cluster, `make cluster`).

Each learner logs in once, then: opens My learning; reads the next lesson of the
quiz-less "cluster-drill" course (think time) and marks it complete; or reads
the next lesson of the sample course, opens its quiz, answers it (random
choices) and submits. A few trainers open their dashboard. Whenever a page
lands on the login form the session was lost: the user logs in again and that
is recorded.

Every request, login, completion and submitted attempt is appended to the CSV
file CLUSTER_EVENTS (time, kind, user, name, ok, ms, detail): bench/cluster_report.py
checks every completion and attempt seen here is in the database.

Environment: CLUSTER_PASSWORD (required), CLUSTER_EVENTS, CLUSTER_LEARNERS
(how many learner-NNN accounts exist), CLUSTER_THINK (max think time, seconds).
"""

from __future__ import annotations

import csv
import itertools
import os
import random
import re
import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("CLUSTER_PASSWORD", "")
LEARNERS = int(os.environ.get("CLUSTER_LEARNERS", "50"))
THINK = float(os.environ.get("CLUSTER_THINK", "3"))
LOGIN = "/accounts/login/"
DRILL = "cluster-drill"
SAMPLE = "who-is-your-customer"
ATTEMPT_URL = re.compile(r"/quizzes/attempts/(\d+)/$")
QUIZ_LINK = re.compile(r'href="(/quizzes/\d+/)"')

_log_file = open(  # noqa: SIM115 (open for the whole run; closed at quit)
    os.environ.get("CLUSTER_EVENTS", "cluster-events.csv"), "a", newline="", encoding="utf-8"
)
_log = csv.writer(_log_file)
_learner_numbers = itertools.count(0)
_trainer_numbers = itertools.count(1)


def record(kind: str, user: str, name: str = "", ok: bool = True, ms: float = 0, detail=""):
    _log.writerow([f"{time.time():.3f}", kind, user, name, int(ok), f"{ms:.1f}", detail])


@events.request.add_listener
def _on_request(
    request_type,
    name,
    response_time,
    response_length,
    response=None,
    context=None,
    exception=None,
    start_time=None,
    **kwargs,
):
    status = getattr(response, "status_code", "") if response is not None else ""
    detail = f"{status}" if exception is None else f"{status} {exception}"[:200]
    _log.writerow(
        [
            f"{start_time or time.time():.3f}",
            "request",
            (context or {}).get("user", ""),
            f"{request_type} {name}",
            int(exception is None),
            f"{response_time:.1f}",
            detail,
        ]
    )


@events.quitting.add_listener
def _close_log(environment, **kwargs):
    _log_file.close()


class Form(HTMLParser):
    """The forms of a page: action and inputs (type, name, value)."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "inputs": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append(
                (attrs.get("type", "text"), attrs.get("name", ""), attrs.get("value") or "")
            )

    def find(self, pattern: str) -> dict | None:
        return next((f for f in self.forms if re.search(pattern, f["action"])), None)


def hidden_fields(form: dict) -> dict[str, str]:
    return {name: value for kind, name, value in form["inputs"] if kind == "hidden" and name}


def answers(form: dict) -> dict[str, list[str]]:
    """Random answers to every question of a quiz form: one radio, some checkboxes,
    a guess for a typed answer."""
    options: dict[str, tuple[str, list[str]]] = {}
    for kind, name, value in form["inputs"]:
        if name.startswith("question-"):
            options.setdefault(name, (kind, []))[1].append(value)
    sheet = {}
    for name, (kind, values) in options.items():
        if kind == "radio":
            sheet[name] = [random.choice(values)]
        elif kind == "checkbox":
            sheet[name] = random.sample(values, random.randint(1, len(values)))
        else:
            sheet[name] = [random.choice(["internal customer", "the customer", "not sure"])]
    return sheet


class SignedIn(HttpUser):
    """A person who logs in at the start and again whenever the session is lost."""

    abstract = True
    username = ""

    def context(self):
        return {"user": self.username}

    def log_in(self, again: bool = False) -> None:
        page = self.client.get(LOGIN, name="login page")
        form = Form(page.text).find(re.escape(LOGIN))
        token = hidden_fields(form)["csrfmiddlewaretoken"] if form else ""
        with self.client.post(
            LOGIN,
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            ok = response.status_code == 302 and LOGIN not in response.headers.get("Location", "")
            if not ok:
                response.failure(f"login refused ({response.status_code})")
        record("login", self.username, ok=ok, detail="again" if again else "first")

    def on_start(self) -> None:
        self.log_in()

    def signed_out(self, response) -> bool:
        """True (and logs in again) when a page was redirected to the login form."""
        if LOGIN in urlsplit(response.url or "").path:
            self.log_in(again=True)
            return True
        return False

    def think(self) -> None:
        time.sleep(random.uniform(THINK / 3, THINK))


class Learner(SignedIn):
    weight = 1
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.username = f"learner-{next(_learner_numbers) % LEARNERS + 1:03d}"
        super().on_start()

    @task(1)
    def my_learning(self) -> None:
        self.signed_out(self.client.get("/", name="my learning"))

    @task(3)
    def read_and_mark_complete(self) -> None:
        page = self.client.get(f"/courses/{DRILL}/continue/", name="lesson (drill)")
        if self.signed_out(page):
            return
        form = Form(page.text).find(r"/complete/$")
        if form is None:  # every lesson done: reading only
            return
        self.think()
        with self.client.post(
            form["action"],
            hidden_fields(form),
            name="mark complete",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            went_to = response.headers.get("Location", "")
            # Refused: back to the same lesson with a message. Signed out: to the login
            # page, not an error of the site (and no completion to count).
            moved_on = response.status_code == 302 and went_to != urlsplit(page.url).path
            if not moved_on:
                response.failure(f"not completed ({response.status_code})")
            elif LOGIN in went_to:
                response.success()
        if LOGIN in went_to:
            self.log_in(again=True)
        elif moved_on:
            lesson = form["action"].rstrip("/").split("/")[-2]
            record("completion", self.username, detail=f"{DRILL}/{lesson}")

    @task(2)
    def take_a_quiz(self) -> None:
        lesson = self.client.get(f"/courses/{SAMPLE}/continue/", name="lesson (quiz)")
        if self.signed_out(lesson):
            return
        link = QUIZ_LINK.search(lesson.text)
        if link is None:  # the final assessment's turn, or nothing left: reading only
            return
        self.think()
        quiz = self.client.get(link.group(1), name="quiz page")
        if self.signed_out(quiz):
            return
        form = Form(quiz.text).find(r"^/quizzes/\d+/$")
        if form is None:  # no attempts left
            return
        self.think()
        data = {**hidden_fields(form), **answers(form)}
        with self.client.post(
            form["action"], data, name="quiz submit", allow_redirects=False, catch_response=True
        ) as response:
            went_to = response.headers.get("Location", "")
            graded = ATTEMPT_URL.search(went_to) if response.status_code == 302 else None
            if LOGIN in went_to:
                response.success()  # signed out: the answers were saved, nothing graded
            elif graded is None:
                response.failure(f"not graded ({response.status_code})")
        if LOGIN in went_to:
            self.log_in(again=True)
        elif graded is not None:
            record("attempt", self.username, detail=graded.group(1))
            self.signed_out(self.client.get(graded.group(0), name="quiz result"))


class Trainer(SignedIn):
    fixed_count = int(os.environ.get("CLUSTER_TRAINERS", "2"))
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.username = f"trainer-{next(_trainer_numbers)}"
        super().on_start()

    @task
    def dashboard(self) -> None:
        self.signed_out(self.client.get("/trainer/", name="dashboard"))
