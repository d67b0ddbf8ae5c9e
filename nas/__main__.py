"""``python -m nas``: the same as the ``nas`` command (used to spawn workers)."""

from nas.cli import main

main()
