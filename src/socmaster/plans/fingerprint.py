"""Near-duplicate detection for plan text: MinHash signatures (datasketch) with banded
locality-sensitive hashing, so candidate copies are found by an indexed database lookup.

Only a plan's *own* text counts: lines that come from a template are removed first, so plans
started from the same template are not flagged as copies of one another.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS  # 4 rows a band: pairs above about 0.5 similarity share a band
SHINGLE = 3

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    return _WORD.findall((text or "").lower())


def _norm_line(line: str) -> str:
    return " ".join(words(line))


def own_lines(texts: Iterable[str], template_texts: Iterable[str] = ()) -> list[str]:
    """The lines of ``texts`` that are not template lines (compared ignoring case and punctuation)."""
    template = {_norm_line(line) for text in template_texts for line in (text or "").splitlines()}
    template.discard("")
    out = []
    for text in texts:
        for line in (text or "").splitlines():
            key = _norm_line(line)
            if key and key not in template:
                out.append(key)
    return out


def signature(lines: list[str], min_words: int) -> list[int]:
    """The MinHash signature of the word shingles of ``lines``; empty when there are too few words."""
    from datasketch import MinHash

    tokens = [w for line in lines for w in line.split()]
    if len(tokens) < max(min_words, SHINGLE):
        return []
    shingles = {
        " ".join(tokens[i : i + SHINGLE]).encode() for i in range(len(tokens) - SHINGLE + 1)
    }
    minhash = MinHash(num_perm=NUM_PERM, seed=1)
    minhash.update_batch(sorted(shingles))
    return [int(v) for v in minhash.hashvalues]


def bands(sig: list[int]) -> list[tuple[int, int]]:
    """(band number, 64-bit signed value) for each band of a signature."""
    out = []
    for b in range(BANDS if sig else 0):
        chunk = ",".join(str(v) for v in sig[b * ROWS : (b + 1) * ROWS]).encode()
        out.append(
            (b, int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "big", signed=True))
        )
    return out


def similarity(a: list[int], b: list[int]) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets (0 to 1)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)
