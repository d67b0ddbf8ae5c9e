"""One concrete network plus its training hyperparameters, frozen and JSON-serialisable.

An ``Architecture`` is what a search trial proposes, what a study stores, and what
``nas train`` and ``nas export`` consume. Its JSON form is versioned::

    arch = Architecture.from_json(Path("search_spaces/architectures/mnist1d_cnn.json").read_text())
    assert Architecture.from_json(arch.to_json()) == arch
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from nas.base import ArchitectureError, build_config, config_to_dict, key_text
from nas.blocks import get_block, list_readouts
from nas.config import TrainConfig

FORMAT = "nas.architecture"
VERSION = 1  # bump when the JSON layout changes; from_json refuses newer versions
STAGE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")  # the space loader's rule too


@dataclass(frozen=True)
class Block:
    """One block: its registered type and its validated config."""

    type: str  # registered block family, e.g. "conv"
    config: Any  # that family's frozen config dataclass

    @property
    def label(self) -> str:
        """Short human label such as ``conv32k5s2``."""
        return get_block(self.type).label(self.config)


@dataclass(frozen=True)
class Stage:
    """A named run of blocks (e.g. ``feature`` or ``head``)."""

    name: str
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Architecture:
    """A network (stages of blocks, a readout) and how to train it."""

    stages: tuple[Stage, ...]
    readout: str = "flatten"  # how the feature map becomes a vector before dense blocks
    train: TrainConfig = field(default_factory=TrainConfig)
    version: int = VERSION

    def __post_init__(self) -> None:
        if self.readout not in list_readouts():
            raise ArchitectureError(
                f"readout: expected one of {', '.join(list_readouts())}, got {self.readout!r}"
            )

    def blocks(self) -> Iterator[tuple[str, Block]]:
        """Every block in order with its name ``stage.index.type``."""
        for stage in self.stages:
            for i, block in enumerate(stage.blocks):
                yield f"{stage.name}.{i}.{block.type}", block

    def summary(self) -> str:
        """One line such as ``conv25k5s2 > conv25k3s2 | flatten | adam lr=0.01 bs=100``."""
        blocks = [block for _, block in self.blocks()]
        t = self.train
        body = " > ".join(block.label for block in blocks) or "linear"
        if blocks and get_block(blocks[-1].type).final:  # fixed features, no training run
            return f"{body} | ridge output"
        return f"{body} | {self.readout} | {t.optimizer} lr={t.lr:.3g} bs={t.batch_size}"

    def to_dict(self) -> dict[str, Any]:
        """Plain dict form (the JSON document)."""
        return {
            "format": FORMAT,
            "version": self.version,
            "stages": [
                {
                    "name": stage.name,
                    "blocks": [{"type": b.type, **config_to_dict(b.config)} for b in stage.blocks],
                }
                for stage in self.stages
            ],
            "readout": self.readout,
            "train": config_to_dict(self.train),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """JSON text; ``from_json`` reads it back to an equal Architecture."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "architecture") -> Architecture:
        """Validate and build from the dict form; errors name ``source`` and the key path."""
        if not isinstance(data, Mapping):
            raise ArchitectureError(f"{source}: expected a JSON object, got {type(data).__name__}")
        if data.get("format", FORMAT) != FORMAT:
            raise ArchitectureError(
                f"{source}: format is {data.get('format')!r}, expected {FORMAT!r}"
            )
        version = data.get("version", VERSION)
        if not isinstance(version, int) or version > VERSION or version < 1:
            raise ArchitectureError(
                f"{source}: version {version!r} is not supported (this nas reads 1..{VERSION})"
            )
        allowed = {"format", "version", "stages", "readout", "train"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ArchitectureError(
                f"{source}: {key_text(unknown[0])}: unknown key; "
                f"allowed: {', '.join(sorted(allowed))}"
            )
        stages_raw = data.get("stages")
        if not isinstance(stages_raw, list):
            raise ArchitectureError(f"{source}: stages: expected a list of stages")
        stages = tuple(
            _stage_from_dict(raw, f"{source}: stages[{i}]") for i, raw in enumerate(stages_raw)
        )
        names = [stage.name for stage in stages]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate is not None:
            raise ArchitectureError(f"{source}: stages: stage name {duplicate!r} is used twice")
        train_raw = data.get("train", {})
        if not isinstance(train_raw, Mapping):
            raise ArchitectureError(f"{source}: train: expected a mapping of hyperparameters")
        train = build_config(
            TrainConfig, train_raw, where=f"{source}: train", error=ArchitectureError
        )
        readout = data.get("readout", "flatten")
        if readout not in list_readouts():
            raise ArchitectureError(
                f"{source}: readout: expected one of {', '.join(list_readouts())}, got {readout!r}"
            )
        return cls(stages=stages, readout=readout, train=train, version=VERSION)

    @classmethod
    def from_json(cls, text: str, source: str = "architecture") -> Architecture:
        """Parse JSON text produced by ``to_json`` (or written by hand)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ArchitectureError(f"{source}: not valid JSON ({exc})") from None
        except RecursionError:
            raise ArchitectureError(f"{source}: nested too deeply to be an architecture") from None
        return cls.from_dict(data, source)


def _stage_from_dict(raw: Any, where: str) -> Stage:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        raise ArchitectureError(f"{where}: expected a mapping with a 'name' and 'blocks'")
    unknown = sorted(set(raw) - {"name", "blocks"})
    if unknown:
        raise ArchitectureError(
            f"{where}.{key_text(unknown[0])}: unknown key; allowed: blocks, name"
        )
    if not STAGE_NAME.match(raw["name"]):
        raise ArchitectureError(
            f"{where}.name: expected a name of letters, digits, '_' or '-', got {raw['name']!r}"
        )
    blocks_raw = raw.get("blocks", [])
    if not isinstance(blocks_raw, list):
        raise ArchitectureError(f"{where}.blocks: expected a list of blocks")
    return Stage(
        raw["name"],
        tuple(_block_from_dict(b, f"{where}.blocks[{i}]") for i, b in enumerate(blocks_raw)),
    )


def _block_from_dict(raw: Any, where: str) -> Block:
    if not isinstance(raw, Mapping) or "type" not in raw:
        raise ArchitectureError(f"{where}: expected a mapping with a 'type'")
    try:
        family = get_block(raw["type"])
    except ValueError as exc:
        raise ArchitectureError(f"{where}.type: {exc}") from None
    options = {k: v for k, v in raw.items() if k != "type"}
    config = build_config(family.config, options, where=where, error=ArchitectureError)
    return Block(family.name, config)
