"""The screening file format (docs/linkage.md): people as UTF-8 CSV with the columns
``first_name, middle_name, surname, dob, gender, postcode, phone`` and an id column (``id`` for
nominals, ``subject_id`` for subjects); matches as ``subject_id, nominal_id, match_probability``.

:func:`read_people` checks a whole file before anything is screened and reports every problem
it finds, by row, in one :class:`FileError`.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from .standardise import INPUT_COLUMNS

MATCH_COLUMNS = ["subject_id", "nominal_id", "match_probability"]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_PROBLEMS = 20


class FileError(ValueError):
    """A file that cannot be screened; ``problems`` lists what is wrong, by row."""

    def __init__(self, path, problems: list[str]):
        self.path, self.problems = str(path), problems
        super().__init__(f"{path}: " + "; ".join(problems))


def read_people(path: str | Path, id_column: str):
    """A people file as a pandas DataFrame of text (empty cells as ''), checked: the id column
    and the person columns present, ids given and unique, dates of birth ``YYYY-MM-DD``."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise FileError(path, ["no such file"])
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8", engine="c", na_filter=False
        )
    except UnicodeDecodeError:
        raise FileError(path, ["not UTF-8 text"]) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise FileError(path, [f"not a readable CSV file ({exc})"]) from None
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    missing = [c for c in (id_column, *INPUT_COLUMNS) if c not in frame.columns]
    if missing:
        raise FileError(path, [f"missing column(s): {', '.join(missing)}"])
    problems = []
    ids = frame[id_column].str.strip()
    frame[id_column] = ids
    rows = frame.index + 2  # the header is row 1
    for row in rows[ids == ""][:MAX_PROBLEMS]:
        problems.append(f"row {row}: {id_column} is empty")
    duplicated = ids.duplicated(keep="first") & (ids != "")
    for row, value in zip(rows[duplicated][:MAX_PROBLEMS], ids[duplicated], strict=False):
        problems.append(f"row {row}: {id_column} {value!r} appears more than once")
    dob = frame["dob"].str.strip()
    bad = (dob != "") & ~dob.str.match(_DATE)
    if not bad.any():
        parsed = pd.to_datetime(dob.where(dob != ""), format="%Y-%m-%d", errors="coerce")
        bad = (dob != "") & parsed.isna()
    for row, value in zip(rows[bad][:MAX_PROBLEMS], dob[bad], strict=False):
        problems.append(f"row {row}: dob {value!r} is not a date written YYYY-MM-DD")
    frame["dob"] = dob
    if problems:
        raise FileError(path, problems[:MAX_PROBLEMS])
    return frame[[id_column, *INPUT_COLUMNS]]


def write_matches(matches, path: str | Path) -> int:
    """Write best matches (``subject_id, nominal_id, match_probability``) to ``path``; returns
    the rows written."""
    out = matches[MATCH_COLUMNS].copy()
    out["match_probability"] = out["match_probability"].map(lambda p: f"{p:.6f}")
    out.to_csv(path, index=False, encoding="utf-8")
    return len(out)


def screen_files(
    model,
    subjects_path: str | Path,
    nominals: str | Path | object,
    out_path: str | Path,
    *,
    backend: str = "duckdb",
    progress=None,
) -> dict[str, int]:
    """Screen a subjects file against nominals (a nominals file, or a raw table with an ``id``
    column) and write each linked subject's best match to ``out_path``. ``progress(step, done,
    total)`` is told as each of the four steps ends. Returns the counts."""
    from .model import best_matches, predict
    from .standardise import prepare

    def tell(step: int, name: str) -> None:
        if progress:
            progress(name, step, 4)

    subjects = read_people(subjects_path, "subject_id")
    raw_nominals = read_people(nominals, "id") if isinstance(nominals, str | Path) else nominals
    tell(1, "read")
    prepared_nominals, prepared_subjects = (
        prepare(raw_nominals, "id"),
        prepare(subjects, "subject_id"),
    )
    tell(2, "standardised")
    pairs = predict(
        model, prepared_nominals, prepared_subjects, threshold=model.upper, backend=backend
    )
    tell(3, "compared")
    written = write_matches(best_matches(model, pairs), out_path)
    tell(4, "written")
    return {
        "subjects": len(subjects),
        "nominals": len(raw_nominals),
        "pairs": len(pairs),
        "matches": written,
    }
