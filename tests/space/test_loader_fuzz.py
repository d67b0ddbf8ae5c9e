"""Property: any space file is either accepted or refused with one SearchSpaceError that
names the file and key path, never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nas.blocks import list_blocks
from nas.space import load_space
from tests.fuzz import PLAUSIBLE, VALUES, as_yaml, documents, load_or_one_error

TRAINING = ["optimizer", "lr", "momentum", "weight_decay", "batch_size", "epochs", "schedule",
            "patience", "steps", "min_steps"]  # fmt: skip
BLOCK_OPTIONS = ["channels", "kernel", "stride", "pooling", "units", "hidden", "cell",
                 "variant", "activation", "dropout", "normalization", "kernels"]  # fmt: skip
PARAM = st.one_of(
    PLAUSIBLE,
    st.lists(PLAUSIBLE, min_size=1, max_size=3),
    st.fixed_dictionaries({"low": PLAUSIBLE, "high": PLAUSIBLE},
                          optional={"log": st.booleans(), "step": PLAUSIBLE}),
    VALUES,
)  # fmt: skip
BLOCKS = st.dictionaries(
    st.sampled_from([*list_blocks()] * 4 + ["warp"]),
    documents(BLOCK_OPTIONS, dict.fromkeys(BLOCK_OPTIONS, PARAM)),
    min_size=1, max_size=3,
)  # fmt: skip
STAGE = st.fixed_dictionaries(
    {"name": st.sampled_from(["feature", "head", "f g", "", "x" * 3]),
     "blocks": st.one_of(BLOCKS, BLOCKS, BLOCKS, VALUES)},
    optional={"n_blocks": PARAM},
)  # fmt: skip
SPACE = st.fixed_dictionaries(
    {"stages": st.one_of(st.lists(STAGE, min_size=1, max_size=3), VALUES)},
    optional={"name": st.sampled_from(["fuzz", ""]), "readout": PARAM,
              "training": documents(TRAINING, dict.fromkeys(TRAINING, PARAM)),
              "unknown_key": VALUES},
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(doc=SPACE)
def test_any_space_is_accepted_or_one_space_error(tmp_path, doc):
    load_or_one_error(load_space, tmp_path / "space.yaml", as_yaml(doc))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=200))
def test_any_bytes_are_a_space_or_one_space_error(tmp_path, data):
    load_or_one_error(load_space, tmp_path / "space.yaml", data)
