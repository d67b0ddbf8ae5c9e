"""The base layer: errors, registries, typed options, YAML, plugins and lazy exports.

Everything above imports from here; this package imports nothing of nas above it and no
heavy library.
"""

from nas.base._cpus import available_cpus, cgroup_quota
from nas.base._errors import (
    ArchitectureError,
    DataError,
    ExportError,
    NASError,
    RecipeError,
    SearchSpaceError,
    StorageError,
    TrainingError,
)
from nas.base._lazy import lazy_exports
from nas.base._memory import available_memory
from nas.base._options import (
    OptionSpec,
    build_config,
    check_value,
    config_to_dict,
    option,
    option_specs,
)
from nas.base._plugins import (
    ENTRY_POINT_GROUP,
    PluginError,
    load_entry_point_plugins,
    load_plugins,
)
from nas.base._process import PARENT_ENV, exit_with_parent
from nas.base._ranges import OPTION_RANGES, check_options
from nas.base._registry import Registry
from nas.base._secrets import mask_password
from nas.base._text import count, exception_line, key_text
from nas.base._verbose import VERBOSE_ENV, set_verbose, verbose
from nas.base._yaml import load_yaml, parse_yaml, read_text

__all__ = [
    "ENTRY_POINT_GROUP",
    "OPTION_RANGES",
    "PARENT_ENV",
    "VERBOSE_ENV",
    "ArchitectureError",
    "DataError",
    "ExportError",
    "NASError",
    "OptionSpec",
    "PluginError",
    "RecipeError",
    "Registry",
    "SearchSpaceError",
    "StorageError",
    "TrainingError",
    "available_cpus",
    "available_memory",
    "build_config",
    "cgroup_quota",
    "check_options",
    "check_value",
    "config_to_dict",
    "count",
    "exception_line",
    "exit_with_parent",
    "key_text",
    "lazy_exports",
    "load_entry_point_plugins",
    "load_plugins",
    "load_yaml",
    "mask_password",
    "option",
    "option_specs",
    "parse_yaml",
    "read_text",
    "set_verbose",
    "verbose",
]
