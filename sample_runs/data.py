"""The kata's dataset and small helpers shared by the sample runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_SEED = 42


@dataclass(frozen=True)
class Dataset:
    """The kata's train/test split of ``make_classification`` (1,000 samples, 15 features)."""

    x_train: Any
    x_test: Any
    y_train: Any
    y_test: Any
    description: str


def load_dataset(seed: int = DEFAULT_SEED) -> Dataset:
    """The kata's data: 1,000 samples, 15 features (10 informative), 2 classes, 20 % held out."""
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    x, y = make_classification(n_samples=1000, n_features=15, n_informative=10, n_classes=2, random_state=seed)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=seed)
    return Dataset(x_train, x_test, y_train, y_test, f"make_classification(1000x15, seed={seed})")


def spread_timestamps(start: float, duration: float, count: int) -> list[float]:
    """``count`` instants evenly spread over ``[start, start + duration]`` (per-step histories
    computed after training, e.g. staged predictions, get the times the steps were trained at)."""
    if count <= 0:
        return []
    return [start + duration * (i + 1) / count for i in range(count)]


def quiet_warnings() -> None:
    """Silence scikit-learn's convergence chatter in the sample runs (it is expected there)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
