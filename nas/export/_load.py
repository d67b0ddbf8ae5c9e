"""``nas.load``: rebuild an exported model from its bundle folder, trusting nothing in it.

A bundle may come from anywhere. Every file is checked before it is used and every way it
can be malformed (missing or unreadable files, broken or deeply nested JSON, wrong types,
an architecture that breaks the space loader's rules, weights of another shape, a corrupt
safetensors file) is one :class:`ExportError` naming the file. The model is sized on the
meta device before any weight is allocated, against ``max_params`` and the memory left.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nas.arch import Architecture
from nas.base import ExportError, NASError, exception_line, load_plugins
from nas.export._bundle import ARCHITECTURES_FILE, BUNDLE_FORMAT, BUNDLE_VERSION, BundleInfo

if TYPE_CHECKING:
    from nas.builder import NASNet

MAX_JSON_BYTES = 10 * 2**20  # bundle.json and architecture.json are a few KB
TASKS = ("classification", "regression")


def load(directory: str | Path, *, max_params: int | None = None) -> NASNet:
    """Rebuild an exported model (eval mode) from a bundle folder.

    Args:
        directory: the folder ``nas export --out`` wrote.
        max_params: refuse architectures with more parameters (default
            ``nas.builder.MAX_PARAMS``, 100 million); None for the default.

    Raises:
        ExportError: the bundle is malformed (naming the file and what is wrong), or its
            model is larger than ``max_params`` or than the memory left.

    Example::

        model = nas.load("best/")
        logits = model(torch.zeros(1, *model.report.input_shape))
    """
    from nas.builder import MAX_PARAMS, MemoryEstimate, build_model, check_fits, make_ensemble

    folder = Path(directory)
    if not folder.is_dir():
        raise ExportError(f"{folder}: not a nas bundle (no such folder)")
    info = _bundle_info(folder / "bundle.json")
    where = folder / "bundle.json"
    with _reading(where, "plugins"):
        path = Path(info.plugin_path) if info.plugin_path else None
        load_plugins(
            info.plugins,
            where=f"{where}: plugins",
            search_path=path if path is not None and path.is_dir() else None,
        )
    arch_file = folder / "architecture.json"
    with _reading(arch_file, "architecture"):
        arch = Architecture.from_dict(_json(arch_file), str(arch_file))
    archs = _member_architectures(folder, info, arch)  # one per network of the model
    shape = tuple(info.input_shape)

    def build(member: Architecture) -> NASNet:
        return build_model(
            member,
            shape,
            info.num_outputs,
            preprocessing=info.preprocessing,
            raw_inputs=info.raw_inputs,
        )

    def assemble() -> NASNet:
        networks = [build(member) for member in archs]
        if not info.ensemble:
            return networks[0]
        return make_ensemble(networks, info.task, info.member_weights)  # type: ignore[return-value]

    import torch

    with _reading(arch_file, "sizing the model"), torch.device("meta"):  # shapes, no memory
        sized = assemble()
    networks = list(sized.members) if info.ensemble else [sized]  # type: ignore[arg-type]
    estimates = [MemoryEstimate.of(network.report) for network in networks]  # type: ignore[arg-type]
    n_params = sum(e.n_params for e in estimates)
    limit = MAX_PARAMS if max_params is None else max_params
    if n_params > limit:
        raise ExportError(
            f"{arch_file}: {n_params:,} parameters, more than the {limit:,} "
            "allowed; pass max_params= to nas.load if you trust this bundle"
        )
    weights = folder / "weights.safetensors"
    _check_weights(weights, {name: tuple(t.shape) for name, t in sized.state_dict().items()})
    try:
        needed = sum(e.inference_bytes() for e in estimates)
        check_fits(estimates[0], needed, str(arch_file), "loading")
    except NASError as exc:
        raise ExportError(str(exc)) from None
    with _reading(arch_file, f"building it for input {shape}"):
        model = assemble()
    with _reading(weights, "weights"):
        from safetensors.torch import load_file

        model.load_state_dict(load_file(str(weights)))
    return model.eval()


def _member_architectures(folder: Path, info: BundleInfo, arch: Architecture) -> list[Architecture]:
    """The architecture of each network in the bundle's model: ``arch`` alone, the
    ensemble's members all of ``arch``, or (an ensemble of several trials) each member's
    entry of ``architectures.json``."""
    where = folder / "bundle.json"
    members = info.ensemble
    if info.member_weights is not None and len(info.member_weights) != members:
        raise ExportError(
            f"{where}: member_weights: {len(info.member_weights)} weights for {members} members"
        )
    if info.member_architectures is None:
        return [arch] * max(1, members)
    if len(info.member_architectures) != members:
        raise ExportError(
            f"{where}: member_architectures: {len(info.member_architectures)} entries for "
            f"{members} members"
        )
    path = folder / ARCHITECTURES_FILE
    with _reading(path, "architectures"):
        stored = _json(path)
        if not isinstance(stored, list) or not stored:
            raise ExportError(f"{path}: expected a non-empty list of architectures")
        known = [Architecture.from_dict(a, f"{path}[{i}]") for i, a in enumerate(stored)]
    for index in info.member_architectures:
        if index >= len(known):
            raise ExportError(
                f"{where}: member_architectures: index {index}, but {path.name} holds {len(known)}"
            )
    return [known[index] for index in info.member_architectures]


def _bundle_info(path: Path) -> BundleInfo:
    with _reading(path, "bundle"):
        stored = _json(path)
    if not isinstance(stored, dict):
        raise ExportError(f"{path}: expected a JSON object, got {type(stored).__name__}")
    if stored.get("format") != BUNDLE_FORMAT or not _is_int(stored.get("version")):
        raise ExportError(f"{path}: not a nas bundle (format {stored.get('format')!r})")
    if stored["version"] > BUNDLE_VERSION:
        raise ExportError(
            f"{path}: bundle format v{stored['version']} is newer than this nas reads "
            f"(v{BUNDLE_VERSION}); upgrade nas"
        )
    for key, ok, expected in _CHECKS:
        if key in stored and not ok(stored[key]):
            raise ExportError(f"{path}: {key}: expected {expected}, got {stored[key]!r:.80}")
    missing = [k for k in ("input_shape", "num_outputs", "task") if k not in stored]
    if missing:
        raise ExportError(f"{path}: {missing[0]}: missing")
    fields = BundleInfo.__dataclass_fields__
    known = {k: v for k, v in stored.items() if k in fields}
    defaults = {"data": "", "metrics": {}, "test_metrics": {}, "n_params": 0, "flops": 0,
                "latency_ms": 0.0, "source": {}}  # fmt: skip
    return BundleInfo(**{**defaults, **known})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_CHECKS: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
    ("input_shape", lambda v: isinstance(v, list) and 2 <= len(v) <= 3
     and all(_is_int(d) and 0 < d <= 2**20 for d in v), "2 or 3 positive sizes"),
    ("num_outputs", lambda v: _is_int(v) and 0 < v <= 10**6, "a positive number of outputs"),
    ("task", lambda v: v in TASKS, " or ".join(TASKS)),
    ("ensemble", lambda v: _is_int(v) and 0 <= v <= 64, "0 (one model) to 64 members"),
    ("member_weights", lambda v: v is None or (isinstance(v, list) and all(
     isinstance(w, int | float) and not isinstance(w, bool) and 0 <= w <= 1 for w in v)),
     "null or a list of weights in [0, 1]"),
    ("member_architectures", lambda v: v is None or (isinstance(v, list) and all(
     _is_int(i) and 0 <= i < 64 for i in v)), "null or a list of architecture indices"),
    ("preprocessing", lambda v: isinstance(v, dict), "a mapping"),
    ("raw_inputs", lambda v: isinstance(v, bool), "true or false"),
    ("plugins", lambda v: isinstance(v, list) and all(isinstance(p, str) for p in v),
     "a list of module names"),
    ("plugin_path", lambda v: v is None or isinstance(v, str), "a folder or null"),
    ("classes", lambda v: v is None or (isinstance(v, list)
     and all(isinstance(c, str) for c in v)), "a list of class names"),
)  # fmt: skip


def _json(path: Path) -> Any:
    """A JSON file's content, refusing files too large to be a bundle's."""
    if not path.is_file():
        raise ExportError(f"{path}: missing; not a nas bundle, or an incomplete one")
    if path.stat().st_size > MAX_JSON_BYTES:
        raise ExportError(f"{path}: {path.stat().st_size:,} bytes, too large for a bundle file")
    return json.loads(path.read_bytes())


def _check_weights(path: Path, expected: dict[str, tuple[int, ...]]) -> None:
    """Compare the weight file's header with the architecture before loading any tensor."""
    from safetensors import safe_open

    with _reading(path, "weights"):
        if not path.is_file():
            raise ExportError(f"{path}: missing; not a nas bundle, or an incomplete one")
        with safe_open(str(path), framework="pt") as stored:
            found = {name: tuple(stored.get_slice(name).get_shape()) for name in stored.keys()}  # noqa: SIM118
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    if missing or unexpected:
        what = f"missing {missing[0]}" if missing else f"unexpected {unexpected[0]}"
        raise ExportError(
            f"{path}: the weights do not match architecture.json ({what}; "
            f"{len(missing)} missing, {len(unexpected)} unexpected)"
        )
    for name, shape in found.items():
        if shape != expected[name]:
            raise ExportError(
                f"{path}: {name} has shape {shape}, architecture.json needs {expected[name]}"
            )


@contextmanager
def _reading(path: Path, what: str) -> Iterator[None]:
    """Turn anything that goes wrong while reading ``path`` into one ExportError."""
    try:
        yield
    except ExportError:
        raise
    except NASError as exc:
        raise ExportError(f"{exc}" if str(path) in str(exc) else f"{path}: {exc}") from None
    except RecursionError:
        raise ExportError(f"{path}: nested too deeply to be a {what} file") from None
    except (Exception, MemoryError) as exc:
        raise ExportError(f"{path}: cannot read the {what} ({exception_line(exc)})") from None
