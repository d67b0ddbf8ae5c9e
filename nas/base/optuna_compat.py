"""The one seam between nas and Optuna's private API.

nas reads a few things Optuna keeps private, because the public API would cost a storage
round trip or a deep copy per call on a hot path (the controller sees every trial once per
trial, from the trial cache ``Study.ask`` has just synced; a crashed trial's retry history
lives on its stored record). Every such use goes
through this module, and each function fails with an error naming the missing piece and
the supported Optuna versions instead of silently doing something else. Its tests
(tests/base/test_optuna_compat.py) pin each assumption to the installed Optuna.

Imported explicitly (it imports optuna); ``nas.base`` does not import it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import optuna
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

SUPPORTED = ">=4.2,<6"  # keep in step with pyproject.toml


class OptunaCompatError(RuntimeError):
    """The installed Optuna lacks a private API nas relies on."""


try:  # the heartbeat machinery of RDB stores, and the per-process trial cache around them
    from optuna.storages._cached_storage import _CachedStorage as CachedStorage
    from optuna.storages._heartbeat import BaseHeartbeat, get_heartbeat_thread  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installed Optuna
    raise OptunaCompatError(
        f"optuna {optuna.__version__} moved its heartbeat or cached storage ({exc}); "
        f"nas supports optuna{SUPPORTED}"
    ) from None


def _private(obj: object, name: str) -> Any:
    try:
        return getattr(obj, name)
    except AttributeError:
        raise OptunaCompatError(
            f"{type(obj).__name__}.{name} is missing in optuna {optuna.__version__}; "
            f"nas supports optuna{SUPPORTED}"
        ) from None


def cached_trials(study: Study) -> list[FrozenTrial]:
    """Every trial of ``study`` in number order, without deep copies, through Optuna's
    per-process trial cache (one storage read for the trials that changed)."""
    return _private(study, "_get_trials")(deepcopy=False, use_cache=True)


def trials_as_of_ask(study: Study) -> list[FrozenTrial]:
    """Every trial of ``study`` in number order, as the per-process trial cache holds it.

    ``Study.ask`` syncs that cache once per trial (it reads the storage for waiting trials,
    then adds the trial it creates), just before the sampler's ``before_trial``; reading
    the cache there sees the same study with no second storage round trip (a trial ask
    popped from the queue still shows WAITING: unfinished either way). Falls back to
    :func:`cached_trials` (one read) on a storage without the cache or a study not cached
    yet.
    """
    storage = _innermost(study, lambda s: isinstance(s, CachedStorage))
    if isinstance(storage, CachedStorage):
        with _private(storage, "_lock"):
            info = _private(storage, "_studies").get(study_id(study))
            if info is not None and info.trials:
                by_number = _private(info, "trials")  # keyed by trial number
                return [by_number[number] for number in sorted(by_number)]
    return cached_trials(study)


def _innermost(study: Study, found: Callable[[object], bool]) -> object:
    """The first storage in the study's chain of wrappers that ``found`` accepts (nas's
    retrying store wraps Optuna's cache, which wraps RDB), else the innermost one."""
    storage: object = storage_of(study)
    while not found(storage) and hasattr(storage, "_backend"):
        storage = storage._backend
    return storage


def study_id(study: Study) -> int:
    """The storage's id of ``study``: two Study objects of one study share it."""
    return _private(study, "_study_id")


def trial_id(trial: FrozenTrial | optuna.Trial) -> int:
    """The storage's id of a trial (what the storage's per-trial methods take)."""
    return _private(trial, "_trial_id")


def storage_of(study: Study) -> optuna.storages.BaseStorage:
    return _private(study, "_storage")


def storage_url(study: Study) -> str | None:
    """The SQLAlchemy URL of a study on an RDB store (None: another kind of storage).
    Optuna wraps RDBStorage in a per-process cache whose backend holds the URL."""
    storage = _innermost(study, lambda s: isinstance(getattr(s, "url", None), str))
    url = getattr(storage, "url", None)
    return url if isinstance(url, str) else None


def stale_trial_ids(study: Study) -> list[int]:
    """Ids of the study's RUNNING trials whose heartbeat is older than the grace period
    (empty unless the storage records heartbeats)."""
    storage = storage_of(study)
    if not isinstance(storage, BaseHeartbeat) or storage.get_heartbeat_interval() is None:
        return []
    return _private(storage, "_get_stale_trial_ids")(study_id(study))


def set_trial_user_attr(study: Study, trial: FrozenTrial, key: str, value: Any) -> None:
    """Set a user attr of a trial a sampler sees only as a FrozenTrial (``after_trial``)."""
    storage_of(study).set_trial_user_attr(trial_id(trial), key, value)


def stored_trial(trial: optuna.Trial) -> FrozenTrial:
    """The stored record of a running trial, system attrs included (retry history)."""
    return storage_of(trial.study).get_trial(trial_id(trial))


class TrialWindow:
    """A study as an inner sampler sees it: its directions, and only the given trials.

    The controller hands its inner sampler (TPE) the trials it read once for the trial,
    and of those only the last ``window``, so a trial's cost stays flat as the study grows.
    The view exposes exactly what Optuna's samplers read in ``sample_independent``; any
    other attribute raises :class:`OptunaCompatError` rather than reaching past the
    window to the real study.
    """

    def __init__(self, study: Study, trials: Sequence[FrozenTrial], window: int | None) -> None:
        self._study, self._trials, self._window = study, trials, window
        self._directions: list[StudyDirection] | None = None
        self._filtered: dict[tuple[TrialState, ...] | None, list[FrozenTrial]] = {}

    @property
    def directions(self) -> list[StudyDirection]:
        if self._directions is None:  # a storage read: only when the sampler asks
            self._directions = list(self._study.directions)
        return self._directions

    @property
    def study_name(self) -> str:
        return self._study.study_name

    @property
    def direction(self) -> StudyDirection:
        if len(self.directions) > 1:
            raise RuntimeError("a multi-objective study has no single direction")
        return self.directions[0]

    def _is_multi_objective(self) -> bool:
        return len(self.directions) > 1

    @property
    def _study_id(self) -> int:  # Optuna's search-space caches key on it
        return study_id(self._study)

    @property
    def _storage(self) -> _TrialAttrWriter:
        """The study's storage for writes to a trial's system attrs only (TPE's constant
        liar shares a running trial's relative params this way); reads would reach past
        the window, and raise."""
        return _TrialAttrWriter(storage_of(self._study))

    def _get_trials(
        self,
        deepcopy: bool = True,
        states: Sequence[TrialState] | None = None,
        use_cache: bool = False,
    ) -> list[FrozenTrial]:
        key = None if states is None else tuple(states)
        if key not in self._filtered:  # TPE asks the same twice per parameter
            self._filtered[key] = self._last(key)
        return list(self._filtered[key])

    def _last(self, states: tuple[TrialState, ...] | None) -> list[FrozenTrial]:
        """The last ``window`` trials in ``states`` (all with no window), in number order,
        scanning back from the newest so that the cost is the window's, not the study's."""
        if self._window is None:
            return [t for t in self._trials if states is None or t.state in states]
        picked: list[FrozenTrial] = []
        for trial in reversed(self._trials):
            if len(picked) == self._window:
                break
            if states is None or trial.state in states:
                picked.append(trial)
        return picked[::-1]

    def get_trials(
        self, deepcopy: bool = True, states: Sequence[TrialState] | None = None
    ) -> list[FrozenTrial]:
        return self._get_trials(deepcopy, states)

    @property
    def trials(self) -> list[FrozenTrial]:
        return self._get_trials()

    def __getattr__(self, name: str) -> Any:
        raise OptunaCompatError(
            f"the inner sampler read Study.{name}, which the controller's trial window does "
            f"not provide (optuna {optuna.__version__}); add it to "
            "nas.base.optuna_compat.TrialWindow"
        )


class _TrialAttrWriter:
    """What a :class:`TrialWindow` lets an inner sampler do with the storage: set a
    trial's system attr. Anything else raises :class:`OptunaCompatError`."""

    def __init__(self, storage: optuna.storages.BaseStorage) -> None:
        self._store = storage

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._store.set_trial_system_attr(trial_id, key, value)

    def __getattr__(self, name: str) -> Any:
        raise OptunaCompatError(
            f"the inner sampler called storage.{name}, which the controller's trial window "
            f"does not provide (optuna {optuna.__version__}); add it to "
            "nas.base.optuna_compat.TrialWindow"
        )
