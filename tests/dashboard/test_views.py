from __future__ import annotations

from nas.arch import Architecture
from nas.builder import build_model
from nas.dashboard import draw_architecture, trial_note
from nas.training import TrainResult
from tests.conftest import PAPER_CNN


def _result() -> TrainResult:
    return TrainResult(
        task="classification", objective="val_acc", metrics={"val_loss": 0.5, "val_acc": 0.9},
        history=[], epochs_run=12, best_epoch=9, stopped="early_stopping", train_seconds=3.2,
        n_params=5210, flops=63500, device="cpu", precision="32-true", seed=0,
    )


def test_note_has_a_row_per_layer_with_totals_and_hyperparameters():
    arch = Architecture.from_json(PAPER_CNN.read_text())
    model = build_model(arch, (1, 40), 10)
    note = trial_note(7, arch, model.report, _result())
    assert note.startswith("### Trial 7: conv25k5s2 > conv25k3s2 > conv25k3s2 | flatten")
    assert "| feature.0.conv | 25×19 | 150 | 4,750 |" in note
    assert "| output | 10 | 1,260 | 2,500 |" in note
    assert "| **total** | | **5,210** | **63,500** |" in note
    assert "| optimizer | `adam` |" in note and "| lr | `0.01` |" in note  # a table, no scrolling
    assert "val_acc 0.9000 at epoch 10 of 12 (early_stopping)" in note
    assert "![" not in note  # no diagram uploaded: no image


def test_note_shows_the_diagram_at_full_width_first():
    arch = Architecture.from_json(PAPER_CNN.read_text())
    note = trial_note(3, arch, build_model(arch, (1, 40), 10).report, _result(),
                      diagram_url="/artifacts/1/4/abc-123")  # fmt: skip
    lines = note.splitlines()
    assert lines[2] == "![architecture of trial 3](/artifacts/1/4/abc-123)"


def test_diagram_is_a_png_that_grows_with_depth(tmp_path):
    from PIL import Image

    arch = Architecture.from_json(PAPER_CNN.read_text())
    model = build_model(arch, (1, 40), 10)
    path = draw_architecture(model.report, "paper cnn", tmp_path / "a.png")
    small = Architecture(stages=(), readout="flatten")
    other = draw_architecture(build_model(small, (1, 40), 10).report, "linear", tmp_path / "b.png")
    with Image.open(path) as big_image, Image.open(other) as small_image:
        assert big_image.format == "PNG" and small_image.format == "PNG"
        assert big_image.height > small_image.height
