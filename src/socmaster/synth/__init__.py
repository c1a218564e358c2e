"""Synthetic national dataset generator (pure Python). See generator.py."""

from .generator import (
    Dataset,
    OrgSpec,
    SynthDisruption,
    SynthMember,
    SynthNominal,
    SynthThreat,
    SynthUser,
    generate,
)
from .plans import PLAN_FAULT_RATES, PLAN_FAULTS, SynthAction, SynthPlan, SynthReview, SynthView

__all__ = [
    "PLAN_FAULTS",
    "PLAN_FAULT_RATES",
    "Dataset",
    "OrgSpec",
    "SynthAction",
    "SynthDisruption",
    "SynthMember",
    "SynthNominal",
    "SynthPlan",
    "SynthReview",
    "SynthThreat",
    "SynthUser",
    "SynthView",
    "generate",
]
