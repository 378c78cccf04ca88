"""Moving runs in and out of a store: MLflow import/export (``mlflow`` imported lazily, only there)."""
