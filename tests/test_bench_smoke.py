"""The HTTP benchmark's harness reads wrk's reports right (bench/http_bench.py).

No server and no benchmark run here: only the parsing of wrk's text and the
verdict against the issue's targets, on reports as wrk 4.1 prints them.
"""

import importlib.util
from pathlib import Path

import pytest

_path = Path(__file__).resolve().parent.parent / "bench" / "http_bench.py"
_spec = importlib.util.spec_from_file_location("http_bench", _path)
http_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(http_bench)

REPORT = """Running 1s test @ http://127.0.0.1:18765/nonexistent
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.40ms    0.93ms  13.21ms   88.69%
    Req/Sec     1.44k   287.11     2.59k    90.48%
  Latency Distribution
     50%    1.24ms
     75%    1.73ms
     90%    2.22ms
     99%    4.35ms
  3018 requests in 1.10s, 1.50MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 3018
Requests/sec:   2743.42
Transfer/sec:      1.36MB
"""


def test_wrk_report_is_read_as_numbers():
    figures = http_bench.parse_wrk(REPORT)

    assert figures == {
        "rps": 2743.42,
        "p50": 1.24,
        "p99": 4.35,
        "requests": 3018,
        "errors": 3 + 3018,
    }


def test_wrk_latency_units_are_converted_to_milliseconds():
    report = REPORT.replace("50%    1.24ms", "50%  812.00us")
    report = report.replace("99%    4.35ms", "99%    1.50s")

    figures = http_bench.parse_wrk(report)

    assert (figures["p50"], figures["p99"]) == (pytest.approx(0.812), 1500.0)


def test_text_that_is_not_a_wrk_report_is_refused():
    with pytest.raises(ValueError):
        http_bench.parse_wrk("unable to connect to 127.0.0.1:9 Connection refused")


def test_lesson_page_under_a_quarter_of_the_hello_misses_its_target():
    page = {"name": "lesson, 7 lessons", "rps_ratio": 0.05, "p99_ratio": 9.0}

    assert http_bench.verdict(page) == "not met: rps < 0.25, p99 > 4.0x"


def test_export_within_50_mb_meets_its_target():
    page = {
        "name": "CSV export, 10000 x 8 rows",
        "rps_ratio": 0.01,
        "p99_ratio": 50.0,
        "memory_mb": 12.5,
    }

    assert http_bench.verdict(page) == "met"
