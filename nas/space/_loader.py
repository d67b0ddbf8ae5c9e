"""YAML -> SearchSpace, validating every key with the file and key path in errors."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nas.arch import STAGE_NAME
from nas.base import (
    OptionSpec,
    SearchSpaceError,
    key_text,
    option_specs,
    parse_yaml,
    read_text,
)
from nas.blocks import VECTOR, get_block, list_blocks, list_readouts
from nas.config import TrainConfig
from nas.space._params import Param, parse_param
from nas.space._space import BlockSpace, SearchSpace, StageSpace

ROOT_KEYS = ("name", "description", "stages", "readout", "training")
STAGE_KEYS = ("name", "n_blocks", "blocks")
_N_BLOCKS = OptionSpec(int, "number of blocks in the stage", low=0)
_READOUT = OptionSpec(str, "readout", choices=list_readouts)


def load_space(path: str | Path) -> SearchSpace:
    """Load and validate a search-space YAML file.

    Raises:
        SearchSpaceError: naming the file, the key path and what is allowed.
    """
    source = str(path)
    text = read_text(path, SearchSpaceError, "search space file")
    return parse_space(text, source, default_name=Path(path).stem)


def parse_space(text: str, source: str = "<string>", default_name: str = "space") -> SearchSpace:
    """Parse a search space from YAML text (``source`` names it in errors)."""
    doc = parse_yaml(text, source, SearchSpaceError)
    if not isinstance(doc, Mapping):
        raise SearchSpaceError(f"{source}: expected a mapping with keys {', '.join(ROOT_KEYS)}")
    _reject_unknown(doc, ROOT_KEYS, source, "")
    name = doc.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise SearchSpaceError(f"{source}: name: expected a non-empty string, got {name!r}")
    stages_raw = doc.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        raise SearchSpaceError(f"{source}: stages: expected a non-empty list of stages")
    stages = tuple(_parse_stage(raw, source, i) for i, raw in enumerate(stages_raw))
    _check_stage_order(stages, source)
    names = [s.name for s in stages]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise SearchSpaceError(f"{source}: stages: stage name {duplicate!r} is used twice")
    readout = parse_param(doc.get("readout", "flatten"), _READOUT, f"{source}: readout")
    training_raw = doc.get("training") or {}
    if not isinstance(training_raw, Mapping):
        raise SearchSpaceError(f"{source}: training: expected a mapping of hyperparameters")
    training = _parse_options(training_raw, option_specs(TrainConfig), f"{source}: training")
    return SearchSpace(name, stages, readout, training, source, text)


def _reject_unknown(
    raw: Mapping[str, Any], allowed: tuple[str, ...], source: str, path: str
) -> None:
    unknown = sorted(set(map(str, raw)) - set(allowed))
    if unknown:
        prefix = f"{path}." if path else ""
        raise SearchSpaceError(
            f"{source}: {prefix}{key_text(unknown[0])}: unknown key; allowed: {', '.join(allowed)}"
        )


def _parse_options(
    raw: Mapping[str, Any], specs: Mapping[str, OptionSpec], where: str
) -> dict[str, Param]:
    unknown = sorted(set(map(str, raw)) - set(specs))
    if unknown:
        raise SearchSpaceError(
            f"{where}.{key_text(unknown[0])}: unknown option; allowed: {', '.join(specs)}"
        )
    return {key: parse_param(value, specs[key], f"{where}.{key}") for key, value in raw.items()}


def _parse_stage(raw: Any, source: str, index: int) -> StageSpace:
    path = f"stages[{index}]"
    if not isinstance(raw, Mapping):
        raise SearchSpaceError(
            f"{source}: {path}: expected a mapping with keys {', '.join(STAGE_KEYS)}"
        )
    _reject_unknown(raw, STAGE_KEYS, source, path)
    name = raw.get("name")
    if not isinstance(name, str) or not STAGE_NAME.match(name):
        raise SearchSpaceError(
            f"{source}: {path}.name: expected a name of letters, digits, '_' or '-', got {name!r}"
        )
    n_blocks = parse_param(raw.get("n_blocks", 1), _N_BLOCKS, f"{source}: {path}.n_blocks")
    blocks_raw = raw.get("blocks")
    if not isinstance(blocks_raw, Mapping) or not blocks_raw:
        raise SearchSpaceError(
            f"{source}: {path}.blocks: expected a mapping of block types "
            f"({', '.join(list_blocks())}) to their options"
        )
    blocks = []
    for block_type, options in blocks_raw.items():
        where = f"{source}: {path}.blocks.{block_type}"
        try:
            family = get_block(block_type)
        except ValueError as exc:
            raise SearchSpaceError(f"{where}: {exc}") from None
        if options is None:
            options = {}
        if not isinstance(options, Mapping):
            raise SearchSpaceError(
                f"{where}: expected a mapping of options (or nothing for defaults)"
            )
        blocks.append(
            BlockSpace(family.name, _parse_options(options, option_specs(family.config), where))
        )
    return StageSpace(name, n_blocks, tuple(blocks))


def _is_vector(stage: StageSpace) -> bool:
    return get_block(stage.blocks[0].type).consumes == VECTOR


def _check_stage_order(stages: tuple[StageSpace, ...], source: str) -> None:
    """Vector (dense) stages follow feature-map stages, and no stage mixes the two."""
    seen_vector = False
    for i, stage in enumerate(stages):
        kinds = {get_block(b.type).consumes == VECTOR for b in stage.blocks}
        if len(kinds) > 1:
            raise SearchSpaceError(
                f"{source}: stages[{i}].blocks: dense blocks and feature-map blocks "
                f"({', '.join(b.type for b in stage.blocks)}) cannot share a stage; split them"
            )
        if seen_vector and not _is_vector(stage):
            raise SearchSpaceError(
                f"{source}: stages[{i}]: a stage of {stage.blocks[0].type} blocks cannot follow a "
                f"stage of dense blocks; put feature-map stages first"
            )
        seen_vector = seen_vector or _is_vector(stage)
