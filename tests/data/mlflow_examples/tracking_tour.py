# Follows the calls of MLflow's tracking tutorials and examples/hyperparam (github.com/mlflow/mlflow): an
# experiment by name, a parent run with nested child runs (a small grid search), params of several types,
# tags, metrics with steps and millisecond timestamps, text, dict, table, matplotlib and plotly figures,
# numpy and PIL images, a dataset input, search_runs, MlflowClient metric history. Written for tui-track;
# data: scikit-learn's bundled diabetes set.
import matplotlib
import numpy as np
from PIL import Image
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mlflow
import mlflow.sklearn
import plotly.graph_objects as go
from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient

if __name__ == "__main__":
    data = load_diabetes(as_frame=True).frame
    train, test = train_test_split(data, random_state=0)
    mlflow.set_experiment("diabetes-ridge")
    with mlflow.start_run(
        run_name="grid", tags={"team": "ml", "priority": 2}, description="ridge grid"
    ) as parent:
        mlflow.log_params(
            {"seed": "007", "tol": 0.010, "fit_intercept": True, "alphas": [0.1, 1.0]}
        )
        mlflow.log_input(
            mlflow.data.from_pandas(train, name="diabetes-train"), context="training"
        )
        best = None
        for alpha in (0.1, 1.0):
            with mlflow.start_run(run_name=f"alpha-{alpha}", nested=True):
                model = Ridge(alpha=alpha).fit(
                    train.drop(columns="target"), train["target"]
                )
                score = model.score(test.drop(columns="target"), test["target"])
                mlflow.log_param("alpha", alpha)
                for step in range(3):
                    mlflow.log_metric(
                        "r2",
                        score - 0.01 * (2 - step),
                        step=step,
                        timestamp=1_790_000_000_000 + step,
                    )
                mlflow.set_tag("kind", "child")
                best = score if best is None or score > best else best
        mlflow.log_metrics({"best_r2": best, "n_children": 2}, step=1)
        mlflow.set_tags({"stage": "done", "version": 3})
        mlflow.log_text("notes\n", "notes/readme.md")
        mlflow.log_dict({"alphas": [0.1, 1.0], "best": round(best, 6)}, "summary.json")
        mlflow.log_table({"alpha": [0.1, 1.0], "ok": [True, False]}, "tables/grid.json")
        fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
        ax.plot([0, 1, 2], [1, 0, 1])
        mlflow.log_figure(fig, "plots/curve.png")
        mlflow.log_figure(go.Figure(data=go.Bar(y=[2, 3, 1])), "plots/bars.html")
        pixels = (np.arange(48, dtype=np.uint8).reshape(4, 4, 3) * 5).astype(np.uint8)
        mlflow.log_image(pixels, "images/pixels.png")
        mlflow.log_image(Image.new("RGB", (3, 2), (10, 20, 30)), "images/pil.png")
        parent_id = parent.info.run_id

    found = mlflow.search_runs(
        filter_string="params.alpha = '1.0'", run_view_type=ViewType.ACTIVE_ONLY
    )
    assert list(found["params.alpha"]) == ["1.0"], found
    listed = mlflow.search_runs(output_format="list", order_by=["start_time ASC"])
    assert len(listed) == 3
    client = MlflowClient()
    child = next(
        r for r in listed if r.data.tags.get("mlflow.parentRunId") == parent_id
    )
    history = client.get_metric_history(child.info.run_id, "r2")
    assert [m.step for m in history] == [0, 1, 2], history
    assert mlflow.get_run(parent_id).data.params["seed"] == "007"
    assert mlflow.last_active_run().info.run_id == parent_id
    print("ok", parent_id)
