"""Builds an ``nn.Module`` from an Architecture (imports torch)."""

from nas.builder._build import LayerInfo, ModelReport, NASNet, build_model
from nas.builder._profile import count_flops, measure_latency_ms

__all__ = ["LayerInfo", "ModelReport", "NASNet", "build_model", "count_flops", "measure_latency_ms"]
