"""Registry of block families: one file per family registers itself here.

A family is a frozen config dataclass (its searchable options) plus a ``build`` function
that turns one config and the incoming tensor shape into an ``nn.Module`` and the
outgoing shape. Adding a block type is one new file plus its options in a YAML space::

    @register_block("conv", ConvConfig, consumes=CHANNELS, label=_label)
    def build_conv(config: ConvConfig, shape: tuple[int, ...]) -> BuiltBlock: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from torch import nn

Layout = Literal["channels", "sequence", "vector"]
CHANNELS: Layout = "channels"  # (batch, channels, *spatial): conv-style, 1-D or 2-D
SEQUENCE: Layout = "sequence"  # (batch, time, features): recurrent-style
VECTOR: Layout = "vector"  # (batch, features): dense-style


@dataclass(frozen=True)
class BuiltBlock:
    """One block made concrete for an input shape (shapes exclude the batch dimension)."""

    module: nn.Module
    out_shape: tuple[int, ...]
    layout: Layout  # layout of the block's output
    notes: tuple[str, ...] = ()  # decisions the builder took (e.g. a stride skipped)


BuildFn = Callable[[Any, tuple[int, ...]], BuiltBlock]


@dataclass(frozen=True)
class BlockFamily:
    """A registered block type."""

    name: str  # the type name used in YAML and architecture JSON
    config: type  # frozen dataclass of options, declared with nas._options.option
    consumes: Layout  # the input layout the block expects
    build: BuildFn  # (config, input shape) -> BuiltBlock
    label: Callable[[Any], str]  # short human label such as "conv32k5s2"


_BLOCKS: dict[str, BlockFamily] = {}


def register_block(
    name: str, config: type, *, consumes: Layout, label: Callable[[Any], str]
) -> Callable[[BuildFn], BuildFn]:
    """Class the decorated build function as the block family ``name``."""

    def decorator(build: BuildFn) -> BuildFn:
        if name in _BLOCKS:
            raise ValueError(f"block type {name!r} is already registered")
        _BLOCKS[name] = BlockFamily(name, config, consumes, build, label)
        return build

    return decorator


def get_block(name: str) -> BlockFamily:
    """The family registered as ``name``; ``ValueError`` lists the valid names otherwise."""
    try:
        return _BLOCKS[name]
    except KeyError:
        raise ValueError(
            f"unknown block type {name!r}; registered: {', '.join(list_blocks())}"
        ) from None


def list_blocks() -> list[str]:
    """Names of all registered block families, sorted."""
    return sorted(_BLOCKS)
