"""MoRiLE scoring engine: scoring schemes as versioned data, and scoring answers against them.

Pure Python (no Django). ``scheme`` defines and validates schemes; ``scoring`` applies the
combination rule and explains every figure. See ``docs/morile.md``.
"""

from .scheme import (
    Answer,
    Combination,
    Factor,
    Scheme,
    SchemeError,
    Threshold,
    default_scheme,
    list_factors,
    load_scheme,
)
from .scoring import AnswerError, Figure, ScoreResult, score

__all__ = [
    "Answer",
    "AnswerError",
    "Combination",
    "Factor",
    "Figure",
    "Scheme",
    "SchemeError",
    "ScoreResult",
    "Threshold",
    "default_scheme",
    "list_factors",
    "load_scheme",
    "score",
]
