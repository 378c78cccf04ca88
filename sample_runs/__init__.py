"""Real scikit-learn experiments that fill a store, for demos and tests."""
