"""``nas.export``: the Python form of ``nas export``, for a study in hand.

study = nas.search("studies/quickstart.yaml")
info = nas.export(study, "best/")             # the best trial's search weights
info = nas.export(study, "best/", retrain=True)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nas.base import ExportError
from nas.export._export import ExportRequest, export_trial
from nas.export._formats import list_formats

if TYPE_CHECKING:
    import optuna

    from nas.export._bundle import BundleInfo


def export(
    study: optuna.Study,
    out: str | Path,
    *,
    trial: int | None = None,
    retrain: bool = False,
    ensemble: bool = False,
    ensemble_trials: int = 0,
    formats: tuple[str, ...] | None = None,
) -> BundleInfo:
    """Write ``study``'s best trial (or trial number ``trial``) as a verified bundle to
    ``out``, exactly as ``nas export --best`` / ``--trial N`` does.

    Args:
        retrain: retrain on train + validation first (``--retrain``).
        ensemble: export the K cross-validation fold models as one (``--ensemble``).
        ensemble_trials: export a weighted ensemble of up to this many of the best trials
            (``--ensemble-trials N``).
        formats: which files to write (default: every registered format).

    Raises:
        ExportError: the study is not on an SQL store, or the bundle cannot be written.
    """
    from nas.base.optuna_compat import storage_url

    url = storage_url(study)
    if url is None:
        raise ExportError(
            f"study {study.study_name!r} is not on an SQL store; nas.export reads the "
            "study's recipe and weights from one (search with storage=URL)"
        )
    request = ExportRequest(
        storage=url,
        out=Path(out),
        study=study.study_name,
        trial=trial,
        retrain=retrain,
        ensemble=ensemble,
        ensemble_trials=ensemble_trials,
        formats=formats or tuple(list_formats()),
    )
    info, _ = export_trial(request)
    return info
