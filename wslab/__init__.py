"""wslab: the WebSocket protocol (RFC 6455) and Socket.IO's event model, step by step.

The protocol core (`handshake`, `frames`, `masking`, `connection`, `errors`) is
sans-I/O: bytes in, events and bytes out. ARCHITECTURE.md, at the root of the
repository, gives the layers, what each may import, and where a new feature goes.
"""

__version__ = "0.1.0"
