"""Entity resolution: screening people against the master list.

``linkage.engine`` is the pure engine (no Django): standardising UK person records, the Splink
model (settings and trained parameters as JSON data), training, screening on DuckDB or Spark, each
match's explanation and the comparison of one model with another. The rest of the package is the
app: stored models, screening runs, the review queue, decisions and deconfliction.
"""
