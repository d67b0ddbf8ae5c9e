"""What optuna-dashboard shows of a trial: its markdown note and architecture diagram."""

from nas.dashboard._diagram import draw_architecture
from nas.dashboard._note import trial_note

__all__ = ["draw_architecture", "trial_note"]
