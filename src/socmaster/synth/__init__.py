"""Synthetic national dataset generator (pure Python). See generator.py."""

from .generator import Dataset, OrgSpec, SynthMember, SynthNominal, SynthThreat, SynthUser, generate

__all__ = ["Dataset", "OrgSpec", "SynthMember", "SynthNominal", "SynthThreat", "SynthUser", "generate"]
