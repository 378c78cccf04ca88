"""tracker_core.mlflow, the drop-in for MLflow's tracking API: what MLflow's users call, checked on the store."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

import tracker_core as tc
import tracker_core.mlflow as mlflow
import tracker_core.mlflow.sklearn
from tracker_core.mlflow.entities import Metric, Param, RunStatus, RunTag, ViewType
from tracker_core.mlflow.models import infer_signature
from tracker_core.mlflow.tracking import MlflowClient


@pytest.fixture(autouse=True)
def store(tmp_path: Path) -> Iterator[tc.Store]:
    mlflow.set_tracking_uri((tmp_path / "store").as_uri())
    mlflow.set_experiment("dropin")
    yield tc.Store(tmp_path / "store")
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)
    from tracker_core.mlflow import _state

    _state.experiment_name = None


def test_tracking_uri_names_a_store_and_other_uris_say_what_to_do(tmp_path: Path):
    assert mlflow.get_tracking_uri() == (tmp_path / "store").as_uri()
    mlflow.set_tracking_uri(str(tmp_path / "other"))
    assert mlflow.get_tracking_uri() == (tmp_path / "other").as_uri()
    with pytest.raises(tc.TrackerError, match=r"set_tracking_uri\('http://127.0.0.1:5000'\).*export mlflow"):
        mlflow.set_tracking_uri("http://127.0.0.1:5000")


def test_start_run_with_mlflow_arguments_and_statuses(store: tc.Store):
    with mlflow.start_run(run_name="parent", tags={"team": "a", "n": 3}, description="about") as parent:
        assert mlflow.active_run().info.run_id == parent.info.run_id
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_param("fold", 1)
        with pytest.raises(tc.TrackerError, match="already active"):
            mlflow.start_run(run_name="sibling")
    assert mlflow.last_active_run().info.run_id == parent.info.run_id
    run = store.get_run(parent.info.run_id)
    assert run.name == "parent" and run.tags == {"team": "a", "n": "3", "mlflow.note.content": "about"}
    assert store.get_run(child.info.run_id).parent_id == parent.info.run_id
    got = mlflow.get_run(child.info.run_id)
    assert got.info.status == "FINISHED" and got.data.params == {"fold": "1"}
    assert got.data.tags["mlflow.parentRunId"] == parent.info.run_id

    mlflow.start_run(run_name="killed")
    mlflow.end_run("KILLED")
    assert mlflow.last_active_run().info.status == "KILLED"
    with pytest.raises(RuntimeError), mlflow.start_run(run_name="boom") as boom:
        raise RuntimeError("diverged")
    assert store.get_run(boom.info.run_id).status == "failed"
    resumed = mlflow.start_run(run_id=boom.info.run_id)
    assert resumed.info.run_id == boom.info.run_id
    mlflow.end_run("FINISHED")
    with pytest.raises(tc.ValidationError, match="FINISHED, FAILED or KILLED"):
        mlflow.start_run()
        mlflow.end_run("DONE")


def test_params_tags_and_metrics_as_mlflow_logs_them(store: tc.Store):
    with mlflow.start_run() as active:
        assert mlflow.log_param("lr", 0.010) == 0.010
        mlflow.log_params({"seed": "007", "flag": True, "n": 5}, synchronous=False)
        mlflow.set_tags({"v": 2})
        mlflow.log_metric("loss", 0.5, timestamp=1_790_000_000_123, synchronous=True)
        mlflow.log_metric("loss", 0.4, step=3, timestamp=1_790_000_001_000)
        mlflow.log_metrics({"acc": 0.9, "nan": math.nan}, step=2)
    run = store.get_run(active.info.run_id)
    assert run.params == {"lr": "0.01", "seed": "007", "flag": "True", "n": "5"}
    assert run.tags == {"v": "2"}
    assert [(p.step, p.value, p.timestamp) for p in store.metric_history(run.id, "loss")] == [
        (0, 0.5, 1_790_000_000.123),
        (3, 0.4, 1_790_000_001.0),
    ]
    history = MlflowClient().get_metric_history(run.id, "loss")
    assert history == [Metric("loss", 0.5, 1_790_000_000_123, 0), Metric("loss", 0.4, 1_790_000_001_000, 3)]
    assert store.metric_history(run.id, "acc")[0].step == 2


def test_logging_without_a_run_starts_one_like_mlflow(store: tc.Store):
    mlflow.log_metric("score", 1.0)
    active = mlflow.active_run()
    assert active is not None and store.get_run(active.info.run_id).experiment_id == store.get_experiment("dropin").id
    mlflow.end_run()


def test_artifacts_follow_mlflows_artifact_path_rules(store: tc.Store, tmp_path: Path):
    (tmp_path / "out" / "sub").mkdir(parents=True)
    (tmp_path / "out" / "a.txt").write_text("a")
    (tmp_path / "out" / "sub" / "b.txt").write_text("b")
    with mlflow.start_run() as active:
        mlflow.log_artifacts(str(tmp_path / "out"))
        mlflow.log_artifacts(str(tmp_path / "out"), artifact_path="copy")
        mlflow.log_artifact(str(tmp_path / "out" / "a.txt"), artifact_path="single")
        mlflow.log_text("t", "docs/t.txt")
        mlflow.log_dict({"k": [1, 2]}, "d.json")
        mlflow.log_dict({"k": 1}, "d.yaml")
    files = {a.path for a in store.list_artifacts(active.info.run_id) if not a.is_dir}
    assert files == {
        *("a.txt", "sub/b.txt", "copy/a.txt", "copy/sub/b.txt", "single/a.txt"),
        *("docs/t.txt", "d.json", "d.yaml"),
    }
    assert store.artifact_path(active.info.run_id, "d.json").read_text() == '{\n  "k": [\n    1,\n    2\n  ]\n}'
    assert store.artifact_path(active.info.run_id, "d.yaml").read_text() == "k: 1\n"


def test_figures_images_tables_and_inputs(store: tc.Store):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    import plotly.graph_objects as go
    from PIL import Image

    fig, ax = plt.subplots()
    ax.plot([1, 2])
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]})
    with mlflow.start_run() as active:
        mlflow.log_figure(fig, "fig.png")
        mlflow.log_figure(go.Figure(data=go.Scatter(y=[1, 3])), "fig.html")
        mlflow.log_image(np.zeros((2, 3, 3), dtype=np.float64) + 0.5, "half.png")
        mlflow.log_image(Image.new("L", (4, 4), 200), "pil.png")
        mlflow.log_table(frame, "t.json")
        mlflow.log_input(mlflow.data.from_pandas(frame, source="s3://bucket/x.csv", name="xy"), context="eval")
        with pytest.raises(tc.ValidationError, match="in \\[0, 1\\]"):
            mlflow.log_image(np.full((2, 2), 3.0), "bad.png")
    run_id = active.info.run_id
    assert store.artifact_path(run_id, "fig.png").read_bytes()[:4] == b"\x89PNG"
    assert "cdn.plot.ly" in store.artifact_path(run_id, "fig.html").read_text()
    assert Image.open(store.artifact_path(run_id, "half.png")).getpixel((0, 0)) == (128, 128, 128)
    assert Image.open(store.artifact_path(run_id, "pil.png")).getpixel((1, 1)) == 200
    assert store.artifact_path(run_id, "t.json").read_text() == '{"columns":["x","y"],"data":[[1.0,"a"],[2.0,"b"]]}'
    (entry,) = store.get_run(run_id).tags["mlflow.inputs"]
    assert (entry["name"], entry["source"], entry["context"], len(entry["digest"])) == (
        "xy",
        "s3://bucket/x.csv",
        "eval",
        8,
    )
    assert entry["schema"] == {
        "columns": [{"name": "x", "type": "float64"}, {"name": "y", "type": str(frame.dtypes["y"])}]
    }


def test_search_runs_as_a_dataframe_with_mlflows_columns_and_as_a_list(store: tc.Store):
    for alpha in (0.1, 0.5):
        with mlflow.start_run(run_name=f"a{alpha}"):
            mlflow.log_param("alpha", alpha)
            mlflow.log_metric("rmse", alpha * 2)
    frame = mlflow.search_runs(filter_string="metrics.rmse < 0.5", order_by=["metrics.rmse ASC"])
    assert list(frame.columns[:6]) == ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    assert {"metrics.rmse", "params.alpha", "tags.mlflow.runName"} <= set(frame.columns)
    assert list(frame["params.alpha"]) == ["0.1"] and str(frame["start_time"].dt.tz) == "UTC"
    listed = mlflow.search_runs(output_format="list", order_by=["metrics.rmse DESC"])
    assert [r.data.params["alpha"] for r in listed] == ["0.5", "0.1"]
    assert [e.name for e in mlflow.search_experiments(filter_string="name LIKE 'drop%'")] == ["dropin"]
    assert mlflow.get_experiment_by_name("nope") is None
    assert mlflow.get_experiment(mlflow.get_experiment_by_name("dropin").experiment_id).name == "dropin"


def test_sklearn_models_registry_and_client(store: tc.Store, tmp_path: Path):
    from sklearn.linear_model import LogisticRegression

    x, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1]
    model = LogisticRegression().fit(x, y)
    with mlflow.start_run() as active:
        info = tracker_core.mlflow.sklearn.log_model(model, name="clf", signature=infer_signature(x, model.predict(x)))
    assert info.model_uri == f"runs:/{active.info.run_id}/clf"
    assert tracker_core.mlflow.sklearn.load_model(info.model_uri).predict(x).tolist() == y
    version = mlflow.register_model(info.model_uri, "churn")
    assert (version.name, version.version, version.current_stage) == ("churn", "1", "None")
    client = MlflowClient()
    client.transition_model_version_stage("churn", 1, "Production")
    client.set_registered_model_alias("churn", "champion", 1)
    client.update_model_version("churn", 1, description="first")
    assert client.get_model_version_by_alias("churn", "champion").current_stage == "Production"
    assert [v.version for v in client.get_latest_versions("churn", stages=["Production"])] == ["1"]
    assert tracker_core.mlflow.sklearn.load_model("models:/churn@champion").predict(x).tolist() == y
    tracker_core.mlflow.sklearn.save_model(model, tmp_path / "saved")
    assert tracker_core.mlflow.sklearn.load_model(str(tmp_path / "saved")).predict(x).tolist() == y

    exp_id = client.create_experiment("by-client", tags={"k": 1})
    run = client.create_run(exp_id, run_name="c")
    client.log_batch(
        run.info.run_id,
        metrics=[Metric("m", 1.5, 1_790_000_000_000, 4)],
        params=[Param("p", "x")],
        tags=[RunTag("t", "y")],
    )
    client.set_terminated(run.info.run_id, "FAILED")
    got = client.get_run(run.info.run_id)
    assert (got.info.status, got.data.params, got.data.metrics["m"], got.data.tags["t"]) == (
        "FAILED",
        {"p": "x"},
        1.5,
        "y",
    )
    assert [r.info.run_id for r in client.search_runs([exp_id], run_view_type=ViewType.ALL)] == [run.info.run_id]
    assert RunStatus.to_string(RunStatus.FAILED) == "FAILED" and RunStatus.is_terminated(RunStatus.KILLED)


def test_unsupported_calls_raise_a_tracker_error_naming_the_call():
    with pytest.raises(tc.TrackerError, match=r"mlflow\.evaluate is not supported.*Coming from MLflow"):
        mlflow.evaluate  # noqa: B018
    with pytest.raises(tc.TrackerError, match=r"mlflow\.sklearn\.log_pipeline"):
        tracker_core.mlflow.sklearn.log_pipeline  # noqa: B018
    with pytest.raises(tc.TrackerError, match=r"MlflowClient\.create_prompt"):
        MlflowClient().create_prompt  # noqa: B018
    with pytest.raises(AttributeError):  # dunder probes (copy, pickle, inspect) stay AttributeError
        mlflow.__wrapped__  # noqa: B018
    assert not hasattr(mlflow, "agm")  # pickle.whichmodule probes every module by name: no error escapes


def test_pickling_beside_the_drop_in_still_finds_modules():
    import pickle

    import scipy.special

    assert pickle.loads(pickle.dumps(scipy.special.agm)) is scipy.special.agm
