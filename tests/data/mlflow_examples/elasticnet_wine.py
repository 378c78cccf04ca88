# Follows MLflow's examples/sklearn_elasticnet_wine/train.py (github.com/mlflow/mlflow): the same
# calls in the same order (start_run, log_param x2, log_metric x3, get_tracking_uri, mlflow.sklearn.log_model).
# Written for tui-track rather than copied; what differs: scikit-learn's bundled wine data set
# (load_wine) instead of downloading winequality-red.csv, and a fixed split (random_state).
import sys
import warnings
from urllib.parse import urlparse

import mlflow
import mlflow.sklearn
import numpy as np
from sklearn.datasets import load_wine
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split


def eval_metrics(actual, pred):
    return (
        np.sqrt(mean_squared_error(actual, pred)),
        mean_absolute_error(actual, pred),
        r2_score(actual, pred),
    )


if __name__ == "__main__":
    warnings.filterwarnings("ignore")
    np.random.seed(40)
    data = load_wine(as_frame=True).frame
    train, test = train_test_split(data, random_state=40)
    train_x, test_x = train.drop(["target"], axis=1), test.drop(["target"], axis=1)
    train_y, test_y = train[["target"]], test[["target"]]
    alpha = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
    l1_ratio = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5

    with mlflow.start_run():
        lr = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=42)
        lr.fit(train_x, train_y)
        rmse, mae, r2 = eval_metrics(test_y, lr.predict(test_x))
        print(
            f"Elasticnet model (alpha={alpha:f}, l1_ratio={l1_ratio:f}): RMSE {rmse} MAE {mae} R2 {r2}"
        )
        mlflow.log_param("alpha", alpha)
        mlflow.log_param("l1_ratio", l1_ratio)
        mlflow.log_metric("rmse", rmse)
        mlflow.log_metric("r2", r2)
        mlflow.log_metric("mae", mae)
        if urlparse(mlflow.get_tracking_uri()).scheme != "file":
            mlflow.sklearn.log_model(
                lr, "model", registered_model_name="ElasticnetWineModel"
            )
        else:
            mlflow.sklearn.log_model(lr, "model")
