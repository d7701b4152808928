"""Simulated learners and trainers for `make load` (bench/load.py), headless Locust.

The people of the cluster test (bench/locustfile.py) at a learner's pace: each
learner logs in, opens My learning, then over and over either opens My learning,
or reads the next lesson of the quiz-less drill course for 30-90 s and marks it
complete, or reads the next lesson of the sample course, opens its quiz, answers
it (30-90 s per step) and opens the result. A few trainers open their dashboard
every 30-90 s. Sessions lost are logged in again and counted.

Environment (set by bench/load.py): CLUSTER_PASSWORD, CLUSTER_LEARNERS,
CLUSTER_TRAINERS, CLUSTER_EVENTS (one CSV line per request), LOAD_THINK_MIN and
LOAD_THINK_MAX (seconds, default 30 and 90).
"""

import os
import random
import time

import locustfile as cluster  # bench/locustfile.py (Locust puts this folder on sys.path)
from locust import between

THINK_MIN = float(os.environ.get("LOAD_THINK_MIN", "30"))
THINK_MAX = float(os.environ.get("LOAD_THINK_MAX", "90"))


class Learner(cluster.Learner):
    # Between two things done: a short pause; the reading itself is the think time.
    wait_time = between(2, 10)

    def on_start(self) -> None:
        super().on_start()
        self.signed_out(self.client.get("/", name="my learning"))

    def think(self) -> None:
        time.sleep(random.uniform(THINK_MIN, THINK_MAX))


class Trainer(cluster.Trainer):
    wait_time = between(THINK_MIN, THINK_MAX)
