"""An architecture diagram (PNG) drawn with matplotlib: one box per layer, top to bottom."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nas.builder import ModelReport

_COLOURS = {  # layer kind (from its name) -> box colour
    "conv": "#cfe2f3",
    "residual": "#d9ead3",
    "recurrent": "#fff2cc",
    "dense": "#f4cccc",
    "readout": "#e6e6e6",
    "output": "#d9d2e9",
}


def _colour(name: str) -> str:
    return next((c for kind, c in _COLOURS.items() if kind in name), "#eeeeee")


def draw_architecture(report: ModelReport, title: str, path: Path) -> Path:
    """Write the diagram of ``report`` to ``path`` (PNG) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [
        ("input", report.input_shape, None),
        *((layer.name, layer.out_shape, layer.params) for layer in report.layers),
    ]
    fig_height = 0.55 * len(rows) + 0.9
    fig, ax = plt.subplots(figsize=(6.4, fig_height))
    ax.set_xlim(0, 1)
    ax.set_ylim(-len(rows) + 0.3, 1.0)
    ax.axis("off")
    ax.set_title(title, fontsize=9, loc="left")
    for i, (name, shape, params) in enumerate(rows):
        y = -i
        ax.add_patch(
            plt.Rectangle(
                (0.05, y - 0.35),
                0.9,
                0.6,
                facecolor=_colour(name),
                edgecolor="#555555",
                linewidth=0.8,
            )
        )
        shape_text = "×".join(str(s) for s in shape)
        extra = f"   {params:,} params" if params else ""
        ax.text(0.08, y - 0.05, name, fontsize=8, va="center", weight="bold")
        ax.text(0.92, y - 0.05, f"{shape_text}{extra}", fontsize=8, va="center", ha="right")
        if i:
            ax.annotate(
                "",
                xy=(0.5, y + 0.25),
                xytext=(0.5, y + 0.65),
                arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 0.8},
            )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
