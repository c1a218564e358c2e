"""The pure network-analysis engine (no Django): igraph's C core, numpy and pandas.

:mod:`.graph` builds the multigraph and its collapsed views from plain tables; :mod:`.metrics`
finds key players, communities, whole-threat suggestions and brokers; :mod:`.paths` answers
shortest paths and neighbourhoods; :mod:`.export` writes GraphML, CSV and i2 ANX; :mod:`.files`
reads and analyses edge-list files.
"""

from .export import (
    ANX_SCHEMA_ELEMENTS,
    AnxError,
    read_anx,
    to_anx,
    validate_anx,
    write_csv,
    write_graphml,
)
from .files import EdgeFileError, analyse_edge_file, read_edge_file
from .graph import EDGE_COLUMNS, NODE_COLUMNS, Graph
from .metrics import (
    BETWEENNESS_EXACT_LIMIT,
    BETWEENNESS_SAMPLES,
    Broker,
    HiddenMember,
    KeyPlayers,
    Split,
    WholeThreat,
    brokers,
    communities,
    key_players,
    whole_threat,
)
from .paths import FAN_OUT_CAP, Subgraph, neighbourhood, shortest_path

__all__ = [
    "ANX_SCHEMA_ELEMENTS",
    "AnxError",
    "BETWEENNESS_EXACT_LIMIT",
    "BETWEENNESS_SAMPLES",
    "Broker",
    "EDGE_COLUMNS",
    "EdgeFileError",
    "FAN_OUT_CAP",
    "Graph",
    "HiddenMember",
    "KeyPlayers",
    "NODE_COLUMNS",
    "Split",
    "Subgraph",
    "WholeThreat",
    "analyse_edge_file",
    "brokers",
    "communities",
    "key_players",
    "neighbourhood",
    "read_anx",
    "read_edge_file",
    "shortest_path",
    "to_anx",
    "validate_anx",
    "whole_threat",
    "write_csv",
    "write_graphml",
]
