"""Search spaces: YAML files of stages, blocks and hyperparameters, sampled by Optuna trials."""

from nas.space._auto import AUTO, auto_space, auto_space_doc, auto_space_text, batch_sizes
from nas.space._loader import load_space, parse_space
from nas.space._params import Choice, Fixed, FloatRange, IntRange, Param, parse_param
from nas.space._space import BlockSpace, SearchSpace, StageSpace

__all__ = [
    "AUTO",
    "BlockSpace",
    "Choice",
    "Fixed",
    "FloatRange",
    "IntRange",
    "Param",
    "SearchSpace",
    "StageSpace",
    "auto_space",
    "auto_space_doc",
    "auto_space_text",
    "batch_sizes",
    "load_space",
    "parse_param",
    "parse_space",
]
