"""Hypothesis strategies for YAML documents that look like nas's own files: the right
keys, with values from anywhere (NaN, infinities, huge integers, wrong types, nesting)."""

from __future__ import annotations

from collections.abc import Sequence

import yaml
from hypothesis import strategies as st

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            0,
            1,
            -1,
            2**32,
            0.5,
            1e-300,
            "auto",
            "",
            "tpe",
            "median",
            "mnist1d",
            "conv",
            "dense",
            "relu",
            "x" * 300,
        ]
    ),
    st.text(max_size=12),
)
PLAUSIBLE = st.one_of(  # values of the right kind, often in range, sometimes at the edge
    st.integers(min_value=-2, max_value=300),
    st.floats(min_value=-1, max_value=2),
    st.sampled_from([1e-3, 0.1, 0.9, 32, 64, 256, float("nan"), float("inf"), 2**63]),
    st.sampled_from(["relu", "gelu", "max", "none", "adam", "sgd", "cosine", "basic", "gru"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def documents(keys: Sequence[str], nested: dict[str, st.SearchStrategy] | None = None):
    """Mappings over ``keys`` (and a stray key now and then), values from VALUES or from
    ``nested[key]``."""
    nested = nested or {}
    key = st.sampled_from([*keys] * 8 + ["unknown_key"])  # a stray key now and then
    return st.dictionaries(key, VALUES, max_size=len(keys)).flatmap(
        lambda doc: st.fixed_dictionaries({k: nested.get(k, st.just(v)) for k, v in doc.items()})
    )


def as_yaml(doc) -> str:
    return yaml.safe_dump(doc, allow_unicode=True)


def load_or_one_error(load, path, content: str | bytes):
    """Write ``content`` to ``path`` and load it: the result, or None after checking that
    the loader refused it with one NASError line naming the file (any other exception
    fails the test)."""
    from nas.base import NASError

    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    try:
        return load(path)
    except NASError as exc:
        message = str(exc).strip()
        assert path.name in message and "\n" not in message, message
        return None
