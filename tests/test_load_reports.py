"""`make load` and `make cluster` fail (exit status 1) when any request failed.

Their summaries are read by people and their exit status by scripts: a run with one
dropped request must not end with status 0. No load is run here: bench/load.py's verdict
on figures as its runs return them, and bench/cluster_report.py on an event log as
bench/locustfile.py writes it.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def bench_module(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(requests: int, failures: int) -> dict:
    return {"requests": requests, "failures": failures}


def test_the_load_test_fails_when_one_request_failed():
    load = bench_module("load")
    line, status = load.verdict([run(4962, 0), run(5000, 1)])
    assert (line, status) == ("Failed requests: 1 of 9962 (2 runs)", 1)


def test_the_load_test_passes_when_every_request_was_answered():
    load = bench_module("load")
    assert load.verdict([run(4567, 0)]) == ("Failed requests: 0 of 4567 (1 run)", 0)


def write_events(path: Path, failed: bool) -> None:
    """Two requests as bench/locustfile.py logs them: time, kind, user, name, ok, ms,
    detail; the second one failed or not."""
    path.write_text(
        "1000.000,request,learner-001,GET my learning,1,120.0,200\n"
        f"1001.000,request,learner-001,POST quiz submit,{0 if failed else 1},30.0,"
        f"{'502 not graded (502)' if failed else '302'}\n"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("failed, status", [(True, 1), (False, 0)])
def test_the_cluster_report_fails_when_one_request_failed(
    tmp_path, monkeypatch, capsys, failed, status
):
    report = bench_module("cluster_report")
    write_events(tmp_path / "events.csv", failed)
    (tmp_path / "access.log").write_text("")
    arguments = ["--events", "events.csv", "--nginx-log", "access.log"]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        sys, "argv", ["cluster_report.py", *arguments, "--stopped", "900", "--back", "901"]
    )
    assert report.main() == status
    assert f"Failed requests: {int(failed)} of 2" in capsys.readouterr().out
