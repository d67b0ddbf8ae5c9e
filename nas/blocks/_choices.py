"""Option values several block families share (their configs validate against these)."""

NORMALIZATIONS = ("none", "batch", "layer")  # none, BatchNorm, LayerNorm (GroupNorm(1) on maps)
POOLINGS = ("none", "max", "avg")  # 2x pooling after a conv
