"""Matching the activities that are never SOC disruptions in the words police actually write.

A standard's ``excluded_activities`` rule names a ``phrase`` and, optionally, ``terms``: other
wordings, abbreviations and system names for the same activity ("RSO visit", "ViSOR", "MOSOVO").
Every phrase and term is matched as words, in any word form (Snowball's English stemmer:
"managing registered sex offenders" matches "registered sex offender management"'s words in
order), ignoring case and punctuation, and never inside another word ("visor" is not in
"supervisor"). Abbreviations (up to five capitals: "RSO", "MAPPA") and names with capitals
inside ("ViSOR") match only as written or in capitals, so a car's "visor" is not ViSOR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[A-Za-z0-9]+")
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word.lower())


def _is_name(word: str) -> bool:
    """An abbreviation ("RSO") or a system's name with capitals inside it ("ViSOR"): matched
    only as written or in capitals, never as an everyday lower-case word ("a car's visor")."""
    return word.isalpha() and ((word.isupper() and len(word) <= 5) or word[1:] != word[1:].lower())


@dataclass(frozen=True)
class Term:
    """One wording: its words as stems, and the words that are names (None for others)."""

    text: str
    stems: tuple[str, ...]
    names: tuple[str | None, ...]

    @classmethod
    def of(cls, text: str) -> Term:
        words = _WORD.findall(text)
        return cls(
            text,
            tuple(_stem(w) for w in words),
            tuple(w if _is_name(w) else None for w in words),
        )


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    for word in _WORD.findall(text or ""):
        if len(word) > 2 and word.endswith("s") and word[:-1].isupper():
            word = word[:-1]  # an abbreviation's plural: "RSOs" is "RSO"
        tokens.append((_stem(word), word))
    return tokens


def find(term: Term, tokens: list[tuple[str, str]]) -> bool:
    """Do ``term``'s words appear, in order and next to each other, among ``tokens``?"""
    n = len(term.stems)
    if not n:
        return False
    for start in range(len(tokens) - n + 1):
        for offset in range(n):
            stem, word = tokens[start + offset]
            if stem != term.stems[offset]:
                break
            name = term.names[offset]
            if name is not None and word != name and not word.isupper():
                break
        else:
            return True
    return False


@lru_cache(maxsize=64)
def _terms(rule_key: tuple) -> tuple[Term, ...]:
    return tuple(Term.of(text) for text in rule_key if text.strip())


def matches(rule: dict, text: str) -> str | None:
    """The wording of ``rule`` (phrase or one of its terms) found in ``text``, or None."""
    key = (rule.get("phrase", ""), *rule.get("terms", ()))
    tokens = _tokens(text)
    for term in _terms(key):
        if find(term, tokens):
            return term.text
    return None
