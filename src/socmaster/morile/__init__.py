"""MoRiLE scoring engine (pure Python). See engine.py for the combination rule."""

from .engine import (
    Answer,
    AnswerError,
    Combination,
    Factor,
    Figure,
    Scheme,
    SchemeError,
    ScoreResult,
    Threshold,
    default_scheme,
    list_factors,
    load_scheme,
    score,
)

__all__ = [
    "Answer", "AnswerError", "Combination", "Factor", "Figure", "Scheme", "SchemeError", "ScoreResult",
    "Threshold", "default_scheme", "list_factors", "load_scheme", "score",
]
