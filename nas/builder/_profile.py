"""Forward FLOPs of a model, counted by ``torch.utils.flop_counter``.

PyTorch's counter has formulas for matmuls and convolutions but not for the fused
recurrent ops (``aten.lstm`` and friends on CPU), so we add one: every weight matrix of
every layer and direction is applied once per time step and sample (2 FLOPs per MAC).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

_ROOT_PREFIX = "NASNet.layers."  # FlopCounterMode names modules "<RootClass>.<path>"


def _recurrent_flops(
    input_shape: Any,
    hx: Any,
    params: Any,
    has_biases: bool,
    num_layers: int,
    dropout: float,
    train: bool,
    bidirectional: bool,
    batch_first: bool,
    **kwargs: Any,
) -> int:
    batch, steps = (
        (input_shape[0], input_shape[1]) if batch_first else (input_shape[1], input_shape[0])
    )
    macs_per_step = sum(math.prod(shape) for shape in params if len(shape) == 2)
    return 2 * batch * steps * macs_per_step


def _mkldnn_layer_flops(input_shape: Any, w_ih: Any, w_hh: Any, *args: Any, **kwargs: Any) -> int:
    # CPU LSTMs run as one aten.mkldnn_rnn_layer call per layer and direction; the input
    # is (time, batch, features) or (batch, time, features): both give time * batch.
    steps_times_batch = input_shape[0] * input_shape[1]
    return 2 * steps_times_batch * (math.prod(w_ih) + math.prod(w_hh))


_RECURRENT_OPS: dict[Any, Any] = {
    op: _recurrent_flops
    for op in (
        torch.ops.aten.lstm,
        torch.ops.aten.gru,
        torch.ops.aten.rnn_tanh,
        torch.ops.aten.rnn_relu,
    )
}
_RECURRENT_OPS[torch.ops.aten.mkldnn_rnn_layer] = _mkldnn_layer_flops


def count_flops(model: nn.Module, input_shape: tuple[int, ...]) -> tuple[int, dict[str, int]]:
    """Total forward FLOPs for one sample, and FLOPs per entry of ``model.layers``.

    Runs one forward pass in eval mode on zeros (on the model's device), so batch norm
    and dropout don't change the count; the model's training mode is restored after.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        counter = FlopCounterMode(display=False, custom_mapping=_RECURRENT_OPS)
        with torch.no_grad(), counter:
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
    per_module = counter.get_flop_counts()
    per_layer = {
        key: int(sum(per_module.get(_ROOT_PREFIX + key, {}).values()))
        for key in getattr(model, "layers", {})
    }
    return int(counter.get_total_flops()), per_layer


def measure_latency_ms(
    model: nn.Module, input_shape: tuple[int, ...], repeats: int = 20, warmup: int = 3
) -> float:
    """Median inference latency in milliseconds for one sample on the model's device.

    On the CPU it runs on one intra-op thread: batch-1 passes of small models don't gain
    from more, and with several trials or workers sharing the cores, multi-threaded
    timings measure contention, not the model.
    """
    import statistics
    import time

    device = next(model.parameters()).device
    x = torch.zeros(1, *input_shape, device=device)
    was_training, threads = model.training, torch.get_num_threads()
    model.eval()
    if device.type == "cpu":
        torch.set_num_threads(1)
    times = []
    try:
        with torch.no_grad():
            for i in range(warmup + repeats):
                start = time.perf_counter()
                model(x)
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                if i >= warmup:
                    times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)
        model.train(was_training)
    return 1000.0 * statistics.median(times)
