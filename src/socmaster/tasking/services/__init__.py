"""Services of the tasking app: ``meetings`` and ``debriefs``."""
