"""nas: neural architecture search and hyperparameter tuning on Optuna and Lightning.

``import nas`` is light: torch, lightning and optuna load when a name that needs them is
first used.

Example::

    import nas
    study = nas.search("studies/quickstart.yaml")       # a whole search, as `nas search`
    print(nas.best(study).value)
    nas.export(study, "best/")                           # a verified, deployable bundle
    space = nas.load_space("search_spaces/tiny.yaml")
    arch = nas.Architecture.from_json(open("search_spaces/architectures/mnist1d_cnn.json").read())
    model = nas.build_model(arch, input_shape=(1, 40), num_outputs=10)
"""

from nas.base import (
    ArchitectureError,
    DataError,
    ExportError,
    NASError,
    PluginError,
    RecipeError,
    SearchSpaceError,
    StorageError,
    TrainingError,
    lazy_exports,
)

__version__ = "0.1.0"

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Architecture": "nas.arch",
        "ControllerSampler": "nas.samplers",
        "SearchSpace": "nas.space",
        "load_space": "nas.space",
        "build_model": "nas.builder",
        "load": "nas.export",
        "export": "nas.export",
        "search": "nas.study",
        "best": "nas.study",
        "Dataset": "nas.data",
        "load_dataset": "nas.data",
        "TrainConfig": "nas.config",
        "TrainOptions": "nas.training",
        "train_architecture": "nas.training",
    },
)

__all__ = [
    "Architecture",
    "ArchitectureError",
    "ControllerSampler",
    "DataError",
    "Dataset",
    "ExportError",
    "NASError",
    "PluginError",
    "RecipeError",
    "SearchSpace",
    "SearchSpaceError",
    "StorageError",
    "TrainConfig",
    "TrainOptions",
    "TrainingError",
    "__version__",
    "best",
    "build_model",
    "export",
    "load",
    "load_dataset",
    "load_space",
    "search",
    "train_architecture",
]
