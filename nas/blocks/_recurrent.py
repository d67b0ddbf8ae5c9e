"""Recurrent block: a (possibly stacked, bidirectional) RNN, LSTM or GRU over time steps."""

from __future__ import annotations

from dataclasses import dataclass

from nas.base import option
from nas.blocks._registry import SEQUENCE, BuiltBlock, register_block

_CELLS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}  # YAML name -> torch.nn class


@dataclass(frozen=True)
class RecurrentConfig:
    """Options of one recurrent block."""

    cell: str = option("gru", "recurrent cell", choices=tuple(_CELLS))
    hidden: int = option(64, "hidden size per direction", low=1)
    layers: int = option(1, "stacked layers", low=1)
    bidirectional: bool = option(False, "read the sequence both ways")
    dropout: float = option(0.0, "dropout between stacked layers", low=0.0, high=0.95)


def _label(c: RecurrentConfig) -> str:
    return (
        f"{c.cell}{c.hidden}"
        + (f"x{c.layers}" if c.layers > 1 else "")
        + ("bi" if c.bidirectional else "")
    )


@register_block("recurrent", RecurrentConfig, consumes=SEQUENCE, label=_label)
def build_recurrent(config: RecurrentConfig, shape: tuple[int, ...]) -> BuiltBlock:
    """Build a recurrent block for input ``(time, features)``; outputs every step."""
    from torch import nn

    from nas.blocks._code import layer
    from nas.blocks._layers import RecurrentOutputs

    steps, features = shape
    rnn = layer(
        getattr(nn, _CELLS[config.cell]),
        features,
        config.hidden,
        num_layers=config.layers,
        batch_first=True,
        bidirectional=config.bidirectional,
        dropout=config.dropout if config.layers > 1 else 0.0,
    )
    out_features = config.hidden * (2 if config.bidirectional else 1)
    return BuiltBlock(layer(RecurrentOutputs, rnn), (steps, out_features), SEQUENCE)
