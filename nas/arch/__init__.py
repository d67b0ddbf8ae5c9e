"""Architectures: frozen, versioned, JSON round-trippable descriptions of one network."""

from nas.arch._architecture import FORMAT, STAGE_NAME, VERSION, Architecture, Block, Stage

__all__ = ["FORMAT", "STAGE_NAME", "VERSION", "Architecture", "Block", "Stage"]
