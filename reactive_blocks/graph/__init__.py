"""Graph: which listeners fire on which events, computed once at launch."""

from reactive_blocks.graph._graph import Graph

__all__ = ["Graph"]
