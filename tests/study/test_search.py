"""End-to-end searches on SQLite in a temp dir (tiny space, 2 epochs per trial)."""

from __future__ import annotations

import optuna
import pytest

from nas.arch import Architecture
from nas.study import load_recipe, prepare_search, run_search

State = optuna.trial.TrialState


def test_search_records_everything_in_optunas_own_storage(make_recipe, tmp_path):
    outcome = run_search(load_recipe(make_recipe(n_trials=3)))
    assert outcome.new_trials == 3 and not outcome.interrupted

    study = optuna.load_study(study_name="t", storage=f"sqlite:///{tmp_path / 'store.db'}")
    assert study.metric_names == ["val_acc"]
    assert study.user_attrs["recipe"]["study"] == "t" and "stages:" in study.user_attrs["space"]
    complete = [t for t in study.trials if t.state == State.COMPLETE]
    assert complete
    for trial in complete:
        attrs = trial.user_attrs
        arch = Architecture.from_dict(attrs["architecture"])
        assert arch.summary() == attrs["summary"]
        assert attrs["n_params"] > 0 and attrs["flops"] > 0 and attrs["latency_ms"] > 0
        assert attrs["epochs_run"] == 2 and 0 <= attrs["best_epoch"] < 2 and attrs["train_seconds"] > 0
        assert attrs["device"] == "cpu" and {"nas", "torch", "lightning", "optuna"} <= set(attrs["versions"])
        assert sorted(trial.intermediate_values) == [0, 1]  # per-epoch val_acc, for pruners and curves
        assert trial.value == attrs["metrics"]["val_acc"] == max(trial.intermediate_values.values())


def test_resuming_adds_trials_with_continued_numbering(make_recipe):
    path = make_recipe(n_trials=2)
    run_search(load_recipe(path))
    outcome = run_search(load_recipe(path))
    prepared = prepare_search(load_recipe(path))
    assert outcome.new_trials == 2
    assert [t.number for t in prepared.study.trials] == [0, 1, 2, 3]
    # a resumed seeded sampler does not repeat the first run's proposals
    params = [t.params for t in prepared.study.trials]
    assert params[2] != params[0] or params[3] != params[1]


def test_multi_objective_study_yields_a_pareto_front(make_recipe):
    from nas.study import best_trials

    recipe = load_recipe(make_recipe(sampler="nsga2", objectives=["val_acc", "params"], n_trials=6))
    run_search(recipe)
    study = prepare_search(recipe).study
    front = best_trials(study)
    complete = [t for t in study.trials if t.state == State.COMPLETE]
    assert front and len(complete) == 6
    for a in front:  # nobody on the front is dominated by any complete trial
        for b in complete:
            dominates = b.values[0] >= a.values[0] and b.values[1] <= a.values[1] and b.values != a.values
            assert not dominates, f"trial {a.number} on the front is dominated by {b.number}"


LINEAR = {"feature.n_blocks": 0, "head.n_blocks": 0, "readout": "flatten", "optimizer": "adam",
          "lr": 0.01, "schedule": "constant"}  # 40 * 10 + 10 = 410 parameters
WIDE = {**LINEAR, "feature.n_blocks": 1, "feature.0.type": "conv", "feature.0.conv.channels": 8,
        "feature.0.conv.kernel": 5, "feature.0.conv.stride": 1, "feature.0.conv.pooling": "none"}
# conv 1->8 k5 (48) + linear 8*40 -> 10 (3210) = 3258 parameters


def test_constraints_mark_infeasible_trials(make_recipe):
    limit = 2000
    recipe = load_recipe(make_recipe(n_trials=2, constraints={"max_params": limit}))
    prepared = prepare_search(recipe)
    prepared.study.enqueue_trial(WIDE)
    prepared.study.enqueue_trial(LINEAR)
    run_search(recipe, prepared=prepared)
    wide, linear = prepared.study.trials
    assert wide.user_attrs["n_params"] == 3258 and linear.user_attrs["n_params"] == 410
    assert wide.state == State.PRUNED and wide.constraints["max_params"] == 3258 - limit
    assert wide.user_attrs["fail_reason"] == "infeasible: params 3,258 > 2,000"
    assert linear.state == State.COMPLETE and linear.constraints["max_params"] == 410 - limit
    assert prepared.study.best_trial.number == linear.number


def test_infeasible_trials_can_still_be_trained(make_recipe):
    recipe = load_recipe(make_recipe(n_trials=1, constraints={"max_params": 2000, "skip_infeasible": False}))
    prepared = prepare_search(recipe)
    prepared.study.enqueue_trial(WIDE)
    run_search(recipe, prepared=prepared)
    (wide,) = prepared.study.trials
    assert wide.state == State.COMPLETE and wide.constraints["max_params"] > 0
    with pytest.raises(ValueError):  # Optuna: no feasible trial, so no best trial
        prepared.study.best_trial  # noqa: B018


def test_unbuildable_and_diverging_trials_fail_while_the_study_completes(make_recipe, short_signals):
    data, space = short_signals
    recipe = load_recipe(make_recipe(space=str(space), data=str(data), n_trials=3, sampler="random"))
    prepared = prepare_search(recipe)
    for kernel, lr in ((2, 0.1), (3, 1.0e12), (3, 0.1)):
        prepared.study.enqueue_trial({"feature.0.conv.kernel": kernel, "lr": lr})
    outcome = run_search(recipe, prepared=prepared)
    assert outcome.new_trials == 3
    unbuildable, diverged, fine = prepared.study.trials
    assert unbuildable.state == State.FAIL
    assert "cannot build: feature.0.conv: conv kernel 2" in unbuildable.user_attrs["fail_reason"]
    assert diverged.state == State.FAIL
    assert "training loss became" in diverged.user_attrs["fail_reason"]
    assert fine.state == State.COMPLETE


def test_pruner_stops_a_hopeless_trial(make_recipe):
    recipe = load_recipe(make_recipe(
        n_trials=2, pruner={"name": "median", "options": {"n_startup_trials": 1, "n_warmup_steps": 0}},
    ))
    prepared = prepare_search(recipe)
    prepared.study.enqueue_trial({**WIDE, "lr": 0.02})
    prepared.study.enqueue_trial({**WIDE, "lr": 0.001, "optimizer": "sgd_nesterov"})
    run_search(recipe, prepared=prepared)
    first, second = prepared.study.trials
    assert first.state == State.COMPLETE
    assert second.state == State.PRUNED
    assert second.user_attrs["fail_reason"].startswith("pruned by MedianPruner")


def test_a_study_name_with_other_directions_is_refused(make_recipe):
    from nas import RecipeError

    run_search(load_recipe(make_recipe(n_trials=1)))
    with pytest.raises(RecipeError, match="already exists .* with directions \\['maximize'\\]"):
        prepare_search(load_recipe(make_recipe(objectives=["val_acc", "params"])))


def test_out_of_memory_fails_the_trial_not_the_study(make_recipe, monkeypatch):
    import torch

    import nas.training

    calls = []

    def exhausted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(*args, **kwargs)

    real = nas.training.train_architecture
    monkeypatch.setattr(nas.training, "train_architecture", exhausted)
    recipe = load_recipe(make_recipe(n_trials=2))
    run_search(recipe)
    first, second = prepare_search(recipe).study.trials
    assert first.state == State.FAIL
    assert first.user_attrs["fail_reason"].startswith("OutOfMemoryError: CUDA out of memory")
    assert second.state == State.COMPLETE


def test_trial_timeout_prunes_with_the_reason(make_recipe, tmp_path):
    from tests.conftest import SPACES

    slow = tmp_path / "slow.yaml"
    slow.write_text((SPACES / "tiny.yaml").read_text().replace("epochs: 2", "epochs: 10000"))
    recipe = load_recipe(make_recipe(space=str(slow), n_trials=1, trial_timeout=1.5))
    run_search(recipe)
    (trial,) = prepare_search(recipe).study.trials
    assert trial.state == State.PRUNED
    assert trial.user_attrs["fail_reason"].startswith("trial_timeout: stopped after")
    assert 1 <= trial.user_attrs["epochs_run"] < 10000


def test_controller_sampler_runs_a_search_and_records_its_diagnostics(make_recipe):
    recipe = load_recipe(make_recipe(n_trials=4, sampler={"name": "controller", "options": {"hidden_size": 16}}))
    run_search(recipe)
    trials = prepare_search(recipe).study.trials
    assert len(trials) == 4
    for t in trials:
        diag = t.user_attrs["controller"]
        assert diag["decisions"] and set(diag["decisions"]) <= set(t.params)
        assert "lr" not in diag["decisions"]  # the wide log range went to the inner TPE
    assert trials[-1].user_attrs["controller"]["learned_from"] == 3


def test_completed_trials_get_a_note_a_diagram_and_reloadable_weights(make_recipe, tmp_path, mnist1d):
    import torch
    from optuna.artifacts import FileSystemArtifactStore, download_artifact, get_all_artifact_meta
    from optuna_dashboard import get_note
    from safetensors.torch import load_file

    from nas.builder import build_model
    from nas.training import evaluate

    recipe = load_recipe(make_recipe(n_trials=1, artifacts={}))  # the default folder
    prepared = prepare_search(recipe)
    prepared.study.enqueue_trial(WIDE)
    run_search(recipe, prepared=prepared)
    (trial,) = prepared.study.trials
    assert prepared.study.user_attrs["artifact_dir"] == str(tmp_path / "store-artifacts")
    live = optuna.trial.Trial(prepared.study, trial._trial_id)  # get_note reads via a Trial
    note = get_note(live)
    assert note.startswith(f"### Trial 0: {trial.user_attrs['summary']}")
    diagram = trial.user_attrs["artifacts"]["diagram"]
    assert f"/{trial._trial_id}/{diagram})" in note  # the diagram, full width in the note
    names = sorted(m.filename for m in get_all_artifact_meta(trial, storage=prepared.study._storage))
    assert names == ["trial-0-architecture.png", "trial-0-weights.safetensors"]

    store = FileSystemArtifactStore(tmp_path / "store-artifacts")
    weights = tmp_path / "w.safetensors"
    download_artifact(artifact_store=store, file_path=str(weights),
                      artifact_id=trial.user_attrs["artifacts"]["weights"])
    arch = Architecture.from_dict(trial.user_attrs["architecture"])
    model = build_model(arch, mnist1d.input_shape, mnist1d.num_outputs)
    model.load_state_dict(load_file(weights))
    x, y = torch.from_numpy(mnist1d.x_val), torch.from_numpy(mnist1d.y_val)
    assert evaluate(model, x, y, "classification")["acc"] == pytest.approx(trial.value)


def test_artifacts_can_be_switched_off(make_recipe, tmp_path):
    recipe = load_recipe(make_recipe(n_trials=1, artifacts={"enabled": False}))
    run_search(recipe)
    (trial,) = prepare_search(recipe).study.trials
    assert "artifacts" not in trial.user_attrs
    assert not (tmp_path / "store-artifacts").exists()
    recipe = load_recipe(make_recipe(study="w", n_trials=1, artifacts={"weights": False}))
    run_search(recipe)
    (trial,) = prepare_search(recipe).study.trials
    assert set(trial.user_attrs["artifacts"]) == {"diagram"}
