"""The search space derived from the data: what it offers for signals, images and tables,
and that every architecture it yields builds."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from nas.builder import build_model
from nas.data import make_dataset
from nas.space import auto_space, auto_space_doc, batch_sizes, parse_space


def _data(shape, n=60, kind=None, classes=3):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, *shape)).astype(np.float32)
    y = (np.arange(n) % classes).astype(np.int64)
    return make_dataset("d", x, y, x[:9], y[:9], kind=kind)


CASES = {
    "short-signal": _data((3, 30)),
    "long-signal": _data((1, 1460)),
    "image": _data((1, 12, 12)),
    "table": _data((1, 7), kind="table"),
}


@pytest.mark.parametrize("name", CASES)
def test_every_sampled_architecture_builds(name):
    data = CASES[name]
    space = auto_space(data)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for _ in range(6):
        arch = space.sample(study.ask())
        model = build_model(arch, data.input_shape, data.num_outputs)
        assert model.report.n_params > 0


def _blocks(doc):
    return {k: v for stage in doc["stages"] for k, v in stage["blocks"].items()}


def test_signals_get_the_designs_that_win_on_time_series():
    blocks = _blocks(auto_space_doc(CASES["long-signal"]))
    assert max(blocks["conv"]["kernel"]) >= 40 and 256 in blocks["conv"]["channels"]
    assert blocks["conv"]["normalization"] == "batch"
    assert max(blocks["inception"]["kernel"]) >= 39 and "residual" in blocks
    assert auto_space_doc(CASES["long-signal"])["readout"][0] == "global_avg"
    # a long series passes a strided stem first; a short one offers recurrent blocks
    assert auto_space_doc(CASES["long-signal"])["stages"][0]["name"] == "stem"
    assert "recurrent" in _blocks(auto_space_doc(CASES["short-signal"]))


def test_images_get_small_resnets_and_tables_mlps_with_normalization():
    image = _blocks(auto_space_doc(CASES["image"]))
    assert set(image) == {"conv", "residual", "dense"}
    table = auto_space_doc(CASES["table"])
    assert _blocks(table).keys() == {"dense"} and table["readout"] == ["flatten"]
    assert "batch" in _blocks(table)["dense"]["normalization"]


@pytest.mark.parametrize(("n", "expected"), [(16, [8, 16]), (200, [8, 16, 32]),
                                             (3200, [64, 128, 256])])  # fmt: skip
def test_batch_sizes_scale_with_the_sample_count(n, expected):
    assert batch_sizes(n)[: len(expected)] == expected and max(batch_sizes(n)) <= max(n, 8)


def test_the_printed_space_is_a_space_file(tmp_path):
    from nas.space import auto_space_text, load_space

    path = tmp_path / "derived.yaml"
    path.write_text(auto_space_text(CASES["short-signal"]))
    assert load_space(path).text == auto_space(CASES["short-signal"]).text
    stages = [stage.name for stage in parse_space(path.read_text()).stages]
    assert stages == ["stem", "feature", "head"]


@pytest.mark.parametrize("name", ["short-signal", "long-signal"])
def test_signals_offer_rocket_which_ends_the_network(name):
    """MiniRocket's features are one alternative of the first stage; a trial that picks
    them samples nothing after it (no feature or head blocks, no parameters for them)."""
    space = auto_space(CASES[name])
    assert "rocket" in {b.type for b in space.stages[0].blocks}
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    kinds = set()
    for _ in range(30):
        trial = study.ask()
        arch = space.sample(trial)
        types = [b.type for _, b in arch.blocks()]
        kinds.add("rocket" in types)
        if "rocket" in types:
            assert types == ["rocket"]
            assert not any(k.startswith(("feature.", "head.")) for k in trial.params)
        study.tell(trial, 0.0)
    assert kinds == {True, False}  # both alternatives are drawn


def test_rocket_is_not_offered_for_images_or_tables():
    for name in ("image", "table"):
        assert "rocket" not in _blocks(auto_space_doc(CASES[name]))
