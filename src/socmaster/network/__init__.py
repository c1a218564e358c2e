"""Network analysis: the association graph of the master list, built only from what a user may
see, with key players, communities, whole-threat suggestions, link charts and exports. The pure
graph engine is :mod:`socmaster.network.engine` (igraph and leidenalg, no Django)."""
