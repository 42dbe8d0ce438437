"""Heterogeneous inference: stages, attention-FFN disaggregation, SRAM chips, speculative decoding.

Modules: ``stages`` (bytes, FLOPs and capacity of prefill / decode attention / decode FFN),
``disaggregation`` (serving options and their throughput/interactivity frontier),
``speculative`` (draft-and-verify speed-up), ``economics`` ($/Mtok, tokens/s/MW, the SRAM
capacity wall), ``claims`` (verdicts on the seed posts' figures), ``cli``.
Built on :mod:`hbmcycle.inference`, whose public functions it calls.
"""
