"""Targets are checked, not guessed: labels remapped to 0..K-1 with their names kept, float
labels refused unless the task is said, regression targets' statistics recorded."""

from __future__ import annotations

import numpy as np
import pytest

from nas import DataError
from nas.data import ReadOptions, load_dataset, target_statistics
from tests.data.formats import write_table


def _npz(tmp_path, y_train, y_test, name="data.npz"):
    rng = np.random.default_rng(0)
    path = tmp_path / name
    np.savez(path, x_train=rng.normal(size=(len(y_train), 12)).astype(np.float32),
             y_train=np.asarray(y_train), x_test=rng.normal(size=(len(y_test), 12)).astype(np.float32),
             y_test=np.asarray(y_test))  # fmt: skip
    return path


@pytest.mark.parametrize(
    ("labels", "names"),
    [([1, 2, 3], ("1", "2", "3")), ([0, 10, 20], ("0", "10", "20")), ([-1, 1], ("-1", "1"))],
)
def test_integer_labels_that_are_not_0_to_k_are_remapped_with_their_names(tmp_path, labels, names):
    y = np.array(labels * 20)
    data = load_dataset(str(_npz(tmp_path, y, y[: len(labels) * 3])))
    assert data.task == "classification"
    assert data.num_outputs == len(labels)  # not max(label) + 1
    assert data.classes == names
    assert set(np.unique(data.y_train)) <= set(range(len(labels)))
    assert any("mapped to outputs 0.." in note for note in data.notes)


def test_labels_already_0_to_k_keep_no_names(tmp_path):
    y = np.arange(3).repeat(20)
    data = load_dataset(str(_npz(tmp_path, y, y[:9])))
    assert data.classes is None and data.num_outputs == 3 and not data.notes


def test_float_labels_that_look_like_classes_are_refused_unless_the_task_is_said(tmp_path):
    y = np.arange(3).repeat(20).astype(np.float64)
    path = str(_npz(tmp_path, y, y[:9]))
    with pytest.raises(DataError, match=r"whole numbers \(0, 1, 2\).*task: classification"):
        load_dataset(path)
    assert load_dataset(path, options=ReadOptions(task="regression")).task == "regression"
    as_classes = load_dataset(path, options=ReadOptions(task="classification"))
    assert as_classes.task == "classification" and as_classes.num_outputs == 3


def test_many_distinct_integers_are_refused_as_ambiguous(tmp_path):
    y = np.arange(300)
    with pytest.raises(DataError, match="300 distinct whole numbers"):
        load_dataset(str(_npz(tmp_path, y, y[:20])))
    data = load_dataset(str(_npz(tmp_path, y, y[:20])), options=ReadOptions(task="regression"))
    assert data.task == "regression"


def test_real_valued_targets_are_regression_with_training_statistics(tmp_path):
    path = write_table(tmp_path / "houses.csv", n=80, regression=True)
    data = load_dataset(str(path), options=ReadOptions(target="y"))
    assert data.task == "regression"
    stats = data.preprocessing["target"]
    assert stats == target_statistics(data.y_train)  # the training split's, not the test's
    assert stats["std"][0] > 0.5  # y = 2.5 a + noise: raw units, not standardized


def test_a_string_column_cannot_be_a_regression_target(tmp_path):
    path = write_table(tmp_path / "t.csv", n=40)
    with pytest.raises(DataError, match="task regression needs numeric targets"):
        load_dataset(str(path), options=ReadOptions(target="y", task="regression"))


def test_an_unknown_task_is_one_line(tmp_path):
    y = np.arange(2).repeat(10)
    with pytest.raises(DataError, match="task: 'clasification'; expected one of auto"):
        load_dataset(str(_npz(tmp_path, y, y[:4])), options=ReadOptions(task="clasification"))
