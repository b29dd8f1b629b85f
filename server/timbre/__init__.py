"""Timbre transfer with RAVE / nn~ TorchScript models: loading, offline, streaming, builtin models.

Heavy imports (torch) happen inside the submodules' functions; import what you need, e.g.
``from server.timbre.model import NNModel``, ``from server.timbre.transfer import transfer``,
``from server.timbre.stream import StreamingTimbre``.
"""
