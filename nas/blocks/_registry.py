"""Registry of block families: one file per family registers itself here.

A family is a frozen config dataclass (its searchable options) plus a ``build`` function
that turns one config and the incoming tensor shape into an ``nn.Module`` (built through
:func:`nas.blocks.layer`, so it exports as code) and the outgoing shape. Adding a block type
is one new file that registers it, plus its module name in ``BLOCKS``'s built-ins (or in a
recipe's ``plugins:``, for a block of your own)::

    @register_block("conv", ConvConfig, consumes=CHANNELS, label=_label)
    def build_conv(config: ConvConfig, shape: tuple[int, ...]) -> BuiltBlock: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from nas.base import Registry

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
    config: type  # frozen dataclass of options, declared with nas.base.option
    consumes: Layout  # the input layout the block expects
    build: BuildFn  # (config, input shape) -> BuiltBlock
    label: Callable[[Any], str]  # short human label such as "conv32k5s2"
    final: bool = False  # ends the network: only the output layer may follow it


BLOCKS: Registry[BlockFamily] = Registry(
    "block type",
    builtins=(
        "nas.blocks._conv",
        "nas.blocks._dense",
        "nas.blocks._inception",
        "nas.blocks._recurrent",
        "nas.blocks._residual",
        "nas.blocks._rocket",
    ),
)
list_blocks = BLOCKS.names
get_block = BLOCKS.get


def register_block(
    name: str,
    config: type,
    *,
    consumes: Layout,
    label: Callable[[Any], str],
    final: bool = False,
) -> Callable[[BuildFn], BuildFn]:
    """Register the decorated build function as the block family ``name``; a ``final``
    block ends the network (a space samples nothing after it but the readout and output)."""

    def decorator(build: BuildFn) -> BuildFn:
        BLOCKS.add(name, BlockFamily(name, config, consumes, build, label, final))
        return build

    return decorator
