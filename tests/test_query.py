"""The filter language, order-by and search_runs, as a user typing a filter line meets them."""

from __future__ import annotations

import math
import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core.errors import TrackerError, ValidationError
from tracker_core.query import (
    OrderKey,
    QueryError,
    columns_of,
    compile_filter,
    filter_keys,
    parse_key,
    parse_order_by,
    search_runs,
    sort_runs,
    value_of,
)
from tracker_core.query.literals import parse_duration, parse_time
from tracker_core.records import MetricSummary, RunSummary

HOUR = 3600.0


def local(day: int, hour: int) -> float:
    """Unix seconds of a local time in November 2026 (built from the calendar: right across DST changes)."""
    return datetime(2026, 11, day, hour).timestamp() if day > 0 else datetime(2026, 10, 31, hour).timestamp()


def metric(last: float, low: float | None = None, high: float | None = None, count: int = 1) -> MetricSummary:
    return MetricSummary(last, last if low is None else low, last if high is None else high, count - 1, count, 0.0)


def make_run(name: str, **fields: object) -> RunSummary:
    base: dict[str, object] = {
        "id": f"{abs(hash(name)):032x}"[:32],
        "experiment_id": "exp1",
        "name": name,
        "status": "finished",
        "start_time": local(1, 1),
        "end_time": local(1, 1) + HOUR,
    }
    base.update(fields)
    return RunSummary(**base)  # type: ignore[arg-type]


@pytest.fixture
def runs() -> list[RunSummary]:
    return [
        make_run(
            "rf",
            params={"model": "RandomForest", "n_estimators": 100, "max_depth": 5, "bootstrap": True},
            metrics={"accuracy": metric(0.91), "loss": metric(0.2, 0.15, 0.9, count=10)},
            tags={"team": "growth", "note": "first try"},
        ),
        make_run(
            "gbm",
            params={"model": "GradientBoosting", "n_estimators": "200", "max_depth": 3, "bootstrap": False},
            metrics={"accuracy": metric(0.94), "loss": metric(0.1, 0.05, 0.8, count=10)},
            tags={"team": "core"},
            start_time=local(0, 22),
            end_time=local(0, 22) + HOUR,
        ),
        make_run(
            "svm",
            params={"model": "SVC", "C": 0.5},
            metrics={"accuracy": metric(math.nan), "val loss": metric(0.4)},
            status="crashed",
            start_time=local(2, 6),
            end_time=None,
        ),
        make_run("empty", status="failed", start_time=local(3, 2), end_time=local(3, 2) + 90),
    ]


def names(runs: list[RunSummary], text: str | None) -> list[str]:
    pred = compile_filter(text)
    return [r.name for r in runs if pred(r)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.accuracy > 0.92", ["gbm"]),
        ("metrics.accuracy >= 0.91", ["rf", "gbm"]),
        ("metrics.accuracy != 0.91", ["gbm", "svm"]),  # NaN differs; a run without the metric never matches
        ("metrics.loss.min < 0.1", ["gbm"]),
        ("metrics.loss.max = 0.9", ["rf"]),
        ("metrics.loss.last = 0.2", ["rf"]),
        ("metrics.loss.count = 10", ["rf", "gbm"]),
        ("metrics.accuracy < '0.92'", ["rf"]),
        ("metrics.accuracy = NaN", ["svm"]),
        ("params.n_estimators >= 150", ["gbm"]),  # "200" logged as text still compares as a number
        ("params.n_estimators = '100'", ["rf"]),  # MLflow habit: quoted numbers match numeric params
        ("params.max_depth < 4.5", ["gbm"]),
        ("params.model = 'SVC'", ["svm"]),
        ("params.model != 'SVC'", ["rf", "gbm"]),
        ("params.model = 'svc'", []),
        ("params.bootstrap = true", ["rf"]),
        ("params.bootstrap = 'false'", ["gbm"]),
        ('tags.team = "core"', ["gbm"]),
    ],
)
def test_comparisons(runs: list[RunSummary], text: str, expected: list[str]) -> None:
    assert names(runs, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params.model LIKE 'Random%'", ["rf"]),
        ("params.model LIKE 'S_C'", ["svm"]),
        ("params.model LIKE 'random%'", []),
        ("params.model ILIKE 'random%'", ["rf"]),
        ("params.model NOT LIKE '%o%'", ["svm"]),
        ("params.model RLIKE '^(SVC|Random)'", ["rf", "svm"]),
        ("params.model NOT RLIKE 'o'", ["svm"]),
        ("tags.note LIKE '% %'", ["rf"]),
        ("params.model IN ('SVC', 'RandomForest')", ["rf", "svm"]),
        ("params.model NOT IN ('SVC', 'RandomForest')", ["gbm"]),
        ("params.n_estimators IN (100, 200)", ["rf", "gbm"]),
        ("params.max_depth IN ('3')", ["gbm"]),
        ("tags.note IS NULL", ["gbm", "svm", "empty"]),
        ("tags.note IS NOT NULL", ["rf"]),
        ("metrics.accuracy IS NULL", ["empty"]),
    ],
)
def test_like_in_and_null(runs: list[RunSummary], text: str, expected: list[str]) -> None:
    assert names(runs, text) == expected


def test_like_escapes_percent_and_underscore() -> None:
    run = make_run("x", params={"a": "50%_off", "b": "50 off"})
    assert compile_filter(r"params.a LIKE '50\%\_off'")(run)
    assert not compile_filter(r"params.b LIKE '50\%%'")(run)


def test_and_binds_tighter_than_or_and_parentheses_regroup(runs: list[RunSummary]) -> None:
    text = "params.model = 'SVC' OR params.max_depth = 5 AND tags.team = 'core'"
    assert names(runs, text) == ["svm"]  # SVC OR (depth 5 AND core)
    assert names(runs, "(params.model = 'SVC' OR params.max_depth = 5) AND tags.team = 'growth'") == ["rf"]


def test_not_negates_a_whole_condition_including_missing_values(runs: list[RunSummary]) -> None:
    assert names(runs, "NOT params.model = 'SVC'") == ["rf", "gbm", "empty"]
    assert names(runs, "params.model != 'SVC'") == ["rf", "gbm"]
    assert names(runs, "NOT (metrics.accuracy > 0.92 OR attributes.status = 'failed')") == ["rf", "svm"]
    assert names(runs, "NOT NOT tags.team = 'core'") == ["gbm"]


def test_keywords_are_case_insensitive(runs: list[RunSummary]) -> None:
    assert names(runs, "params.model like 'S%' or tags.team in ('core') and not tags.x is not null") == ["gbm", "svm"]


@pytest.mark.parametrize(
    "text",
    [
        "metric.accuracy > 0.92",
        "metrics.accuracy > 0.92",
        "param.model = 'GradientBoosting'",
        "tag.team = 'core'",
        "attr.name = 'gbm'",
        "run.name = 'gbm'",
        "attributes.run_name = 'gbm'",
        "name = 'gbm'",
        "`metrics.accuracy` > 0.92",
        "metrics.`accuracy` > 0.92",
        'metrics."accuracy" > 0.92',
    ],
)
def test_short_forms_and_quoted_keys(runs: list[RunSummary], text: str) -> None:
    assert names(runs, text) == ["gbm"]


def test_keys_with_spaces_and_dots() -> None:
    run = make_run("x", metrics={"val loss": metric(0.4), "loss.min": metric(7.0), "loss": metric(1.0, 0.5)})
    assert compile_filter("metrics.`val loss` < 0.5")(run)
    assert compile_filter('metrics."val loss".max < 0.5')(run)
    assert value_of(run, "metrics.loss.min") == 7.0  # a metric really named "loss.min" wins
    assert value_of(run, "metrics.`loss`.min") == 0.5  # a quoted name makes the aggregate certain
    assert value_of(run, "metrics.`loss.min`") == 7.0
    assert value_of(make_run("y", metrics={"loss": metric(1.0, 0.5)}), "metrics.loss.min") == 0.5


def test_status_values_are_checked_and_case_insensitive(runs: list[RunSummary]) -> None:
    assert names(runs, "attributes.status = 'CRASHED'") == ["svm"]
    assert names(runs, "status IN ('failed', 'crashed')") == ["svm", "empty"]
    with pytest.raises(QueryError, match="unknown status 'done' at column 10; statuses are running, finished"):
        compile_filter("status = 'done'")


def test_time_conditions_take_local_dates_times_and_unix_seconds(runs: list[RunSummary]) -> None:
    assert names(runs, "attributes.start_time > '2026-11-01'") == ["rf", "svm", "empty"]
    assert names(runs, "attributes.start_time = '2026-11-01'") == ["rf"]  # a bare date is the whole day
    assert names(runs, "attributes.start_time != '2026-11-01'") == ["gbm", "svm", "empty"]
    assert names(runs, "start_time < '2026-11-01 00:30'") == ["gbm"]
    assert names(runs, "attributes.start_time >= '2026-11-02T06:00:00'") == ["svm", "empty"]
    assert names(runs, f"attributes.start_time > {local(2, 12)}") == ["empty"]
    assert names(runs, "attributes.end_time IS NULL") == ["svm"]
    assert names(runs, "attributes.start_time IN ('2026-10-31', '2026-11-03')") == ["gbm", "empty"]


def test_relative_times_use_now(runs: list[RunSummary]) -> None:
    now = local(3, 3)
    pred = compile_filter("attributes.start_time > '2h ago'", now=now)
    assert [r.name for r in runs if pred(r)] == ["empty"]
    today = compile_filter("attributes.start_time = 'today'", now=now)
    assert [r.name for r in runs if today(r)] == ["empty"]


def test_duration_accepts_units(runs: list[RunSummary]) -> None:
    assert names(runs, "attributes.duration < '2m'") == ["empty"]
    assert names(runs, "attributes.duration >= 3600") == ["rf", "gbm"]
    with pytest.raises(QueryError, match=r"expected a duration for attributes\.duration at column 23"):
        compile_filter("attributes.duration > 'long'")


def test_empty_filter_accepts_everything(runs: list[RunSummary]) -> None:
    assert names(runs, None) == names(runs, "") == names(runs, "   ") == ["rf", "gbm", "svm", "empty"]


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("params.n_trees >", "expected a value after '>' at column 17", 17),
        ("metrics.acc > AND params.x = 1", "expected a value after '>' at column 15, found 'AND'", 15),
        ("metrics.acc > 0.9 AND", "expected a condition such as metrics.accuracy > 0.9 after 'AND' at column 22", 22),
        ("params.model = rf", "expected a value after '=' at column 16, found 'rf' (quote text: 'rf')", 16),
        ("accuracy > 0.9", "unknown key 'accuracy' at column 1: start it with metrics., params., tags.", 1),
        ("attributes.colour = 'red'", "unknown attribute 'colour' at column 1", 1),
        ("metrics.a 0.9", "expected an operator after 'metrics.a' at column 11, found '0.9'", 11),
        ("(metrics.a > 1", "expected ')' at column 15 (to close the '(' at column 1)", 15),
        ("metrics.a > 1)", "unmatched ')' at column 14", 14),
        ("metrics.a > 1 metrics.b < 2", "expected AND, OR or the end of the filter at column 15", 15),
        ("params.x = 'open", "unclosed ' quote starting at column 12", 12),
        ("params.x IN 'a'", "expected '(' after IN", 13),
        ("params.x IN ('a' 'b')", "expected ',' or ')' at column 18", 18),
        ("params.x IS 5", "expected NULL or NOT NULL after IS at column 13", 13),
        ("params.x = NULL", "write IS NULL", 12),
        ("params.x LIKE 5", "LIKE needs a quoted pattern", 15),
        ("params.x NOT = 1", "expected IN, LIKE, ILIKE or RLIKE after NOT at column 14", 14),
        ("params.x RLIKE '(a'", "bad regular expression '(a' at column 16: missing ), unterminated subpattern", 16),
        ("metrics.a > nan", "NaN can only be compared with = or !=", 13),
        ("metrics.a > 'high'", "metrics.a is a number; expected a number at column 13, found 'high'", 13),
        ("params.x > true", "true can only be compared with = or !=", 12),
        ("metrics.a > 1 && metrics.b", "unexpected character '&' at column 15 (write AND)", 15),
        ("attributes.duration < 5m", "expected a value after '<' at column 23, found '5m' (quote text: '5m')", 23),
        ("attributes.start_time > 'last tuesday'", "expected a time for attributes.start_time at column 25", 25),
    ],
)
def test_errors_name_the_column_and_what_was_expected(text: str, message: str, column: int) -> None:
    with pytest.raises(QueryError) as caught:
        compile_filter(text)
    assert message in str(caught.value)
    assert caught.value.column == column
    assert caught.value.position == column - 1
    assert caught.value.pointer().splitlines()[1] == " " * (column - 1) + "^"


def test_query_error_belongs_to_the_library_family() -> None:
    with pytest.raises(ValidationError):
        compile_filter("metrics.x >")
    assert issubclass(QueryError, TrackerError)


def test_filter_keys_lists_what_a_filter_mentions() -> None:
    text = "metric.a > 1 AND (params.b = 2 OR NOT metrics.a.min < 3) AND status = 'failed' AND metrics.a < 5"
    assert filter_keys(text) == ["metrics.a", "params.b", "metrics.a.min", "attributes.status"]
    assert filter_keys("") == []


# ---------------------------------------------------------------------------------------- order by


def test_parse_order_by() -> None:
    assert parse_order_by("metrics.auc_roc DESC, params.max_depth") == [
        OrderKey("metrics.auc_roc", True),
        OrderKey("params.max_depth", False),
    ]
    assert parse_order_by("-metrics.loss, name asc") == [OrderKey("metrics.loss", True), OrderKey("name", False)]
    assert parse_order_by(["metrics.a desc", "metrics.`b c`"]) == [
        OrderKey("metrics.a", True),
        OrderKey("metrics.`b c`"),
    ]
    assert parse_order_by("") == parse_order_by(None) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metrics.a DESC DESC", "expected ASC, DESC or ',' at column 11, found 'DESC'"),
        ("metrics.a b", "expected ASC, DESC or ',' at column 11, found 'b'"),
        ("metrics.a,", "expected a key to sort by at column 11"),
        ("metrics.a,,name", "expected a key to sort by at column 11"),
        ("colour", "unknown key 'colour' at column 1"),
        ("metrics.a, attr.colour", "unknown attribute 'colour' at column 12"),
    ],
)
def test_order_by_errors(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_order_by(text)


def test_sort_puts_missing_and_nan_last_in_both_directions(runs: list[RunSummary]) -> None:
    up = sort_runs(runs, "metrics.accuracy")
    down = sort_runs(runs, "metrics.accuracy DESC")
    assert [r.name for r in up] == ["rf", "gbm", "svm", "empty"]
    assert [r.name for r in down] == ["gbm", "rf", "svm", "empty"]


def test_sort_is_stable_and_multi_key() -> None:
    runs = [
        make_run("a", params={"depth": 3}, metrics={"auc": metric(0.8)}),
        make_run("b", params={"depth": 5}, metrics={"auc": metric(0.9)}),
        make_run("c", params={"depth": 3}, metrics={"auc": metric(0.9)}),
        make_run("d", params={"depth": 5}, metrics={"auc": metric(0.9)}),
        make_run("e", params={}, metrics={"auc": metric(0.9)}),
    ]
    assert [r.name for r in sort_runs(runs, "metrics.auc DESC, params.depth")] == ["c", "b", "d", "e", "a"]
    assert [r.name for r in sort_runs(runs, "metrics.auc DESC, params.depth DESC")] == ["b", "d", "c", "e", "a"]
    assert [r.name for r in sort_runs(runs, [OrderKey("params.depth", True)])] == ["b", "d", "a", "c", "e"]


def test_sort_mixed_types_numbers_before_text() -> None:
    values = [10, "9", "beta", 2.5, "Alpha", True, None]
    runs = [make_run(f"r{i}", params={"v": v} if v is not None else {}) for i, v in enumerate(values)]
    assert [r.params.get("v") for r in sort_runs(runs, "params.v")] == [2.5, "9", 10, "Alpha", "beta", True, None]


def test_value_of_resolves_every_kind_of_key(runs: list[RunSummary]) -> None:
    rf = runs[0]
    rf.env = {"python": "3.11.7", "git": {"commit": "abc"}}
    assert value_of(rf, "metrics.loss") == 0.2
    assert value_of(rf, "metrics.loss.max") == 0.9
    assert value_of(rf, "metric.loss.count") == 10
    assert value_of(rf, "params.n_estimators") == 100
    assert value_of(rf, "tags.team") == "growth"
    assert value_of(rf, "attributes.duration") == HOUR
    assert value_of(rf, "attributes.experiment_id") == "exp1"
    assert value_of(rf, "status") == "finished"
    assert value_of(rf, "env.git.commit") == "abc"
    assert value_of(rf, "metrics.nothing") is None
    assert value_of(rf, "env.git.nothing.deeper") is None
    with pytest.raises(QueryError, match="unknown key"):
        value_of(rf, "nothing")


@pytest.mark.parametrize(
    ("key", "canonical"),
    [
        ("metric.`val loss`", "metrics.`val loss`"),
        ("metrics.`loss`.min", "metrics.`loss`.min"),
        ("metrics.loss.min", "metrics.loss.min"),
        ("param.optimizer.lr", "params.optimizer.lr"),
        ("env.git.commit", "env.git.commit"),
        ('tags."x y"', "tags.`x y`"),
        ("run_name", "attributes.name"),
    ],
)
def test_canonical_keys_parse_back_to_the_same_key(key: str, canonical: str) -> None:
    assert parse_key(key).canonical == canonical
    assert parse_key(canonical) == parse_key(key)


def test_columns_of_lists_keys_quoting_odd_ones(runs: list[RunSummary]) -> None:
    keys = columns_of(runs)
    assert keys[:3] == ["attributes.id", "attributes.name", "attributes.status"]
    assert "metrics.`val loss`" in keys and "params.n_estimators" in keys and "tags.note" in keys
    for key in keys:
        value_of(runs[2], key)  # every listed key parses (QueryError otherwise)
    assert value_of(runs[2], "metrics.`val loss`") == 0.4


# ---------------------------------------------------------------------------------------- search_runs


@pytest.fixture
def store(tmp_path: Path) -> tc.Store:
    store = tc.Store(tmp_path / "store")
    for i in range(6):
        with store.start_run("sweep", f"trial-{i}") as run:
            run.log_params({"lr": 10.0**-i, "layers": i % 3})
            if i != 4:
                run.log_metric("val_acc", 0.5 + i / 20)
    with store.start_run("other", "elsewhere") as run:
        run.log_metric("val_acc", 0.99)
    return store


def test_search_runs_filters_sorts_and_pages(store: tc.Store) -> None:
    found = search_runs(store, "sweep", filter="params.layers >= 1", order_by="metrics.val_acc DESC")
    assert [r.name for r in found] == ["trial-5", "trial-2", "trial-1", "trial-4"]
    page = search_runs(store, "sweep", order_by="metrics.val_acc DESC", limit=2, offset=1)
    assert [r.name for r in page] == ["trial-3", "trial-2"]
    assert [r.name for r in search_runs(store, order_by="-metrics.val_acc", limit=1)] == ["elsewhere"]
    assert len(search_runs(store, ["sweep", "other"])) == 7


def test_search_runs_over_loaded_runs_and_bad_arguments(store: tc.Store) -> None:
    loaded = store.list_runs("sweep")
    assert [r.name for r in search_runs(None, filter="metrics.val_acc IS NULL", runs=loaded)] == ["trial-4"]
    assert search_runs(store, "sweep", filter=lambda r: r.name == "trial-0")[0].params["lr"] == 1.0
    with pytest.raises(ValidationError, match="limit must be zero or more"):
        search_runs(store, limit=-1)
    with pytest.raises(tc.NotFoundError, match="no experiment named 'nope'"):
        search_runs(store, "nope")
    with pytest.raises(QueryError, match="column 13"):
        search_runs(store, filter="params.lr > ")


def test_random_filters_never_raise_anything_but_query_error() -> None:
    """Whatever a user types, the answer is a predicate or a QueryError, and predicates never raise."""
    rng = random.Random(4)
    pieces = [
        *("metrics.a", "metrics.a.min", "params.p", "tags.t", "status", "attributes.start_time", "env.x.y"),
        *("=", "!=", "<", ">=", "LIKE", "ILIKE", "NOT", "IN", "IS", "NULL", "AND", "OR", "(", ")", ","),
        *("'x'", "'%a_'", "1", "-2.5e3", "nan", "true", "'2026-01-01'", "'3d ago'", "'5m'", "`a b`", '"q"'),
        *("'", "`", '"', "\\", "&", "metrics.", ".min", "'finished'", "'10'", "é", "\n"),
    ]
    values = [None, 1, "a", [1, 2], {"k": 1}, True, "10", 2.5, math.nan, math.inf]
    runs = [
        make_run(f"r{i}", params={"p": v}, tags={"t": v}, env={"x": {"y": v}}, metrics={"a": metric(float(i))})
        for i, v in enumerate(values)
    ]
    compiled = 0
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        try:
            predicate = compile_filter(text)
        except QueryError:
            continue
        compiled += 1
        for run in runs:
            predicate(run)
    assert compiled > 10  # the generator does produce valid filters too


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90.0),
        ("90s", 90.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("1h 30m", 5400.0),
        ("2d", 172800.0),
        ("250ms", 0.25),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "5 apples", "1h30", "-"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


def test_times() -> None:
    assert parse_time("2026-11-01T12:00:00Z") == (datetime(2026, 11, 1, 12, tzinfo=timezone.utc).timestamp(), False)
    assert parse_time("2026-11-01 12:00+02:00") == (datetime(2026, 11, 1, 10, tzinfo=timezone.utc).timestamp(), False)
    assert parse_time("2026-11-01") == (datetime(2026, 11, 1).timestamp(), True)
    assert parse_time("1790000000") == (1_790_000_000.0, False)
    assert parse_time("90m ago", now=10_000.0) == (4_600.0, False)
    assert parse_time("yesterday", now=local(3, 3)) == (datetime(2026, 11, 2).timestamp(), True)
    assert parse_time("next week") is None


# ------------------------------------------------------- issue 10 point 7: hostile filters
def test_like_is_linear_on_a_backtracking_pattern() -> None:
    """``%a%a...%b`` over 'aaaa...' took 28 s with a regex; the piecewise matcher answers at once."""
    import time

    run = make_run("x", params={"p": "a" * 40, "q": "a" * 5000 + "b"})
    started = time.perf_counter()
    assert not compile_filter("params.p LIKE '" + "%a" * 10 + "%b'")(run)
    assert compile_filter("params.q LIKE '" + "%a" * 30 + "%b'")(run)
    assert not compile_filter("params.q ILIKE '" + "%A" * 30 + "%C'")(run)
    assert time.perf_counter() - started < 2.0  # exponential backtracking takes far longer than this


def test_like_agrees_with_a_regex_reference_on_random_patterns() -> None:
    import re

    from tracker_core.query.compiler import like_matcher

    rng = random.Random(7)
    for _ in range(3000):
        pattern = "".join(rng.choice("ab%_") for _ in range(rng.randint(0, 6)))
        text = "".join(rng.choice("abAB") for _ in range(rng.randint(0, 7)))
        reference = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
        for ignore_case in (False, True):
            expected = re.fullmatch(reference, text, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None
            assert like_matcher(pattern, ignore_case)(text) == expected, (pattern, text, ignore_case)


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("params.a RLIKE 'a{1,99999999999}'", "bad regular expression", 16),
        ("params.a RLIKE '(unclosed'", "bad regular expression", 16),
        ("attributes.start_time = '9999-12-31'", "out of range", 25),
        ("metrics.x > 1e400", "number out of range", 13),
        ("params.a IN (1, -1e999)", "number out of range", 17),
        ("attributes.start_time > '99999-01-01'", "expected a time", 25),
        ("attributes.duration > '1e400s'", "expected a duration", 23),
    ],
)
def test_out_of_range_literals_and_bad_regexes_are_query_errors(text: str, message: str, column: int) -> None:
    with pytest.raises(QueryError, match=message) as info:
        compile_filter(text)
    assert info.value.column == column
    assert f"column {column}" in str(info.value)


def test_sort_of_mixed_types_is_deterministic_numbers_then_text_then_missing() -> None:
    values: list[object] = ["100", 100, "abc", 2.5, "B", None, True, [1], float("nan"), 10**30]
    runs = [make_run(f"r{i}", params={} if v is None else {"p": v}) for i, v in enumerate(values)]
    expected = [2.5, 100, "100", 10**30, "abc", "B", True, [1]]
    for order in (list(runs), list(reversed(runs)), random.Random(3).sample(runs, len(runs))):
        ordered = sort_runs(order, "params.p")
        got = [r.params.get("p") for r in ordered]
        assert got[: len(expected)] == expected
        assert all(v is None or v != v for v in got[len(expected) :])  # NaN and missing last
        desc = [r.params.get("p") for r in sort_runs(order, "params.p DESC")]
        assert desc[: len(expected)] == expected[::-1]
