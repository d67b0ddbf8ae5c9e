"""Search studies: recipes, the SQL study store, the trial objective and the search loop.

``nas.study`` itself imports no torch; running a search does.
"""

from nas._lazy import lazy_exports
from nas.study._recipe import (
    METRICS,
    Constraints,
    Objective,
    StudyRecipe,
    load_recipe,
    parse_recipe,
)
from nas.study._storage import DEFAULT_STORAGE, default_storage, mask_password, open_storage

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "run_search": "nas.study._search",
        "prepare_search": "nas.study._search",
        "SearchOutcome": "nas.study._search",
        "study_statuses": "nas.study._summary",
        "select_study": "nas.study._summary",
        "best_trials": "nas.study._summary",
        "trial_record": "nas.study._summary",
        "retrain_command": "nas.study._summary",
        "TrialObjective": "nas.study._objective",
    },
)

__all__ = [
    "DEFAULT_STORAGE",
    "METRICS",
    "Constraints",
    "Objective",
    "SearchOutcome",
    "StudyRecipe",
    "TrialObjective",
    "best_trials",
    "default_storage",
    "load_recipe",
    "mask_password",
    "open_storage",
    "parse_recipe",
    "prepare_search",
    "retrain_command",
    "run_search",
    "select_study",
    "study_statuses",
    "trial_record",
]
