"""Architectures: frozen, versioned, JSON round-trippable descriptions of one network."""

from nas.arch._architecture import FORMAT, VERSION, Architecture, Block, Stage

__all__ = ["FORMAT", "VERSION", "Architecture", "Block", "Stage"]
