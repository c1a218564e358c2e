"""The pure entity-resolution engine (no Django): see :mod:`.model` and :mod:`.standardise`."""

from .lookup import Lookup
from .model import Model, ModelError, best_matches, compare, explain, predict, prior_weight, train
from .standardise import INPUT_COLUMNS, prepare

__all__ = [
    "INPUT_COLUMNS",
    "Lookup",
    "Model",
    "ModelError",
    "best_matches",
    "compare",
    "explain",
    "predict",
    "prepare",
    "prior_weight",
    "train",
]
