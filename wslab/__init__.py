"""wslab: the WebSocket protocol (RFC 6455) and Socket.IO's event model, step by step.

The protocol core (`handshake`, `frames`, `masking`, `connection`, `errors`) is
sans-I/O: bytes in, events and bytes out. See DESIGN in the repository for the layers.
"""

__version__ = "0.1.0"
