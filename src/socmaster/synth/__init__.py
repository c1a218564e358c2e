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

__all__ = ["Dataset", "OrgSpec", "SynthDisruption", "SynthMember", "SynthNominal", "SynthThreat", "SynthUser", "generate"]
