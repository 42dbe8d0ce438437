"""LLM inference performance model: bytes and FLOPs per step from architecture and specs, a
calibrated roofline for decode and prefill, tensor-parallel communication, the
throughput/latency frontier and serving economics.

Modules: ``precision`` (number formats), ``architecture`` (weights, KV cache, MoE experts),
``hardware`` (accelerator figures), ``parallel`` (communication), ``step_time`` (decode,
prefill), ``frontier`` (Pareto sweep), ``economics`` (tokens/s/MW, $/Mtok), ``calibration``
(fit and validation), ``catalog`` (tables and name lookup), ``cli``.
"""
