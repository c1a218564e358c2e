"""Views of the tasking app: ``meetings`` and ``debriefs``."""
