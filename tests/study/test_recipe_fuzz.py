"""Property: any recipe file is either accepted or refused with one RecipeError that names
the file, never another exception (NaN, infinities, huge numbers, wrong types, binary)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nas.base import NASError
from nas.samplers import SamplerContext, make_sampler
from nas.study import load_recipe, make_pruner
from nas.study._recipe import ROOT_KEYS
from tests.fuzz import VALUES, as_yaml, documents, load_or_one_error

SECTIONS = {
    "recovery": documents(["heartbeat_interval", "grace_period", "max_retry", "storage_retry_s"]),
    "constraints": documents(["max_params", "max_flops", "max_latency_ms", "skip_infeasible"]),
    "artifacts": documents(["enabled", "weights"]),  # no dir: the test must not create folders
    "validation": st.one_of(VALUES, documents(["holdout", "folds", "method"])),
    "sampler": st.one_of(
        st.sampled_from(["tpe", "random", "controller", "cmaes", "nope"]),
        st.fixed_dictionaries(
            {
                "name": st.sampled_from(["tpe", "random", "cmaes", "nsga2", "controller"]),
                "options": documents(
                    [
                        "n_startup_trials",
                        "sigma0",
                        "popsize",
                        "lr",
                        "bins",
                        "population_size",
                        "mutation_prob",
                        "seed_",
                        "n_ei_candidates",
                    ]
                ),
            }
        ),
    ),
    "pruner": st.one_of(
        st.sampled_from(["median", "hyperband", "none"]),
        st.fixed_dictionaries(
            {
                "name": st.sampled_from(["median", "successive_halving", "hyperband"]),
                "options": documents(
                    [
                        "n_startup_trials",
                        "n_warmup_steps",
                        "interval_steps",
                        "min_resource",
                        "reduction_factor",
                        "percentile",
                    ]
                ),
            }
        ),
    ),
}
KEYS = [k for k in ROOT_KEYS if k not in ("plugins", "plugin_path", "storage")]  # no imports


def check_components(recipe) -> None:
    """Build the sampler and the pruner as a search does before its first trial."""
    context = SamplerContext(seed=recipe.seed, n_objectives=max(1, len(recipe.objectives)))
    make_sampler(recipe.sampler.name, recipe.sampler.options, context, "sampler")
    make_pruner(recipe.pruner.name, recipe.pruner.options, "pruner")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(doc=documents(KEYS, SECTIONS))
def test_any_recipe_is_accepted_or_one_recipe_error(tmp_path, doc):
    path = tmp_path / "recipe.yaml"
    path.write_text(as_yaml({"space": "auto", **doc}))
    try:
        check_components(load_recipe(path))
    except NASError as exc:
        assert "\n" not in str(exc).strip()
        assert "recipe.yaml" in str(exc) or str(exc).startswith(("sampler", "pruner")), exc


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=200))
def test_any_bytes_are_a_recipe_or_one_recipe_error(tmp_path, data):
    load_or_one_error(load_recipe, tmp_path / "recipe.yaml", data)
