"""The rocket block's features and the closed-form (ridge) output layer it trains with."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nas.arch import Architecture, Block, Stage
from nas.blocks import ConvConfig, RocketConfig
from nas.blocks._random_conv import RandomConvFeatures
from nas.blocks._rocket import N_KERNELS, plan_dilations
from nas.builder import build_model
from nas.data import make_dataset
from nas.training import TrainOptions, train_architecture
from nas.training._closed_form import ALPHAS, has_fixed_features, solve_ridge

ROCKET = Architecture(stages=(Stage("stem", (Block("rocket", RocketConfig(features=840)),)),))


def _frequencies(n: int, length: int = 60, seed: int = 0, classes: int = 3):
    """Noisy sines whose frequency is the class: separable by convolutions, not by mean."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    t = np.linspace(0, 1, length)
    phase = rng.uniform(0, 2 * np.pi, n)
    x = np.sin(2 * np.pi * (2 + 3 * y)[:, None] * t + phase[:, None])
    x = x + rng.normal(0, 0.3, x.shape)
    return x[:, None, :].astype(np.float32), y.astype(np.int64)


def test_ridge_matches_scikit_learns_leave_one_out_choice():
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 300))
    y = x[:, :5] @ rng.normal(size=5) + rng.normal(0, 2.0, 40)
    weight, bias, fit = solve_ridge(torch.from_numpy(x), torch.from_numpy(y)[:, None])
    reference = make_pipeline(StandardScaler(), RidgeCV(alphas=ALPHAS)).fit(x, y)
    assert fit.alpha == pytest.approx(reference[-1].alpha_)
    x_new = rng.normal(size=(10, 300))
    ours = (torch.from_numpy(x_new) @ weight.T + bias).numpy().ravel()
    np.testing.assert_allclose(ours, reference.predict(x_new), rtol=1e-6, atol=1e-6)


def test_features_are_the_proportion_of_positive_convolution_values():
    """One feature recomputed by hand: kernel k at dilation d, compared with its bias."""
    torch.manual_seed(0)
    dilations, counts = plan_dilations(50, 840, 32)
    module = RandomConvFeatures(1, dilations, counts)
    x = torch.randn(6, 1, 50)
    module.init_from_data(x)
    features = module(x).view(6, -1)
    j, k = 1, 4  # dilation index 1, kernel 4: (4 + 1) odd, so positions without padding
    d = dilations[j]
    weight = module.weight[k, 0].numpy()
    series = x[2, 0].numpy()
    conv = np.array([
        sum(weight[i] * series[p + i * d] for i in range(9)) for p in range(50 - 8 * d)
    ])  # fmt: skip
    bias = module.bias1[k, 0].item()
    column = N_KERNELS * counts[0] + k * counts[1]  # features are (dilation, kernel, bias)
    assert features[2, column].item() == pytest.approx((conv > bias).mean(), abs=1e-6)
    assert ((features >= 0) & (features <= 1)).all()


def test_biases_come_from_the_data_and_the_seed():
    x, _ = _frequencies(12)
    x = torch.from_numpy(x)

    def biases(seed: int) -> torch.Tensor:
        torch.manual_seed(seed)
        model = build_model(ROCKET, (1, 60), 3)
        torch.manual_seed(seed)
        model.layers["stem_0_rocket"].init_from_data(x)
        return torch.cat([b.flatten() for n, b in model.named_buffers() if "bias" in n])

    assert torch.equal(biases(0), biases(0))
    assert not torch.equal(biases(0), biases(1))
    assert biases(0).abs().sum() > 0


def test_biases_are_interpolated_quantiles_not_the_outputs_themselves():
    """A bias equal to a training series' convolution output makes that output's feature
    flip with the last bit of another runtime's convolution: the ONNX export's parity
    check failed on its own training data (on a 2-core AMD EPYC, with onnxruntime 1.31
    and 1.32 alike). Interpolated between order statistics (MiniRocket's np.quantile),
    no output sits exactly on a bias."""
    torch.manual_seed(0)
    dilations, counts = plan_dilations(24, 840, 32)
    module = RandomConvFeatures(1, dilations, counts)
    x = torch.randn(30, 1, 24).cumsum(-1)  # continuous values: no ties among outputs
    module.init_from_data(x)
    for j in range(len(dilations)):
        padded, _ = module._outputs(x, j)  # every output, padded or not
        bias = getattr(module, f"bias{j}")
        on_a_bias = (padded[:, :, None, :] == bias[None, :, :, None]).sum().item()
        assert on_a_bias == 0, f"dilation {j}: {on_a_bias} outputs equal a bias"
        assert (
            (bias >= padded.amin((0, 2))[:, None]) & (bias <= padded.amax((0, 2))[:, None])
        ).all()


def test_a_rocket_model_trains_in_closed_form_and_separates_the_classes():
    x, y = _frequencies(90)
    x_test, y_test = _frequencies(30, seed=1)
    data = make_dataset("sines", x, y, x_test, y_test)
    result, model = train_architecture(
        ROCKET, data, TrainOptions(seed=0, progress=False), evaluate_test=True
    )
    assert has_fixed_features(model)
    assert result.epochs_run == 1 and result.steps_per_epoch == 0
    assert any("ridge regression" in note for note in result.notes)
    assert result.metrics["val_acc"] >= 0.9 and result.test_metrics["acc"] >= 0.9
    assert ROCKET.summary().endswith("| ridge output")


def test_regression_targets_are_solved_in_their_own_units():
    x, _ = _frequencies(80, classes=1)
    amplitude = np.linspace(0.5, 3.0, 80).astype(np.float32)
    x = x * amplitude[:, None, None] + 100.0  # far from zero: the intercept matters
    target = 1000.0 + 50.0 * amplitude  # far from the inputs' units
    data = make_dataset("amp", x, target, x[:20], target[:20])
    result, _ = train_architecture(
        ROCKET, data, TrainOptions(seed=0, progress=False), evaluate_test=True
    )
    assert result.test_metrics["rmse"] < 0.2 * target.std()


def test_trained_networks_still_train_by_gradient():
    conv = Architecture(stages=(Stage("f", (Block("conv", ConvConfig(4, kernel=3)),)),))
    x, y = _frequencies(30)
    data = make_dataset("sines", x, y, x[:6], y[:6])
    result, model = train_architecture(conv, data, TrainOptions(seed=0, epochs=2, progress=False))
    assert not has_fixed_features(model)
    assert result.epochs_run == 2 and not any("ridge" in note for note in result.notes)


def test_multivariate_kernels_read_channel_subsets_and_size_on_the_meta_device():
    from nas.builder._fits import memory_needed

    arch = Architecture(stages=(Stage("stem", (Block("rocket", RocketConfig()),)),))
    assert memory_needed(arch, (12, 29), 9).n_params > 0  # no data-dependent step on meta
    torch.manual_seed(0)
    weight = build_model(arch, (12, 29), 9).layers["stem_0_rocket"].weight
    channels_read = (weight.abs().sum(-1) > 0).sum(1)
    assert (
        channels_read.min() >= 1
        and channels_read.max() <= 9
        and len(set(channels_read.tolist())) > 1
    )
