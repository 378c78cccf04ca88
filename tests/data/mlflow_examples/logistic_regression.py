# Follows MLflow's examples/sklearn_logistic_regression/train.py (github.com/mlflow/mlflow): no start_run
# (log_metric starts a run, ended at exit), infer_signature, mlflow.sklearn.log_model with a signature and
# an input example, active_run().info.run_id. Written for tui-track rather than copied; no download to replace.
import mlflow
import mlflow.sklearn
import numpy as np
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression

if __name__ == "__main__":
    X = np.array([-2, -1, 0, 1, 2, 1]).reshape(-1, 1)
    y = np.array([0, 0, 1, 1, 1, 0])
    lr = LogisticRegression().fit(X, y)
    score = lr.score(X, y)
    print(f"Score: {score}")
    mlflow.log_metric("score", score)
    signature = infer_signature(X, lr.predict(X))
    mlflow.sklearn.log_model(lr, "model", signature=signature, input_example=X)
    print(f"Model saved in run {mlflow.active_run().info.run_id}")
