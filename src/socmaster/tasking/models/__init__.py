"""Tasking and co-ordination meetings (``meetings``) and debriefs with the learning library
(``debriefs``)."""

from .debriefs import *  # noqa: F403
from .meetings import *  # noqa: F403
