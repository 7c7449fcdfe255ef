"""yibao: medical-insurance (医保) settlement and audit for a pooling area.

The package is laid out as bounded contexts (``catalog``, ``policy``, ``settlement`` …), each with a
pure ``model`` and thin entry points around it; ``kernel`` holds what every context shares.
"""

__version__ = "0.1.0"
