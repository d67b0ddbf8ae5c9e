"""One-shot search (ENAS, Pham et al. 2018): rewards from a weight-sharing supernet, then
the controller's best architectures trained as ordinary trials.

``search: {mode: one_shot}`` runs this phase before the study's trials:

1. Each step, the controller (:class:`ControllerSampler`, in an in-memory Optuna study of
   its own) proposes a child of the space; the child, computed with the supernet's shared
   weights (:class:`nas.builder.SuperNet`), takes one Adam step on a training batch, and
   its accuracy (RMSE for regression) on a validation batch is the controller's reward.
   The controller learns from every reward, as it does from trials.
2. Until ``search.steps``, or ``search.fraction`` of the run's timeout, is spent; then the
   final controller proposes ``search.candidates`` distinct architectures, each scored
   on the whole validation split with the shared weights, and the ``search.top_k`` best
   go into the study as enqueued trials, carrying their score (``one_shot_reward``).
3. The ordinary search runs them first, trained on their own, then goes on with its
   sampler, so the dashboard, ``nas best`` and export see ordinary trials.

Training hyperparameters cannot be shared by a supernet: the phase trains every child with
the space's first value of each and leaves them out of what it hands on, so the study's
sampler tunes them on the enqueued architectures. Blocks solved in closed form (``rocket``)
have no weights to share and are left to the ordinary search. The phase's outcome and the
controller's weights are stored on the study: a resumed search does not run it again;
one interrupted (Ctrl-C) or crashed before it handed on runs again from the start. The
``nas search`` that owns the study runs the phase, before it starts any worker; ``nas
worker`` processes never do.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nas.base import RecipeError
from nas.study._record import StudyRecord, TrialRecord

if TYPE_CHECKING:
    import optuna
    import torch
    from torch import nn

    from nas.arch import Architecture
    from nas.data import Dataset
    from nas.space import SearchSpace
    from nas.study._recipe import StudyRecipe
    from nas.study._validation import ValidationPlan

_log = logging.getLogger("nas.study")


class PreparedSearch(Protocol):
    """What the phase reads of a prepared search (``nas.study._search.PreparedSearch``)."""

    recipe: StudyRecipe
    study: optuna.Study
    space: SearchSpace
    dataset: Dataset
    validation: ValidationPlan


GRAD_CLIP = 5.0  # ENAS clips the shared weights' gradient norm at 5
WARMUP = 0.25  # share of the training budget with children drawn uniformly
TRAIN_SHARE = 0.8  # of a time budget; the rest ranks the final controller's proposals
REDRAWS = 4  # ranking draws at most this many times search.candidates proposals
CONTROLLER_LR = 0.001  # thousands of rewards, not tens: a tenth of the sampler's default
CONTROLLER_FILE = "one-shot-controller.safetensors"


@dataclass(frozen=True)
class OneShotOutcome:
    """What the phase did and handed on (stored as the study's ``one_shot`` record)."""

    steps: int
    seconds: float
    children: int  # distinct architectures that took a shared-weight step
    handed_off: tuple[dict[str, Any], ...]  # {"params", "reward", "summary"} best first
    interrupted: bool = False
    controller: dict[str, str] | None = None  # {"artifact": id} of the policy's weights

    def to_record(self) -> dict[str, Any]:
        return {
            "done": True,
            "steps": self.steps,
            "seconds": round(self.seconds, 1),
            "children": self.children,
            "handed_off": list(self.handed_off),
            "controller": self.controller,
        }


def one_shot_budget(recipe: Any) -> tuple[int | None, float | None]:
    """The phase's (steps, seconds): ``search.steps`` and/or ``fraction * timeout``.

    Raises:
        RecipeError: one-shot mode with neither a step count nor a timeout.
    """
    settings = recipe.search
    seconds = settings.fraction * recipe.timeout if recipe.timeout is not None else None
    if settings.steps is None and seconds is None:
        raise RecipeError(
            f"{recipe.source}: search: one_shot needs a budget for its supernet phase: set "
            "search.steps, or timeout (the phase takes search.fraction of it)"
        )
    return settings.steps, seconds


def one_shot_budget_text(recipe: Any) -> str:
    """The phase's budget in words, e.g. ``2000 steps or 90 s`` (whichever ends first)."""
    steps, seconds = one_shot_budget(recipe)
    parts = [f"{steps} steps" if steps is not None else "", f"{seconds:g} s" if seconds else ""]
    return " or ".join(part for part in parts if part)


def phase_space(space: SearchSpace) -> SearchSpace:
    """``space`` as the supernet searches it: closed-form (final) blocks left out, and
    every training hyperparameter fixed at its first value."""
    from nas.blocks import get_block

    stages = []
    for stage in space.stages:
        blocks = tuple(b for b in stage.blocks if not get_block(b.type).final)
        if not blocks:
            raise RecipeError(
                f"{space.source}: stage {stage.name!r} offers only blocks solved in closed "
                f"form ({', '.join(b.type for b in stage.blocks)}), which a one-shot supernet "
                "cannot share; use search: {mode: trials}"
            )
        stages.append(replace(stage, blocks=blocks))
    return replace(space, stages=tuple(stages)).with_fixed_training()


def handed_params(space: SearchSpace, arch: Architecture, params: Mapping[str, Any]) -> dict:
    """The params an architecture of the phase space is enqueued with in the full space:
    its own, plus each block's type where the full space offers a choice the phase space
    did not (a stage whose closed-form alternative was left out)."""
    out = dict(params)
    by_name = {stage.name: stage for stage in space.stages}
    for stage in arch.stages:
        if len(by_name[stage.name].blocks) > 1:
            for i, block in enumerate(stage.blocks):
                out.setdefault(f"{stage.name}.{i}.type", block.type)
    return out


def run_one_shot(
    prepared: PreparedSearch,
    stop: Callable[[], bool],
    report: Callable[[str], None] | None = None,
) -> OneShotOutcome | None:
    """Run the phase if the recipe asks for it and the study has not run it yet; returns
    what it did (None: nothing to do). See the module docs."""
    import optuna
    import torch

    from nas.builder import SuperNet
    from nas.samplers import ControllerSampler
    from nas.training import cpu_threads

    recipe, study = prepared.recipe, prepared.study
    if recipe.search.mode != "one_shot" or (StudyRecord.read(study).one_shot or {}).get("done"):
        return None
    settings = recipe.search
    steps, seconds = one_shot_budget(recipe)
    space = phase_space(prepared.space)
    data = _split(prepared)
    say = report or (lambda line: _log.info("%s", line))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    classification = data.task == "classification"
    direction = "maximize" if classification else "minimize"
    sampler = ControllerSampler(
        seed=recipe.seed, learning=settings.learning, lr=CONTROLLER_LR, bias_lr=None
    )
    controller = optuna.create_study(sampler=sampler, direction=direction)
    supernet = SuperNet(
        data.input_shape, data.num_outputs, preprocessing=data.preprocessing, device=device
    )
    batches = _Batches(data, settings.batch_size, recipe.seed, device)
    budget = one_shot_budget_text(recipe)
    say(f"one-shot phase: supernet and controller for {budget}, on {device.type}")
    uniform = optuna.create_study(
        sampler=optuna.samplers.RandomSampler(seed=recipe.seed), direction=direction
    )
    train_seconds = seconds * TRAIN_SHARE if seconds is not None else None

    def progress(done: int, elapsed: float) -> float:
        """Share of the training budget spent (steps or time, whichever is further)."""
        return max(
            done / steps if steps is not None else 0.0,
            elapsed / train_seconds if train_seconds is not None else 0.0,
        )

    started, done, seen, shown = time.monotonic(), 0, set(), 0
    optimizer: torch.optim.Optimizer | None = None
    # the bank's initial weights come from torch's generator: seeded, and restored after
    with cpu_threads(recipe.threads), torch.random.fork_rng(devices=[]):
        torch.manual_seed(recipe.seed)
        while not stop():
            spent = progress(done, time.monotonic() - started)
            if spent >= 1.0:
                break
            # first, children drawn uniformly train the shared weights for everyone, and the
            # controller learns from rewards once they mean something (ENAS, SPOS)
            source = uniform if spent < WARMUP else controller
            trial = source.ask()
            built = _child(supernet, space, trial)
            if built is None:
                source.tell(trial, state=optuna.trial.TrialState.FAIL)
                continue
            child = built[1]
            optimizer = _with_new_weights(optimizer, supernet, settings.lr)
            _train_step(child, optimizer, *batches.train(), classification)
            source.tell(trial, _score(child, [batches.val()], classification))
            seen.add(repr(sorted(trial.params.items())))
            done += 1
            if int(10 * spent) > shown:
                shown = int(10 * spent)
                say(
                    f"one-shot {10 * shown}%: step {done}, {len(seen)} architectures, "
                    f"{len(supernet.bank)} shared tensors, {time.monotonic() - started:.0f} s"
                )
        if stop():
            say("one-shot phase interrupted: nothing handed on; a resume runs it again")
            return OneShotOutcome(done, time.monotonic() - started, len(seen), (), True)
        deadline = started + seconds if seconds is not None else None
        ranked = _rank_candidates(controller, supernet, space, batches, settings, classification,
                                  deadline)  # fmt: skip
    top = ranked[: settings.top_k]
    handed = tuple(
        {"params": handed_params(prepared.space, arch, params), "reward": reward,
         "summary": arch.summary().rsplit(" | ", 1)[0]}  # its training is not searched yet
        for reward, params, arch in top
    )  # fmt: skip
    for item in handed:
        study.enqueue_trial(
            item["params"], user_attrs={"one_shot_reward": item["reward"]}, skip_if_exists=True
        )
    artifact = _save_controller(prepared, sampler, controller)
    outcome = OneShotOutcome(
        done, time.monotonic() - started, len(seen), handed, controller=artifact
    )
    StudyRecord(one_shot=outcome.to_record()).write(study)
    metric = "accuracy" if classification else "RMSE"
    best = f"best {metric} {handed[0]['reward']:.3f}" if handed else "no architecture built"
    say(f"one-shot phase: {done} steps over {len(seen)} architectures in "
        f"{outcome.seconds:.0f} s; {len(handed)} handed on as trials ({best} with shared "
        "weights)")  # fmt: skip
    return outcome


def _split(prepared: PreparedSearch) -> Dataset:
    """The training and validation split the phase uses: the study's holdout, or its
    first fold when it cross-validates."""
    folds = prepared.validation.folds
    return prepared.dataset.fold(folds, 0) if folds > 1 else prepared.dataset


def _child(
    supernet: Any, space: SearchSpace, trial: optuna.Trial
) -> tuple[Architecture, nn.Module] | None:
    """The trial's architecture and its child of the supernet (None: it does not build)."""
    from nas.base import ArchitectureError

    try:
        arch = space.sample(trial)
        return arch, supernet.child(arch)
    except ArchitectureError as exc:  # e.g. too many stride-2 blocks for the input
        _log.debug("one-shot: trial %d does not build: %s", trial.number, exc)
        return None


def _with_new_weights(
    optimizer: torch.optim.Optimizer | None, supernet: Any, lr: float
) -> torch.optim.Optimizer:
    """One Adam over the whole bank, extended with the tensors a new child brought."""
    import torch

    params = list(supernet.bank.values())
    if optimizer is None:
        return torch.optim.Adam(params, lr=lr)
    group = optimizer.param_groups[0]["params"]
    if len(group) < len(params):
        group.extend(params[len(group) :])  # the bank only grows, in insertion order
    return optimizer


class _Batches:
    """Seeded random mini-batches of the training and validation split, on ``device``."""

    def __init__(self, data: Dataset, size: int, seed: int, device: torch.device) -> None:
        import torch

        self.x, self.y = (torch.as_tensor(a).to(device) for a in (data.x_train, data.y_train))
        self.xv, self.yv = (torch.as_tensor(a).to(device) for a in (data.x_val, data.y_val))
        self.size = min(size, len(self.x))
        self.generator = torch.Generator().manual_seed(seed)

    def _pick(self, n: int) -> torch.Tensor:
        import torch

        return torch.randperm(n, generator=self.generator)[: self.size]

    def train(self) -> tuple[torch.Tensor, torch.Tensor]:
        rows = self._pick(len(self.x)).to(self.x.device)
        return self.x[rows], self.y[rows]

    def val(self) -> tuple[torch.Tensor, torch.Tensor]:
        rows = self._pick(len(self.xv)).to(self.xv.device)
        return self.xv[rows], self.yv[rows]

    def all_val(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for start in range(0, len(self.xv), 512):
            yield self.xv[start : start + 512], self.yv[start : start + 512]


def _train_step(
    child: Any, optimizer: torch.optim.Optimizer, x: Any, y: Any, classification: bool
) -> None:
    import torch
    import torch.nn.functional as F

    child.train()
    out = child(x)
    if classification:
        loss = F.cross_entropy(out, y)
    else:
        scale = child.target_scale()
        out = out.reshape(y.shape)
        loss = F.mse_loss(out / scale, y / scale) if scale is not None else F.mse_loss(out, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in child.parameters() if p.grad is not None], GRAD_CLIP)
    optimizer.step()


@contextmanager
def _scoring(model: nn.Module) -> Iterator[None]:
    """Score a child as it was trained: batch-norm layers normalise with the batch's own
    statistics (the shared running statistics mix every child that passed through them)
    and leave the shared statistics untouched; dropout is off."""
    import torch
    from torch import nn

    model.eval()
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.train()
        m.momentum = 0.0  # running = (1 - 0) * running + 0 * batch: unchanged
    try:
        with torch.no_grad():
            yield
    finally:
        for m, momentum in zip(norms, saved, strict=True):
            m.momentum = momentum
        model.train()


def _score(child: Any, batches: Any, classification: bool) -> float:
    """Accuracy (classification) or RMSE of ``child`` over ``batches``."""
    right, squared, count = 0.0, 0.0, 0
    with _scoring(child):
        for x, y in batches:
            out = child(x)
            if classification:
                right += float((out.argmax(dim=1) == y).sum())
            else:
                squared += float(((out.reshape(y.shape) - y) ** 2).sum())
            count += len(y)
    if classification:
        return right / max(1, count)
    return math.sqrt(squared / max(1, count))


def _rank_candidates(
    controller: optuna.Study,
    supernet: Any,
    space: SearchSpace,
    batches: _Batches,
    settings: Any,
    classification: bool,
    deadline: float | None,
) -> list[tuple[float, dict[str, Any], Architecture]]:
    """The final controller's distinct proposals (``settings.candidates``, or as many as
    the phase's time allows but at least ``top_k``), each scored on the whole validation
    split with the shared weights; best first.

    A proposal seen before does not count: the controller draws again, up to
    ``REDRAWS`` times ``candidates`` draws in all (a controller sure of a few architectures
    has no more to give), so that ``top_k`` trials are handed on whenever it can."""
    import optuna

    scored: dict[str, tuple[float, dict[str, Any], Architecture]] = {}
    for _ in range(REDRAWS * settings.candidates):
        late = deadline is not None and time.monotonic() >= deadline
        if len(scored) >= settings.candidates or (late and len(scored) >= settings.top_k):
            break
        trial = controller.ask()
        built = _child(supernet, space, trial)
        if built is None:
            controller.tell(trial, state=optuna.trial.TrialState.FAIL)
            continue
        arch, child = built
        key = arch.to_json(indent=None)
        if key in scored:  # not scored again: its shared weights have not changed
            controller.tell(trial, scored[key][0])
            continue
        reward = _score(child, batches.all_val(), classification)
        controller.tell(trial, reward)
        scored[key] = (reward, dict(trial.params), arch)
    sign = -1.0 if classification else 1.0
    return sorted(scored.values(), key=lambda item: sign * item[0])


def _save_controller(
    prepared: PreparedSearch, sampler: Any, controller: optuna.Study
) -> dict[str, str] | None:
    """The controller's weights as a study artifact (None: artifacts are off)."""
    import tempfile

    if not prepared.recipe.artifacts.enabled:
        return None
    from optuna.artifacts import FileSystemArtifactStore, upload_artifact
    from safetensors.torch import save_file

    directory = StudyRecord.read(prepared.study).artifact_dir
    if not directory:
        return None
    state = sampler.policy_state(controller)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / CONTROLLER_FILE
        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
        artifact = upload_artifact(
            artifact_store=FileSystemArtifactStore(directory),
            file_path=str(path),
            study_or_trial=prepared.study,
            mimetype="application/octet-stream",
        )
    return {"artifact": artifact}


def one_shot_ranking(study: optuna.Study) -> tuple[float, int] | None:
    """Kendall's tau between the supernet's score of each handed-on architecture and its
    stand-alone validation score (accuracy, or RMSE), over the complete trials that have
    both; None with fewer than 2. 1: the supernet ranked them as training them did."""
    from optuna.trial import TrialState
    from scipy.stats import kendalltau

    pairs = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        record = TrialRecord.read(trial)
        if record.one_shot_reward is None:
            continue
        metric = record.metrics.get("val_acc", record.metrics.get("val_rmse"))
        if metric is not None:
            pairs.append((record.one_shot_reward, metric))
    if len(pairs) < 2:
        return None
    tau = kendalltau([a for a, _ in pairs], [b for _, b in pairs]).statistic
    return (float(tau) if tau == tau else 0.0), len(pairs)  # nan: every score tied
