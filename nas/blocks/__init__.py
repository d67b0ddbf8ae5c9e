"""Block families (conv, residual, recurrent, dense) and their registry.

Importing this package registers the built-in families; it does not import torch.
"""

from nas.blocks import _conv, _dense, _recurrent, _residual  # noqa: F401  (registration)
from nas.blocks._activations import list_activations, make_activation
from nas.blocks._conv import ConvConfig
from nas.blocks._dense import DenseConfig
from nas.blocks._readouts import Readout, get_readout, list_readouts
from nas.blocks._recurrent import RecurrentConfig
from nas.blocks._registry import (
    CHANNELS,
    SEQUENCE,
    VECTOR,
    BlockFamily,
    BuiltBlock,
    Layout,
    get_block,
    list_blocks,
    register_block,
)
from nas.blocks._residual import ResidualConfig

__all__ = [
    "CHANNELS",
    "SEQUENCE",
    "VECTOR",
    "BlockFamily",
    "BuiltBlock",
    "ConvConfig",
    "DenseConfig",
    "Layout",
    "Readout",
    "RecurrentConfig",
    "ResidualConfig",
    "get_block",
    "get_readout",
    "list_activations",
    "list_blocks",
    "list_readouts",
    "make_activation",
    "register_block",
]
