"""Study recipes (studies/*.yaml): what to search, on which data, with which sampler.

Relative paths in a recipe (``space``, an ``.npz`` ``data`` file, a ``sqlite:///`` storage)
resolve against the recipe file's folder, so a recipe works from any directory::

    study: quickstart
    space: ../search_spaces/quickstart.yaml
    data: mnist1d
    sampler: tpe                       # or {name: tpe, options: {n_startup_trials: 5}}
    pruner: {name: median, options: {n_warmup_steps: 2}}
    objectives: [val_acc]              # or [{metric: val_acc}, {metric: params}]
    constraints: {max_params: 100000}
    n_trials: 20
    plugins: [my_blocks]               # modules registering your own blocks, samplers, ...
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from nas.base import (
    RecipeError,
    build_config,
    config_to_dict,
    key_text,
    load_plugins,
    option,
    option_specs,
    parse_yaml,
    read_text,
)
from nas.config import DIRECTIONS, METRICS, primary_metric
from nas.data import TASKS, UNEQUAL_LENGTH_POLICIES, ReadOptions, is_data_file
from nas.samplers import list_samplers
from nas.space import AUTO
from nas.study._pruners import list_pruners
from nas.study._sections import (
    DEFAULT_FOLDS,
    ArtifactSettings,
    Constraints,
    RecoverySettings,
    SearchSettings,
    ValidationSettings,
)
from nas.study._storage import SQLITE_PREFIX, sqlite_file

PRECISIONS = ("32-true", "bf16-mixed", "16-mixed")  # Lightning's names
T = TypeVar("T")


@dataclass(frozen=True)
class Objective:
    """One optimised quantity and its direction."""

    metric: str
    direction: str


@dataclass(frozen=True)
class Component:
    """A sampler or pruner: registered name plus constructor options."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)


SEED_LIMIT = 2**32 - 1  # what torch, numpy and Lightning accept as a seed
MAX_TRIAL_NUMBER = 1_000_000  # trial numbers the seeds leave room for
MAX_SEED = SEED_LIMIT - MAX_TRIAL_NUMBER  # so that seed + trial number stays a valid seed


@dataclass(frozen=True)
class _Settings:
    """The scalar keys of a recipe."""

    study: str = option("nas", "study name in the store")
    space: str = option("", "search-space YAML, relative to the recipe, or auto")
    data: str = option(
        "mnist1d", "dataset: a registered name (nas list datasets), a data file or folder"
    )
    target: str | None = option(None, "tables: the column to predict", kind=str, nullable=True)
    unequal_length: str = option(
        "resample",
        "series of unequal length: resample to the longest, pad with zeros, or error",
        choices=UNEQUAL_LENGTH_POLICIES,
    )
    task: str = option(
        "auto",
        "what the targets are; auto: decided by their values, asking where either is plausible",
        choices=TASKS,
    )
    val_fraction: float = option(
        0.2, "share of training data held out for validation", low=0.01, high=0.9
    )
    n_trials: int | None = option(
        20, "trials this run adds (null: until timeout)", kind=int, low=1, nullable=True
    )
    timeout: float | None = option(
        None, "seconds for the whole run", kind=float, low=0.0, nullable=True
    )
    trial_timeout: float | None = option(
        None,
        "seconds of training per trial; longer trials are pruned",
        kind=float,
        low=0.0,
        nullable=True,
    )
    seed: int = option(
        0, "seeds the sampler and each trial's training (seed + trial number)", low=0,
        high=MAX_SEED,
    )  # fmt: skip
    precision: str | None = option(
        None,
        "training precision; null: bf16-mixed on GPUs that support it, else 32-true",
        kind=str,
        choices=PRECISIONS,
        nullable=True,
    )
    storage: str | None = option(
        None, "SQLAlchemy URL; default sqlite:///studies/nas.db", kind=str, nullable=True
    )
    threads: int = option(1, "CPU threads per trial (one pays off for small models)", low=1)
    workers: int | None = option(
        None,
        "trials at once on this machine; null: one per CPU on a CPU-only machine, else 1",
        kind=int,
        low=1,
        nullable=True,
    )


@dataclass(frozen=True)
class StudyRecipe:
    """A validated study recipe. Build with :func:`load_recipe`."""

    study: str
    space: Path
    data: str
    val_fraction: float
    sampler: Component
    pruner: Component
    objectives: tuple[Objective, ...]  # empty: the dataset task's primary metric
    constraints: Constraints
    n_trials: int | None
    timeout: float | None
    trial_timeout: float | None
    seed: int
    storage: str | None
    precision: str | None = None
    artifacts: ArtifactSettings = field(default_factory=ArtifactSettings)
    recovery: RecoverySettings = field(default_factory=RecoverySettings)
    plugins: tuple[str, ...] = ()  # modules imported before anything is validated
    plugin_path: str | None = None  # folder searched first for them (the recipe's folder)
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    target: str | None = None  # tables: the column to predict
    unequal_length: str = "resample"  # series of unequal length: resample, pad or error
    task: str = "auto"  # classification, regression, or auto (decided by the targets)
    threads: int = 1  # CPU intra-op threads per trial
    workers: int | None = None  # trials at once on this machine (None: chosen by nas search)
    source: str = "<memory>"

    @property
    def auto_space(self) -> bool:
        """Whether the space is derived from the data (``space: auto``)."""
        return str(self.space) == AUTO

    def read_options(self) -> ReadOptions:
        """How the recipe's data is read."""
        return ReadOptions(
            val_fraction=self.holdout_fraction,
            target=self.target,
            unequal_length=self.unequal_length,
            task=self.task,
        )

    @property
    def holdout_fraction(self) -> float:
        """The validation share of a holdout split (``validation.holdout`` or
        ``val_fraction``)."""
        return self.validation.holdout or self.val_fraction

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored in the study so it describes itself; ``recipe_from_dict``
        reads it back (every path in it is absolute)."""
        return {
            "study": self.study,
            "space": str(self.space),
            "data": self.data,
            "val_fraction": self.val_fraction,
            "sampler": {"name": self.sampler.name, "options": dict(self.sampler.options)},
            "pruner": {"name": self.pruner.name, "options": dict(self.pruner.options)},
            "objectives": [{"metric": o.metric, "direction": o.direction} for o in self.objectives],
            "constraints": config_to_dict(self.constraints),
            "n_trials": self.n_trials,
            "timeout": self.timeout,
            "trial_timeout": self.trial_timeout,
            "seed": self.seed,
            "precision": self.precision,
            "artifacts": config_to_dict(self.artifacts),
            "recovery": config_to_dict(self.recovery),
            "plugins": list(self.plugins),
            "plugin_path": self.plugin_path,
            "validation": config_to_dict(self.validation),
            "search": config_to_dict(self.search),
            "target": self.target,
            "unequal_length": self.unequal_length,
            "task": self.task,
            "threads": self.threads,
            "workers": self.workers,
        }


ROOT_KEYS = (
    *config_to_dict(_Settings()).keys(),
    "sampler",
    "pruner",
    "objectives",
    "constraints",
    "artifacts",
    "recovery",
    "plugins",
    "plugin_path",
    "validation",
    "search",
)
LEGACY_KEYS = ("source",)  # stored by earlier versions; ignored when a stored recipe is read


def load_recipe(path: str | Path) -> StudyRecipe:
    """Load and validate a recipe file; errors name the file and key path."""
    source = str(path)
    doc = parse_yaml(read_text(path, RecipeError, "study recipe"), source, RecipeError)
    if not isinstance(doc, Mapping):
        raise RecipeError(f"{source}: expected a mapping with keys {', '.join(ROOT_KEYS)}")
    return parse_recipe(doc, source, base=Path(path).resolve().parent, default_name=Path(path).stem)


def parse_recipe(
    doc: Mapping[str, Any], source: str, *, base: Path, default_name: str = "nas"
) -> StudyRecipe:
    """Validate a recipe mapping; relative paths resolve against ``base``."""
    unknown = sorted(set(map(str, doc)) - set(ROOT_KEYS))
    if unknown:
        raise RecipeError(
            f"{source}: {key_text(unknown[0])}: unknown key; allowed: {', '.join(ROOT_KEYS)}"
        )
    plugins, plugin_path = _plugins(doc, source, base)
    scalars = {k: v for k, v in doc.items() if k in _Settings.__dataclass_fields__}
    settings = build_config(
        _Settings, {"study": default_name, **scalars}, where=source, error=RecipeError
    )
    if not settings.space:
        raise RecipeError(f"{source}: space: required; give the search-space YAML file")
    if not settings.study.strip():
        raise RecipeError(f"{source}: study: expected a non-empty name")
    constraints = _section(doc, "constraints", Constraints, source)
    artifacts = _section(doc, "artifacts", ArtifactSettings, source)
    recovery = _section(doc, "recovery", RecoverySettings, source)
    validation = _validation(doc.get("validation"), source)
    search = _section(doc, "search", SearchSettings, source)
    if recovery.grace_period <= recovery.heartbeat_interval:
        raise RecipeError(
            f"{source}: recovery.grace_period: {recovery.grace_period} s must be longer than "
            f"heartbeat_interval ({recovery.heartbeat_interval} s), or every trial looks crashed"
        )
    if artifacts.dir is not None:
        artifacts = replace(artifacts, dir=str(_resolve(artifacts.dir, base)))
    return StudyRecipe(
        study=settings.study,
        space=Path(AUTO) if settings.space == AUTO else _resolve(settings.space, base),
        data=_resolve_data(settings.data, base),
        val_fraction=settings.val_fraction,
        sampler=_component(doc.get("sampler", "tpe"), list_samplers(), f"{source}: sampler"),
        pruner=_component(doc.get("pruner", "median"), list_pruners(), f"{source}: pruner"),
        objectives=_objectives(doc.get("objectives"), f"{source}: objectives"),
        constraints=constraints,
        n_trials=settings.n_trials,
        timeout=settings.timeout,
        trial_timeout=settings.trial_timeout,
        seed=settings.seed,
        storage=_resolve_storage(settings.storage, base),
        precision=settings.precision,
        artifacts=artifacts,
        recovery=recovery,
        plugins=plugins,
        plugin_path=plugin_path,
        validation=validation,
        search=search,
        target=settings.target,
        unequal_length=settings.unequal_length,
        task=settings.task,
        threads=settings.threads,
        workers=settings.workers,
        source=source,
    )


def recipe_from_dict(doc: Mapping[str, Any], source: str) -> StudyRecipe:
    """Read back a recipe stored by :meth:`StudyRecipe.to_dict` (its paths are absolute)."""
    if not isinstance(doc, Mapping):
        raise RecipeError(f"{source}: expected a mapping, got {type(doc).__name__}")
    doc = {k: v for k, v in doc.items() if k not in LEGACY_KEYS}
    return parse_recipe(doc, source, base=Path("/"), default_name=str(doc.get("study", "nas")))


def _plugins(doc: Mapping[str, Any], source: str, base: Path) -> tuple[tuple[str, ...], str]:
    """The ``plugins`` list, imported now (a plugin may register the recipe's sampler, or
    the blocks of its space), with the folder searched first for them."""
    raw = doc.get("plugins") or []
    if not isinstance(raw, list) or not all(isinstance(m, str) and m for m in raw):
        raise RecipeError(
            f"{source}: plugins: expected a list of importable module names, got {raw!r}"
        )
    path = doc.get("plugin_path")
    if path is not None and not isinstance(path, str):
        raise RecipeError(f"{source}: plugin_path: expected a folder, got {path!r}")
    folder = _resolve(path, base) if path else base
    load_plugins(raw, where=f"{source}: plugins", search_path=folder)
    return tuple(raw), str(folder)


def _section(doc: Mapping[str, Any], key: str, cls: type[T], source: str) -> T:
    """An optional mapping section of the recipe, validated as ``cls``."""
    raw = doc.get(key) or {}
    if not isinstance(raw, Mapping):
        allowed = ", ".join(cls.__dataclass_fields__)  # type: ignore[attr-defined]
        raise RecipeError(f"{source}: {key}: expected a mapping of {allowed}")
    return build_config(cls, raw, where=f"{source}: {key}", error=RecipeError)


def _validation(raw: Any, source: str) -> ValidationSettings:
    """``auto``, ``holdout``, ``folds``, ``{holdout: F}``, ``{folds: K}`` or the stored
    form ``{method, holdout, folds}``."""
    where = f"{source}: validation"
    if raw is None:
        return ValidationSettings()
    if isinstance(raw, str):
        raw = {"method": raw}
    if not isinstance(raw, Mapping):
        raise RecipeError(f"{where}: expected auto, {{holdout: 0.2}} or {{folds: 5}}")
    raw = dict(raw)
    if "method" not in raw:
        given = [k for k in ("holdout", "folds") if raw.get(k) is not None]
        if len(given) != 1:
            raise RecipeError(f"{where}: give one of holdout: F or folds: K, e.g. {{folds: 5}}")
        raw["method"] = given[0]
    settings = build_config(ValidationSettings, raw, where=where, error=RecipeError)
    if settings.method == "folds" and settings.folds is None:
        settings = replace(settings, folds=DEFAULT_FOLDS)
    return settings


def _resolve(path: str, base: Path) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else Path(os.path.normpath(base / p))


def _resolve_data(data: str, base: Path) -> str:
    return str(_resolve(data, base)) if is_data_file(data) else data


def _resolve_storage(url: str | None, base: Path) -> str | None:
    path = sqlite_file(url) if url else None
    if path is not None and not Path(path).is_absolute():
        return SQLITE_PREFIX + str(_resolve(path, base))
    return url


def _reject_unknown(raw: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    extra = sorted(set(map(str, raw)) - set(allowed))
    if extra:
        raise RecipeError(
            f"{where}.{key_text(extra[0])}: unknown key; allowed: {', '.join(allowed)}"
        )


def _component(raw: Any, names: list[str], where: str) -> Component:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, Mapping):
        raise RecipeError(f"{where}: expected a name ({', '.join(names)}) or {{name, options}}")
    _reject_unknown(raw, ("name", "options"), where)
    name = raw.get("name")
    if name not in names:
        raise RecipeError(f"{where}: unknown name {name!r}; available: {', '.join(names)}")
    options = raw.get("options") or {}
    if not isinstance(options, Mapping):
        raise RecipeError(f"{where}.options: expected a mapping of constructor options")
    return Component(name, dict(options))


def _objectives(raw: Any, where: str) -> tuple[Objective, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise RecipeError(f"{where}: expected a non-empty list such as [val_acc, params]")
    out = []
    for i, item in enumerate(raw):
        spec = {"metric": item} if isinstance(item, str) else item
        if not isinstance(spec, Mapping):
            raise RecipeError(f"{where}[{i}]: expected a metric name or {{metric, direction}}")
        _reject_unknown(spec, ("metric", "direction"), f"{where}[{i}]")
        metric = spec.get("metric")
        if metric not in METRICS:
            raise RecipeError(
                f"{where}[{i}].metric: unknown metric {metric!r}; "
                f"available: {', '.join(METRICS.names())}"
            )
        direction = spec.get("direction", METRICS.get(metric).direction)
        if direction not in DIRECTIONS:
            raise RecipeError(
                f"{where}[{i}].direction: expected maximize or minimize, got {direction!r}"
            )
        out.append(Objective(metric, direction))
    metrics = [o.metric for o in out]
    duplicate = next((m for m in metrics if metrics.count(m) > 1), None)
    if duplicate:
        raise RecipeError(f"{where}: metric {duplicate!r} is listed twice")
    return tuple(out)


def resolve_objectives(recipe: StudyRecipe, task: str) -> tuple[Objective, ...]:
    """The recipe's objectives checked against the dataset's task (default: its primary metric)."""
    if not recipe.objectives:
        metric = primary_metric(task)
        return (Objective(metric.name, metric.direction),)
    for i, objective in enumerate(recipe.objectives):
        if task not in METRICS.get(objective.metric).tasks:
            raise RecipeError(
                f"{recipe.source}: objectives[{i}].metric: {objective.metric} does not apply to "
                f"{task} data ({recipe.data})"
            )
    return recipe.objectives


def check_override(key: str, value: Any, flag: str) -> Any:
    """A command-line override of recipe key ``key``, checked as the recipe's own value
    would be (``--seed -5`` or ``--timeout nan`` is one error naming the flag)."""
    from nas.base import check_value

    try:
        return check_value(option_specs(_Settings)[key], value)
    except ValueError as exc:
        raise RecipeError(f"{flag}: {exc}") from None
