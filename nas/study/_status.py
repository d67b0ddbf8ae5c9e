"""``nas status`` and the choice of ``nas best``, read from a store with a few SQL queries
(``nas.base.optuna_schema``): fast on large studies, strictly read-only, and importing
neither optuna nor torch."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from nas.base import StorageError
from nas.base.optuna_schema import Reader, StoredStudy
from nas.study._best import RANKING_ATTRS, Candidate, choice_text, rank


@dataclass(frozen=True)
class StudyStatus:
    """One row of ``nas status``."""

    name: str
    directions: list[str]
    metric_names: list[str]
    states: dict[str, int]  # COMPLETE, PRUNED, FAIL, RUNNING, WAITING -> count
    best: list[float] | None  # best value (single objective) or None
    n_pareto: int | None  # size of the Pareto front (multi-objective)
    seconds: float  # sum of finished trials' durations


def study_statuses(url: str) -> list[StudyStatus]:
    """Every study in the store at ``url`` with trial counts by state, best value and time
    spent, read with a few SQL queries (``optuna_schema``), not trial by trial."""
    reader = Reader(url)
    rows = []
    for study in reader.studies():
        trials = reader.trials(study.study_id)
        states = Counter(t.state for t in trials)
        seconds = sum(t.seconds for t in trials if t.seconds is not None)
        done = [t.values for t in trials if t.values is not None and t.feasible]
        best, n_pareto = None, None
        if len(study.directions) > 1:
            n_pareto = len(pareto_front(done, study.directions))
        elif done:
            pick = max if study.directions[0] == "maximize" else min
            best = [pick(v[0] for v in done)]
        names = study.metric_names or tuple(f"value{i}" for i in range(len(study.directions)))
        rows.append(StudyStatus(study.name, list(study.directions), list(names), dict(states),
                                best, n_pareto, seconds))  # fmt: skip
    return rows


def pareto_front(values: list[tuple[float, ...]], directions: tuple[str, ...]) -> list[int]:
    """Indices of the non-dominated ``values``."""
    signs = [1.0 if d == "maximize" else -1.0 for d in directions]
    scored = [tuple(s * x for s, x in zip(signs, v, strict=True)) for v in values]

    def dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return all(x >= y for x, y in zip(a, b, strict=True)) and a != b

    return [i for i, a in enumerate(scored) if not any(dominates(b, a) for b in scored)]


def pick_study(names: list[str], name: str | None, url: str) -> str:
    """``name`` checked against the store's studies, or the only one when None."""
    if not names:
        raise StorageError(f"{url} holds no studies yet; run `nas search STUDY.yaml` first")
    if name is None:
        if len(names) > 1:
            raise StorageError(
                f"{url} holds {len(names)} studies ({', '.join(names)}); pick one with --study"
            )
        return names[0]
    if name not in names:
        raise StorageError(f"no study {name!r} in {url}; studies there: {', '.join(names)}")
    return name


@dataclass(frozen=True)
class BestInStore:
    """What ``nas best`` shows, found with SQL: which trials, and any tie."""

    study: StoredStudy  # name, directions, metric names and user attrs, as a Study has them
    trials: list[Any]  # FrozenTrials: the best trial, or the Pareto front in number order
    choice: str | None  # how the best trial was chosen, when it was a choice (choice_text)


def best_in_store(url: str, name: str | None, masked: str) -> BestInStore:
    """The best trial (chosen as :func:`best_trial` chooses) or the Pareto front of study
    ``name``, without loading every trial."""
    reader = Reader(url)
    studies = {s.name: s for s in reader.studies()}
    study = studies[pick_study(list(studies), name, masked)]
    trials = [
        t
        for t in reader.trials(study.study_id, user_attrs=RANKING_ATTRS)
        if t.values is not None and t.feasible and all(math.isfinite(v) for v in t.values)
    ]
    stored = reader.study(study)
    if len(study.directions) > 1:
        front = pareto_front([t.values for t in trials], study.directions)  # type: ignore[misc]
        return BestInStore(stored, [reader.frozen_trial(trials[i].trial_id) for i in front], None)
    by_number = {t.number: t for t in trials}
    metric = (study.metric_names or ("value",))[0]
    pool = [Candidate.of(t.number, t.values[0], t.attrs, metric) for t in trials]  # type: ignore[index]
    maximize = study.directions[0] == "maximize"
    best = rank(pool, maximize)
    if best is None:
        return BestInStore(stored, [], None)
    chosen = reader.frozen_trial(by_number[best.number].trial_id)
    return BestInStore(stored, [chosen], choice_text(pool, best, metric, maximize))
