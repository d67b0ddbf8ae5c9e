"""Block families (conv, residual, inception, recurrent, dense, rocket), readouts and
activations, each in one registry, and the layers they build.

Importing this package does not import torch: block configs validate without it, and the
torch layers load when a block is built.
"""

from nas.base import lazy_exports
from nas.blocks._activations import (
    ACTIVATIONS,
    list_activations,
    make_activation,
    torch_activation,
)
from nas.blocks._choices import NORMALIZATIONS, POOLINGS
from nas.blocks._code import custom_layer_classes, layer, layer_code
from nas.blocks._conv import ConvConfig
from nas.blocks._dense import DenseConfig
from nas.blocks._readouts import READOUTS, Readout, get_readout, list_readouts
from nas.blocks._recurrent import RecurrentConfig
from nas.blocks._registry import (
    BLOCKS,
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
from nas.blocks._rocket import RocketConfig

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        name: "nas.blocks._layers"
        for name in (
            "ChannelsToSequence",
            "SequenceToChannels",
            "Residual",
            "RecurrentOutputs",
            "Reduce",
            "SelectLast",
            "Affine",
            "Affine",
            "channel_norm",
            "vector_norm",
            "conv",
            "conv_out",
            "same_padding",
            "pool",
        )
    },
)

__all__ = [
    "ACTIVATIONS",
    "BLOCKS",
    "CHANNELS",
    "NORMALIZATIONS",
    "POOLINGS",
    "READOUTS",
    "SEQUENCE",
    "VECTOR",
    "BlockFamily",
    "BuiltBlock",
    "ChannelsToSequence",
    "ConvConfig",
    "DenseConfig",
    "Layout",
    "Readout",
    "RecurrentConfig",
    "RecurrentOutputs",
    "Reduce",
    "Residual",
    "ResidualConfig",
    "RocketConfig",
    "SelectLast",
    "SequenceToChannels",
    "channel_norm",
    "conv",
    "conv_out",
    "custom_layer_classes",
    "get_block",
    "get_readout",
    "layer",
    "layer_code",
    "list_activations",
    "list_blocks",
    "list_readouts",
    "make_activation",
    "pool",
    "register_block",
    "same_padding",
    "torch_activation",
    "vector_norm",
]
