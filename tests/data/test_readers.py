"""The readers of the field's formats: UCR/UEA .ts and .tsv, CSV/Parquet tables, image
folders. Every fixture is generated here; every bad input gets one line naming it."""

from __future__ import annotations

import numpy as np
import pytest

from nas.base import DataError
from nas.data import ReadOptions, load_dataset
from tests.data.formats import (
    separable_series,
    write_image_folder,
    write_table,
    write_ts,
    write_tsv,
)


def test_ts_pair_reads_string_labels_and_keeps_their_names(tmp_path):
    train, labels = separable_series(20, channels=3)
    test, test_labels = separable_series(10, channels=3, seed=1)
    write_ts(tmp_path / "Toy_TRAIN.ts", train, labels)
    write_ts(tmp_path / "Toy_TEST.ts", test, test_labels)
    data = load_dataset(str(tmp_path / "Toy_TRAIN.ts"))
    assert data.name == "Toy" and data.kind == "signal" and data.input_shape == (3, 16)
    assert data.classes == ("down", "up") and data.num_outputs == 2
    assert len(data.x_test) == 10  # the sibling _TEST file, not a held-out share
    assert data.class_name(int(data.y_test[0])) == test_labels[0]
    # standardized per channel with the training statistics, recorded for deployment
    x, _ = data.pool()
    assert np.allclose(x.mean(axis=(0, 2)), 0, atol=1e-5)
    assert len(data.preprocessing["standardize"]["mean"]) == 3


def test_ts_without_test_file_holds_out_a_stratified_test_split(tmp_path):
    series, labels = separable_series(40)
    data = load_dataset(str(write_ts(tmp_path / "alone.ts", series, labels)))
    assert len(data.x_test) == 8 and np.bincount(data.y_test).tolist() == [4, 4]
    assert any("held out as test" in note for note in data.notes)


def test_unequal_lengths_resample_pad_or_refuse(tmp_path):
    series, labels = separable_series(12)
    series = [s[:, : 8 + i % 5] for i, s in enumerate(series)]
    path = str(write_ts(tmp_path / "ragged.ts", series, labels))
    resampled = load_dataset(path)
    assert resampled.input_shape == (1, 12)
    assert any("resampled to length 12" in note for note in resampled.notes)
    padded = load_dataset(path, options=ReadOptions(unequal_length="pad"))
    assert any("zero-padded" in note for note in padded.notes)
    with pytest.raises(DataError, match=r"ragged\.ts: series have unequal lengths \(8 to 12\)"):
        load_dataset(path, options=ReadOptions(unequal_length="error"))


def test_resampling_keeps_a_series_shape():
    from nas.data._convert import equal_length

    ramp = np.linspace(0, 1, 5)[None, :]
    out, _ = equal_length([ramp, np.linspace(0, 1, 9)[None, :]], "resample", "x")
    assert np.allclose(out[0, 0], np.linspace(0, 1, 9))


def test_ts_with_missing_values_is_refused(tmp_path):
    series, labels = separable_series(10)
    path = write_ts(tmp_path / "holes.ts", series, labels, missing=True)
    with pytest.raises(DataError, match=r"holes\.ts: series 0 has missing values"):
        load_dataset(str(path))


def test_ucr_tsv_pair_with_nan_padded_variable_lengths(tmp_path):
    series, labels = separable_series(20)
    ints = [1 if y == "up" else 2 for y in labels]
    series = [s[:, : 12 + i % 4] for i, s in enumerate(series)]
    write_tsv(tmp_path / "V_TRAIN.tsv", series, ints)
    write_tsv(tmp_path / "V_TEST.tsv", series[:6], ints[:6])
    data = load_dataset(str(tmp_path / "V_TRAIN.tsv"))
    assert data.classes == ("1", "2") and data.input_shape == (1, 15) and len(data.x_test) == 6


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_table_with_named_target_encodes_categories_and_standardizes(tmp_path, suffix):
    data = load_dataset(
        str(write_table(tmp_path / f"t{suffix}")), options=ReadOptions(target="y")
    )
    assert data.kind == "table" and data.task == "classification"
    assert data.classes == ("big", "small")
    # a, b and three one-hot colour columns, as one row of features
    assert data.input_shape == (1, 5)
    assert data.preprocessing["one_hot"] == {"colour": ["blue", "green", "red"]}
    assert data.preprocessing["standardize"]["columns"][:2] == ["a", "b"]
    x, _ = data.pool()
    assert abs(float(x[:, 0, 0].std()) - 1.0) < 0.2  # 'a' was in the hundreds


def test_float_target_is_regression(tmp_path):
    path = write_table(tmp_path / "r.csv", regression=True)
    data = load_dataset(str(path), options=ReadOptions(target="y"))
    assert data.task == "regression" and data.num_outputs == 1 and data.classes is None


def test_wrong_or_missing_target_column_names_the_columns(tmp_path):
    path = str(write_table(tmp_path / "t.csv"))
    with pytest.raises(DataError, match=r"t\.csv: no column 'label'; pass --target COLUMN, "
                                        r"one of: a, b, colour, y"):  # fmt: skip
        load_dataset(path, options=ReadOptions(target="label"))
    with pytest.raises(DataError, match="no target column was given"):
        load_dataset(path)


def test_table_with_missing_feature_values_is_refused(tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text("a,b,y\n1,2,x\n3,,y\n5,6,x\n7,8,y\n")
    with pytest.raises(DataError, match=r"holes\.csv: column 'b' has missing values"):
        load_dataset(str(path), options=ReadOptions(target="y"))


def test_image_folder_one_subfolder_per_class(tmp_path):
    root = write_image_folder(tmp_path / "shapes", ["circle", "square", "star"])
    data = load_dataset(str(root))
    assert data.kind == "image" and data.input_shape == (1, 8, 8)
    assert data.classes == ("circle", "square", "star") and data.num_outputs == 3
    assert float(data.x_train.max()) <= 1.0


def test_image_folder_with_train_and_test_splits_and_mixed_sizes(tmp_path):
    write_image_folder(tmp_path / "s" / "train", ["a", "b"], per_class=6)
    write_image_folder(tmp_path / "s" / "test", ["a", "b"], per_class=2, size=(10, 10))
    data = load_dataset(str(tmp_path / "s"))
    assert len(data.x_test) == 4 and data.input_shape == (1, 8, 8)
    assert any("resized to the most common size 8x8" in note for note in data.notes)


def test_image_folder_with_one_class_is_refused(tmp_path):
    root = write_image_folder(tmp_path / "lonely", ["cat"])
    with pytest.raises(DataError, match=r"lonely: an image folder needs one sub-folder .* "
                                        r"2 or more classes; found only 'cat'"):  # fmt: skip
        load_dataset(str(root))


def test_unreadable_image_names_the_file(tmp_path):
    root = write_image_folder(tmp_path / "imgs", ["a", "b"])
    (root / "a" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"broken\.png: not a readable image"):
        load_dataset(str(root))


def test_missing_reader_library_gives_an_install_line(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    path = write_table(tmp_path / "t.csv")
    monkeypatch.setattr(builtins, "__import__", no_pandas)
    monkeypatch.delitem(__import__("sys").modules, "pandas", raising=False)
    with pytest.raises(DataError, match=r"pip install 'nas\[tables\]'"):
        load_dataset(str(path), options=ReadOptions(target="y"))
