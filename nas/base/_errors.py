"""One exception family for everything a user can get wrong.

The CLI turns any :class:`NASError` into a single line and a non-zero exit code; other
exceptions are bugs and keep their traceback.
"""

from __future__ import annotations


class NASError(Exception):
    """Base class of every error `nas` raises on purpose."""


class SearchSpaceError(NASError, ValueError):
    """A search-space YAML file is invalid (the message names the file and key path)."""


class ArchitectureError(NASError, ValueError):
    """An architecture is malformed, or cannot be built for the given input."""


class DataError(NASError, ValueError):
    """A dataset name is unknown or a data file is malformed."""


class RecipeError(NASError, ValueError):
    """A study recipe YAML file is invalid (the message names the file and key path)."""


class StorageError(NASError, RuntimeError):
    """The study store cannot be opened or does not hold the requested study."""


class ExportError(NASError, RuntimeError):
    """A trial cannot be exported (no weights, failed parity check, bad selection)."""


class TrainingError(NASError, RuntimeError):
    """Training could not run or produced unusable numbers (NaN or inf loss)."""
