# Follows MLflow's examples/quickstart/mlflow_tracking.py (github.com/mlflow/mlflow): names imported from
# mlflow (log_param, log_metric, log_artifacts), a metric logged three times without a step, a metric name
# with a space, a folder of outputs. Written for tui-track rather than copied; changed: a seeded random.Random
# of its own (MLflow's run-name generator draws from the shared one) so that two executions log the same values.
import os
import random

from mlflow import log_artifacts, log_metric, log_param

if __name__ == "__main__":
    rng = random.Random(7)
    log_param("param1", rng.randint(0, 100))
    log_metric("foo", rng.random())
    log_metric("foo", rng.random() + 1)
    log_metric("foo", rng.random() + 2)
    log_metric("accuracy 2", rng.random())
    os.makedirs("outputs/nested", exist_ok=True)
    with open("outputs/test.txt", "w") as f:
        f.write("hello world!")
    with open("outputs/nested/more.txt", "w") as f:
        f.write("more")
    log_artifacts("outputs")
