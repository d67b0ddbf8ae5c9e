"""Layers that can write themselves as Python code, for the standalone ``model.py`` export.

Every module a block family builds is constructed through :func:`layer`, which records the
call. :func:`layer_code` turns a recorded module back into the expression that constructs
it: ``nn.Conv1d(1, 32, 5, stride=2)`` for torch's own layers, ``Residual(...)`` for a layer
class of nas or of a plugin, whose source :func:`custom_layer_classes` collects. So a new
block, activation or layer class exports without touching the exporter, and a module built
without :func:`layer` fails export loudly, naming itself::

    conv = layer(nn.Conv1d, 1, 32, 5, stride=2)
    layer_code(conv)  # "nn.Conv1d(1, 32, 5, stride=2)"
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from torch import nn

M = TypeVar("M")
_CALL = "_nas_call"  # instance attribute holding (args, kwargs) of the construction


def layer(cls: type[M], *args: Any, **kwargs: Any) -> M:
    """``cls(*args, **kwargs)``, remembering the call so export can write it as code."""
    module = cls(*args, **kwargs)
    module.__dict__[_CALL] = (args, kwargs)  # a plain attribute, not a submodule or buffer
    return module


def _is_torch_layer(cls: type) -> bool:
    from torch import nn

    return cls.__module__.startswith("torch.nn") and getattr(nn, cls.__name__, None) is cls


def _value_code(value: Any, indent: int) -> str:
    from torch import nn

    if isinstance(value, nn.Module):
        return layer_code(value, indent)
    if isinstance(value, list | tuple) and any(isinstance(v, nn.Module) for v in value):
        inner = ", ".join(_value_code(v, indent) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner},)"
    return repr(value)


def layer_code(module: nn.Module, indent: int = 8) -> str:
    """The Python expression that constructs a module like ``module`` (same structure and
    parameter names, fresh weights).

    Raises:
        TypeError: ``module`` was not built through :func:`layer`.
    """
    call = module.__dict__.get(_CALL)
    if call is None:
        raise TypeError(
            f"{type(module).__name__} was not built through nas.blocks.layer(), so export "
            "cannot write it as code; construct it with layer(cls, *args, **kwargs)"
        )
    args, kwargs = call
    cls = type(module)
    children = {id(child) for child in module.children()}
    if any(id(a) not in children for a in _modules_in((*args, *kwargs.values()))):
        raise TypeError(
            f"{cls.__name__}: a submodule was replaced after it was built through "
            "nas.blocks.layer(), so its recorded construction is stale; rebuild it with layer()"
        )
    name = f"nn.{cls.__name__}" if _is_torch_layer(cls) else cls.__name__
    parts = [_value_code(a, indent + 4) for a in args]
    parts += [f"{k}={_value_code(v, indent + 4)}" for k, v in kwargs.items()]
    text = f"{name}({', '.join(parts)})"
    if len(text) <= 80 and "\n" not in text:
        return text
    pad = " " * (indent + 4)
    return f"{name}(\n" + "".join(f"{pad}{p},\n" for p in parts) + " " * indent + ")"


def _modules_in(values: tuple[Any, ...]) -> Iterator[nn.Module]:
    from torch import nn

    for value in values:
        if isinstance(value, nn.Module):
            yield value
        elif isinstance(value, list | tuple):
            yield from _modules_in(tuple(value))


def custom_layer_classes(model: nn.Module) -> list[type]:
    """The layer classes in ``model`` that are not torch's own, in first-use order: their
    source goes into the standalone code (it may use ``torch`` and ``nn`` only)."""
    seen: dict[type, None] = {}
    for module in _recorded(model):
        cls = type(module)
        if not _is_torch_layer(cls):
            seen.setdefault(cls)
    return list(seen)


def _recorded(model: nn.Module) -> Iterator[nn.Module]:
    for module in model.modules():
        if _CALL in module.__dict__:
            yield module
