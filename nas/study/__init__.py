"""Search studies: recipes, the SQL study store, the trial objective and the search loop.

``nas.study`` itself imports no torch; running a search does.
"""

from nas.base import lazy_exports
from nas.study._identity import unnamed_worker, worker_label
from nas.study._pruners import PRUNERS, list_pruners, make_pruner, register_pruner
from nas.study._recipe import (
    Component,
    Objective,
    StudyRecipe,
    check_override,
    load_recipe,
    parse_recipe,
    recipe_from_dict,
)
from nas.study._record import StudyRecord, TrialRecord
from nas.study._sections import (
    ArtifactSettings,
    Constraints,
    RecoverySettings,
    ValidationSettings,
)
from nas.study._storage import (
    DEFAULT_STORAGE,
    STORAGE_ENV,
    absolute_url,
    check_store,
    default_storage,
    mask_password,
    open_storage,
    sqlite_file,
)

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(
            ("run_search", "prepare_search", "PreparedSearch", "SearchOutcome", "finished_states"),
            "nas.study._search",
        ),
        **dict.fromkeys(
            ("select_study", "best_trials", "trial_json", "retrain_command"),
            "nas.study._summary",
        ),
        **dict.fromkeys(
            ("StudyStatus", "BestInStore", "study_statuses", "best_in_store", "pick_study"),
            "nas.study._status",
        ),
        **dict.fromkeys(("TrialObjective", "TrialSettings"), "nas.study._objective"),
        **dict.fromkeys(("best_trial", "choice_note"), "nas.study._best"),
        **dict.fromkeys(
            ("ValidationPlan", "plan_validation", "validation_warning"), "nas.study._validation"
        ),
        "search_space": "nas.study._search",
        **dict.fromkeys(("search", "best", "build_recipe", "quiet_optuna"), "nas.study._api"),
        **dict.fromkeys(("auto_recipe", "auto_recipe_doc"), "nas.study._auto_recipe"),
        **dict.fromkeys(("TrialArtifacts", "default_artifact_dir"), "nas.study._artifacts"),
        **dict.fromkeys(
            (
                "INTERRUPTED_EXIT",
                "SQLITE_MAX_WORKERS",
                "WorkerPlan",
                "auto_workers",
                "check_override",
                "check_storage_for",
                "launch_workers",
                "list_pruners",
                "plan_search",
                "plan_workers",
            ),
            "nas.study._workers",
        ),
    },
)

__all__ = [
    "DEFAULT_STORAGE",
    "INTERRUPTED_EXIT",
    "PRUNERS",
    "SQLITE_MAX_WORKERS",
    "STORAGE_ENV",
    "ArtifactSettings",
    "BestInStore",
    "Component",
    "Constraints",
    "Objective",
    "PreparedSearch",
    "RecoverySettings",
    "SearchOutcome",
    "StudyRecipe",
    "StudyRecord",
    "StudyStatus",
    "TrialArtifacts",
    "TrialObjective",
    "TrialRecord",
    "TrialSettings",
    "ValidationPlan",
    "ValidationSettings",
    "WorkerPlan",
    "absolute_url",
    "auto_recipe",
    "auto_recipe_doc",
    "auto_workers",
    "best",
    "best_in_store",
    "best_trial",
    "best_trials",
    "build_recipe",
    "check_override",
    "check_storage_for",
    "check_store",
    "choice_note",
    "default_artifact_dir",
    "default_storage",
    "finished_states",
    "launch_workers",
    "list_pruners",
    "load_recipe",
    "make_pruner",
    "mask_password",
    "open_storage",
    "parse_recipe",
    "pick_study",
    "plan_search",
    "plan_validation",
    "plan_workers",
    "prepare_search",
    "quiet_optuna",
    "recipe_from_dict",
    "register_pruner",
    "retrain_command",
    "run_search",
    "search",
    "search_space",
    "select_study",
    "sqlite_file",
    "study_statuses",
    "trial_json",
    "unnamed_worker",
    "validation_warning",
    "worker_label",
]
