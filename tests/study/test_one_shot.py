"""One-shot mode (ENAS): the supernet phase runs once per study, hands its best
architectures to stand-alone trials, is deterministic, and survives Ctrl-C and crashes
(nothing half handed on; a resume runs it again)."""

from __future__ import annotations

import optuna
import pytest

from nas.base import RecipeError
from nas.study import (
    StudyRecord,
    _one_shot,
    load_recipe,
    one_shot_ranking,
    prepare_search,
    run_one_shot,
    run_search,
)

State = optuna.trial.TrialState
ONE_SHOT = {"mode": "one_shot", "steps": 24, "top_k": 2, "candidates": 6, "batch_size": 32}


def _recipe(make_recipe, **overrides):
    return load_recipe(make_recipe(search=ONE_SHOT, n_trials=2, **overrides))


def _handed(study):
    return [t for t in study.get_trials(deepcopy=False) if "one_shot_reward" in t.user_attrs]


def test_the_phase_hands_its_best_architectures_to_stand_alone_trials(make_recipe, tmp_path):
    recipe = _recipe(make_recipe)
    outcome = run_search(recipe)
    study = prepare_search(recipe).study
    record = StudyRecord.read(study).one_shot
    assert outcome.new_trials == 2 and record["done"] and record["steps"] == 24
    handed = _handed(study)
    assert [t.number for t in handed] == [0, 1]  # the enqueued trials ran first
    assert all(t.state == State.COMPLETE for t in handed)
    for trial, item in zip(handed, record["handed_off"], strict=True):
        assert item["params"].items() <= trial.params.items()  # its architecture, as handed
        assert trial.user_attrs["one_shot_reward"] == item["reward"]
        assert "lr" in trial.params and "lr" not in item["params"]  # tuned stand-alone
    rewards = [item["reward"] for item in record["handed_off"]]
    assert rewards == sorted(rewards, reverse=True) and 0.0 <= rewards[-1] <= 1.0
    tau, n = one_shot_ranking(study)
    assert n == 2 and -1.0 <= tau <= 1.0
    from nas.study._artifacts import best_trial_note

    note = best_trial_note(study)  # the dashboard's study note says what the phase did
    assert "**One-shot phase:** 24 supernet steps" in note and f"tau {tau:+.2f}" in note
    # the controller's weights are in the study's artifact store
    from optuna.artifacts import FileSystemArtifactStore, download_artifact
    from safetensors.torch import load_file

    path = tmp_path / "controller.safetensors"
    download_artifact(artifact_store=FileSystemArtifactStore(str(tmp_path / "artifacts")),
                      file_path=str(path), artifact_id=record["controller"]["artifact"])  # fmt: skip
    assert "cell.weight_ih" in load_file(str(path))

    # a resumed search does not run the phase again, nor hand anything on twice
    run_search(load_recipe(make_recipe(search=ONE_SHOT, n_trials=1)))
    study = prepare_search(recipe).study
    assert len(study.trials) == 3 and len(_handed(study)) == 2
    assert StudyRecord.read(study).one_shot == record


def test_the_phase_is_a_function_of_the_seed(make_recipe, tmp_path):
    outcomes = []
    for name in ("a", "b"):
        prepared = prepare_search(_recipe(make_recipe, study=name))
        outcomes.append(run_one_shot(prepared, lambda: False))
    assert outcomes[0].handed_off == outcomes[1].handed_off
    assert outcomes[0].steps == outcomes[1].steps == 24


def test_ctrl_c_hands_nothing_on_and_the_resume_runs_the_phase(make_recipe):
    prepared = prepare_search(_recipe(make_recipe))
    calls = []

    def stop() -> bool:  # "Ctrl-C" after a few steps
        calls.append(1)
        return len(calls) > 5

    outcome = run_one_shot(prepared, stop)
    assert outcome.interrupted and outcome.handed_off == () and outcome.steps < 24
    assert StudyRecord.read(prepared.study).one_shot is None and not prepared.study.trials
    again = run_one_shot(prepare_search(_recipe(make_recipe)), lambda: False)
    assert again.steps == 24 and len(again.handed_off) == 2


def test_a_crash_mid_phase_leaves_nothing_and_the_resume_runs_it(make_recipe, monkeypatch):
    real_step, steps = _one_shot._train_step, []

    def crashing(*args, **kwargs):
        steps.append(1)
        if len(steps) == 10:
            raise RuntimeError("the machine went away")
        return real_step(*args, **kwargs)

    monkeypatch.setattr(_one_shot, "_train_step", crashing)
    recipe = _recipe(make_recipe)
    with pytest.raises(RuntimeError):
        run_search(recipe)
    study = prepare_search(recipe).study
    assert StudyRecord.read(study).one_shot is None and not study.trials
    outcome = run_search(recipe)
    study = prepare_search(recipe).study
    assert outcome.new_trials == 2 and len(_handed(study)) == 2
    assert StudyRecord.read(study).one_shot["steps"] == 24


def test_a_time_budget_is_a_fraction_of_the_timeout(make_recipe):
    recipe = load_recipe(make_recipe(search={**ONE_SHOT, "steps": None, "fraction": 0.5},
                                     timeout=10.0))  # fmt: skip
    assert _one_shot.one_shot_budget(recipe) == (None, 5.0)


def test_one_shot_without_a_budget_is_one_clear_error(make_recipe):
    recipe = load_recipe(make_recipe(search={"mode": "one_shot"}))
    with pytest.raises(RecipeError, match=r"search: one_shot needs a budget.*search\.steps"):
        prepare_search(recipe)


def test_bad_search_section_names_the_key(make_recipe):
    with pytest.raises(RecipeError, match=r"search\.mode.*one_shot"):
        load_recipe(make_recipe(search={"mode": "enas"}))
    with pytest.raises(RecipeError, match=r"search\.top_k"):
        load_recipe(make_recipe(search={**ONE_SHOT, "top_k": 0}))


def test_closed_form_blocks_are_left_to_the_stand_alone_search(tmp_path):
    from nas.space import load_space

    path = tmp_path / "space.yaml"
    path.write_text(
        "stages:\n"
        "  - name: stem\n    n_blocks: 1\n    blocks: {conv: {channels: 8}, rocket: {features: 168}}\n"
        "training:\n  lr: [0.01, 0.001]\n"
    )
    space = load_space(path)
    phase = _one_shot.phase_space(space)
    assert [b.type for b in phase.stages[0].blocks] == ["conv"]
    assert phase.training["lr"].value == 0.01  # fixed at its first value
    arch = phase.from_params({})
    # in the full space the stem's type is a choice: the hand-off names it
    assert _one_shot.handed_params(space, arch, {}) == {"stem.0.type": "conv"}
    only_rocket = tmp_path / "rocket.yaml"
    only_rocket.write_text(
        "stages:\n  - name: stem\n    n_blocks: 1\n    blocks: {rocket: {features: 168}}\n"
    )
    with pytest.raises(RecipeError, match="only blocks solved in closed form"):
        _one_shot.phase_space(load_space(only_rocket))


class _Arch:
    def __init__(self, kernel: int) -> None:
        self.kernel = kernel

    def to_json(self, indent=None) -> str:
        return f'{{"kernel": {self.kernel}}}'


class _Batches:
    def all_val(self):
        return None


def test_a_repeated_proposal_is_drawn_again_so_top_k_distinct_are_handed_on(monkeypatch):
    from nas.study import SearchSettings

    controller = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0)
    )
    for _ in range(3):  # the final controller proposes one architecture three times first
        controller.enqueue_trial({"kernel": 3})

    def child(supernet, space, trial):
        kernel = trial.suggest_categorical("kernel", [3, 5, 7, 9])
        return _Arch(kernel), kernel

    scores = []
    monkeypatch.setattr(_one_shot, "_child", child)
    monkeypatch.setattr(
        _one_shot, "_score", lambda kernel, batch, classification: scores.append(kernel) or kernel
    )
    settings = SearchSettings(mode="one_shot", steps=1, top_k=2, candidates=2)
    ranked = _one_shot._rank_candidates(controller, None, None, _Batches(), settings, True, None)
    assert [arch.kernel for _, _, arch in ranked] == sorted({3, scores[-1]}, reverse=True)
    assert len(ranked) == 2 and scores[0] == 3 and 3 not in scores[1:]  # each scored once
    # every draw is told to the controller, repeats with the reward they already had
    told = [t for t in controller.trials if t.state == State.COMPLETE]
    assert [t.value for t in told[:3]] == [3, 3, 3] and len(told) == 2 + len(scores)


def test_a_controller_sure_of_one_architecture_stops_drawing(monkeypatch):
    from nas.study import SearchSettings

    controller = optuna.create_study(direction="maximize")
    for _ in range(_one_shot.REDRAWS * 5 + 1):
        controller.enqueue_trial({"kernel": 3})
    monkeypatch.setattr(
        _one_shot, "_child", lambda s, p, t: (_Arch(t.suggest_categorical("kernel", [3])), 3)
    )
    monkeypatch.setattr(_one_shot, "_score", lambda kernel, batch, classification: 0.5)
    settings = SearchSettings(mode="one_shot", steps=1, top_k=2, candidates=5)
    ranked = _one_shot._rank_candidates(controller, None, None, _Batches(), settings, True, None)
    drawn = [t for t in controller.trials if t.state == State.COMPLETE]
    assert len(ranked) == 1 and len(drawn) == _one_shot.REDRAWS * 5  # one still enqueued


def test_kendall_tau_compares_shared_weight_and_stand_alone_scores():
    study = optuna.create_study()
    for reward, acc in ((0.1, 0.5), (0.2, 0.6), (0.3, 0.7)):
        study.add_trial(optuna.trial.create_trial(
            value=acc, user_attrs={"one_shot_reward": reward, "metrics": {"val_acc": acc}}))  # fmt: skip
    assert one_shot_ranking(study) == (pytest.approx(1.0), 3)
    study.add_trial(optuna.trial.create_trial(value=0.1, user_attrs={"metrics": {"val_acc": 0.1}}))
    assert one_shot_ranking(study)[1] == 3  # trials not handed on by the phase do not count
    reversed_study = optuna.create_study()
    for reward, acc in ((0.1, 0.7), (0.2, 0.6), (0.3, 0.5)):
        reversed_study.add_trial(optuna.trial.create_trial(
            value=acc, user_attrs={"one_shot_reward": reward, "metrics": {"val_acc": acc}}))  # fmt: skip
    assert one_shot_ranking(reversed_study)[0] == pytest.approx(-1.0)
