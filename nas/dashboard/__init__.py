"""What optuna-dashboard shows: a trial's markdown note and architecture diagram, and the
study's note naming its best trial."""

from nas.dashboard._diagram import draw_architecture
from nas.dashboard._note import study_note, trial_note

__all__ = ["draw_architecture", "study_note", "trial_note"]
