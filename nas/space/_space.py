"""A validated search space, and how a trial turns it into an Architecture.

Parameter names are stable and readable: ``feature.n_blocks``, ``feature.0.type``,
``feature.0.conv.kernel``, ``readout``, ``lr``. A block's options are suggested only when
that block exists and has that type, so conditional parameters need no special case.
A ``final`` block (``rocket``: fixed features for a closed-form output layer) ends the
network: the rest of its stage and the later stages are not sampled::

    space = load_space("search_spaces/mnist1d.yaml")
    study = optuna.create_study(direction="maximize")
    arch = space.sample(study.ask())             # any Optuna sampler works
    same = space.from_params(study.trials[0].params)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from nas.arch import Architecture, Block, Stage
from nas.base import ArchitectureError, build_config
from nas.blocks import get_block
from nas.config import TrainConfig
from nas.space._params import Choice, Fixed, Param

if TYPE_CHECKING:
    import optuna


@dataclass(frozen=True)
class BlockSpace:
    """The searchable options of one block type within a stage."""

    type: str  # registered block family
    options: Mapping[str, Param]  # options given in YAML; the rest take the family defaults


@dataclass(frozen=True)
class StageSpace:
    """A stage: how many blocks, and which block types each position may take."""

    name: str
    n_blocks: Param
    blocks: tuple[BlockSpace, ...]


@dataclass(frozen=True)
class SearchSpace:
    """Stages of blocks, a readout and training hyperparameters, each fixed or searched."""

    name: str
    stages: tuple[StageSpace, ...]
    readout: Param
    training: Mapping[str, Param]
    source: str = "<memory>"  # file it was loaded from
    text: str = ""  # the YAML document, so studies can store what they searched

    def sample(self, trial: optuna.trial.BaseTrial) -> Architecture:
        """Ask ``trial`` for every parameter this space needs and build the Architecture."""
        stages = []
        final = False  # a final block was sampled: nothing else follows
        for stage in self.stages:
            if final:
                stages.append(Stage(stage.name, ()))
                continue
            n = stage.n_blocks.suggest(trial, f"{stage.name}.n_blocks")
            by_type = {b.type: b for b in stage.blocks}
            blocks = []
            for i in range(n):
                if final:
                    break
                if len(stage.blocks) == 1:
                    block = stage.blocks[0]
                else:
                    chosen = trial.suggest_categorical(f"{stage.name}.{i}.type", list(by_type))
                    block = by_type[chosen]
                values = {
                    key: param.suggest(trial, f"{stage.name}.{i}.{block.type}.{key}")
                    for key, param in block.options.items()
                }
                config = build_config(
                    get_block(block.type).config,
                    values,
                    where=f"{self.source}: {stage.name}.{i}.{block.type}",
                    error=ArchitectureError,
                )
                blocks.append(Block(block.type, config))
                final = get_block(block.type).final
            stages.append(Stage(stage.name, tuple(blocks)))
        # a final block's network trains in closed form: readout and training options are
        # not searched (fixed values still apply), so trials of it do not differ in them
        searched = {} if final else self.training
        readout = _first(self.readout) if final else self.readout.suggest(trial, "readout")
        values = {k: p.value for k, p in self.training.items() if isinstance(p, Fixed)}
        train = build_config(
            TrainConfig,
            values | {key: p.suggest(trial, key) for key, p in searched.items()},
            where=f"{self.source}: training",
            error=ArchitectureError,
        )
        return Architecture(stages=tuple(stages), readout=readout, train=train)

    def with_fixed_training(self) -> SearchSpace:
        """This space with every training hyperparameter fixed at its first value (the
        fixed value, first choice or low end): the architecture alone is searched."""
        training = {key: Fixed(_first(param)) for key, param in self.training.items()}
        return replace(self, training=training)

    def from_params(self, params: Mapping[str, Any]) -> Architecture:
        """The Architecture a trial with these stored ``params`` produced."""
        import optuna

        try:
            return self.sample(optuna.trial.FixedTrial(dict(params)))
        except ArchitectureError:
            raise
        except ValueError as exc:  # FixedTrial: a parameter the space needs is missing
            missing = re.search(r"parameter '([^']+)' is not found", str(exc))
            reason = f"missing parameter {missing.group(1)!r}" if missing else str(exc)
            raise ArchitectureError(f"params do not match {self.source}: {reason}") from None


def _first(param: Param) -> Any:
    """A parameter's value without asking a trial: the fixed value or the first choice."""
    if isinstance(param, Fixed):
        return param.value
    if isinstance(param, Choice):
        return param.choices[0]
    return param.low
