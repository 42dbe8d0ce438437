"""Measure LLM decode step and prefill time on a real GPU, as calibration rows for the inference model.

Runs on a machine with PyTorch and a CUDA GPU (not a project dependency: the project's
own environment never imports this file). For each model shape (read from
data/raw/llm_models.csv) and each (batch, context) pair it builds one decode step of a
Llama-style decoder with random bf16 weights — every layer's weights distinct in memory,
a KV cache of `context` positions per sequence, GQA attention through PyTorch's SDPA,
RMSNorm, SwiGLU FFN and the LM head — captures it in a CUDA graph (so Python and launch
overheads are those of a graph-replaying engine) and times replays with CUDA events.

Decode time does not depend on weight values, so random weights measure the same bytes
and FLOPs as the real checkpoint. What this does NOT include: sampling, scheduling,
paged-KV indirection, tensor parallelism, quantised kernels — it is an optimised
single-GPU lower bound for a bf16 engine.

With --prefill it instead times the prefill of one prompt of L tokens (causal attention
over the prompt, then the LM head for the last position): the time to first token of a
single request, the compute-bound phase.

Output (to --out): decode_measurements rows (CSV, the table's columns minus provenance,
which the importer adds) and a JSON log with the device, versions and every timing.

    python3 benchmarks/gpu/decode_harness.py --out $OUT [--smoke]
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

REPO = Path(__file__).resolve().parents[2]

# (model_id, [(batch, context), ...]) chosen so weights + KV fit in 80 GB.
PLAN = {
    "llama-3.1-8b": [
        (1, 1024),
        (1, 8192),
        (1, 32768),
        (8, 1024),
        (8, 8192),
        (32, 1024),
        (32, 4096),
        (64, 2048),
        (128, 1024),
        (256, 512),
        (16, 16384),
    ],
    "qwen2.5-14b": [(1, 1024), (1, 8192), (8, 4096), (16, 4096), (64, 2048), (128, 1024)],
}
SMOKE_PLAN = {"llama-3.1-8b": [(1, 64), (4, 32)]}
PREFILL_PLAN = {"llama-3.1-8b": [512, 2048, 8192, 32768], "qwen2.5-14b": [512, 2048, 8192, 32768]}
SMOKE_PREFILL_PLAN = {"llama-3.1-8b": [16, 64]}
# Fused kernels only: the math fallback would materialise the L x L scores (and be timed).
PREFILL_KERNELS = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION]


def load_shape(model_id: str, layers_override: int | None = None) -> dict:
    with (REPO / "data" / "raw" / "llm_models.csv").open(encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["model_id"] == model_id)
    heads = int(row["attention_heads"])
    hidden = int(row["hidden_size"])
    return {
        "layers": layers_override or int(row["layers"]),
        "hidden": hidden,
        "heads": heads,
        "kv_heads": int(row["kv_heads"]),
        "head_dim": int(row["head_dim"] or hidden // heads),
        "ffn": int(row["ffn_size"]),
        "vocab": int(row["vocab_size"]),
    }


class DecodeStep:
    """One decode step of a dense GQA decoder over a static KV cache."""

    def __init__(self, shape: dict, batch: int, context: int, device: str, dtype=torch.bfloat16, small: bool = False):
        s = shape
        scale = 0.02
        new = lambda *dims: torch.randn(*dims, device=device, dtype=dtype) * scale
        qkv_out = (s["heads"] + 2 * s["kv_heads"]) * s["head_dim"]
        if small:  # smoke test on CPU: shrink widths, keep the structure
            s = {**s, "hidden": 64, "heads": 4, "kv_heads": 2, "head_dim": 16, "ffn": 128, "vocab": 256}
            qkv_out = (s["heads"] + 2 * s["kv_heads"]) * s["head_dim"]
        self.s, self.batch, self.context = s, batch, context
        self.w_qkv = [new(s["hidden"], qkv_out) for _ in range(s["layers"])]
        self.w_o = [new(s["heads"] * s["head_dim"], s["hidden"]) for _ in range(s["layers"])]
        self.w_gate_up = [new(s["hidden"], 2 * s["ffn"]) for _ in range(s["layers"])]
        self.w_down = [new(s["ffn"], s["hidden"]) for _ in range(s["layers"])]
        self.norm = torch.ones(s["hidden"], device=device, dtype=dtype)
        self.lm_head = new(s["hidden"], s["vocab"])
        cache = (s["layers"], batch, s["kv_heads"], context, s["head_dim"])
        self.k_cache = torch.randn(*cache, device=device, dtype=dtype)
        self.v_cache = torch.randn(*cache, device=device, dtype=dtype)
        self.x = torch.randn(batch, s["hidden"], device=device, dtype=dtype)
        self.position = context - 1  # the new token's slot in the static cache

    def weight_bytes(self) -> int:
        tensors = [*self.w_qkv, *self.w_o, *self.w_gate_up, *self.w_down, self.lm_head]
        return sum(t.numel() * t.element_size() for t in tensors)

    def kv_bytes(self) -> int:
        return 2 * self.k_cache.numel() * self.k_cache.element_size()

    def prefill(self, prompt: torch.Tensor) -> torch.Tensor:
        """Forward one prompt (tokens x hidden) with causal attention; logits of its last token."""
        s = self.s
        hd, nh, nkv, n = s["head_dim"], s["heads"], s["kv_heads"], prompt.shape[0]
        x = prompt
        for layer in range(s["layers"]):
            h = F.rms_norm(x, (s["hidden"],), self.norm)
            q, k, v = (h @ self.w_qkv[layer]).split([nh * hd, nkv * hd, nkv * hd], dim=-1)
            # Repeat KV heads explicitly: SDPA's enable_gqa path falls back to the math kernel,
            # which materialises the L x L score matrix; flash attention needs equal head counts.
            heads_first = lambda t, count: t.view(1, n, count, hd).transpose(1, 2)
            k_full = heads_first(k, nkv).repeat_interleave(nh // nkv, dim=1)
            v_full = heads_first(v, nkv).repeat_interleave(nh // nkv, dim=1)
            with sdpa_kernel(PREFILL_KERNELS if x.is_cuda else [SDPBackend.MATH]):
                attn = F.scaled_dot_product_attention(heads_first(q, nh), k_full, v_full, is_causal=True)
            x = x + attn.transpose(1, 2).reshape(n, nh * hd) @ self.w_o[layer]
            gate, up = (F.rms_norm(x, (s["hidden"],), self.norm) @ self.w_gate_up[layer]).chunk(2, dim=-1)
            x = x + (F.silu(gate) * up) @ self.w_down[layer]
        return F.rms_norm(x[-1:], (s["hidden"],), self.norm) @ self.lm_head

    def __call__(self) -> torch.Tensor:
        s, b = self.s, self.batch
        hd, nh, nkv = s["head_dim"], s["heads"], s["kv_heads"]
        x = self.x
        for layer in range(s["layers"]):
            h = F.rms_norm(x, (s["hidden"],), self.norm)
            q, k, v = (h @ self.w_qkv[layer]).split([nh * hd, nkv * hd, nkv * hd], dim=-1)
            self.k_cache[layer, :, :, self.position] = k.view(b, nkv, hd)
            self.v_cache[layer, :, :, self.position] = v.view(b, nkv, hd)
            attn = F.scaled_dot_product_attention(
                q.view(b, nh, 1, hd), self.k_cache[layer], self.v_cache[layer], enable_gqa=True
            )
            x = x + attn.reshape(b, nh * hd) @ self.w_o[layer]
            gate, up = (F.rms_norm(x, (s["hidden"],), self.norm) @ self.w_gate_up[layer]).chunk(2, dim=-1)
            x = x + (F.silu(gate) * up) @ self.w_down[layer]
        return F.rms_norm(x, (s["hidden"],), self.norm) @ self.lm_head


def time_prefill(step: DecodeStep, prompt_tokens: int, device: str, repeats: int) -> list[float]:
    """Milliseconds per prefill of one prompt, timed with CUDA events after warm-up."""
    prompt = torch.randn(prompt_tokens, step.s["hidden"], device=device, dtype=step.x.dtype)
    for _ in range(2):
        step.prefill(prompt)
    times = []
    for _ in range(repeats):
        if device == "cpu":
            t0 = time.perf_counter()
            step.prefill(prompt)
            times.append((time.perf_counter() - t0) * 1e3)
            continue
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        step.prefill(prompt)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return times


def time_step(step: DecodeStep, device: str, replays: int) -> list[float]:
    """Milliseconds per step: CUDA-graph replays timed with events (wall clock on CPU)."""
    if device == "cpu":
        times = []
        for _ in range(replays):
            t0 = time.perf_counter()
            step()
            times.append((time.perf_counter() - t0) * 1e3)
        return times
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):  # warm up kernels and autotuning outside the graph
            step()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    for _ in range(5):
        graph.replay()
    torch.cuda.synchronize()
    times = []
    for _ in range(replays):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return times


def copy_bandwidth_tb_s(device: str, gigabytes: float = 4.0) -> float | None:
    """Achievable HBM bandwidth: a device-to-device copy (bytes read + written)."""
    if device == "cpu":
        return None
    a = torch.empty(int(gigabytes * 1e9 / 2), dtype=torch.bfloat16, device=device)
    b = torch.empty_like(a)
    b.copy_(a)
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(10):
        b.copy_(a)
    end.record()
    end.synchronize()
    seconds = start.elapsed_time(end) / 1e3 / 10
    return 2 * a.numel() * a.element_size() / seconds / 1e12


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--smoke", action="store_true", help="tiny CPU run to check the code path")
    parser.add_argument("--replays", type=int, default=30)
    parser.add_argument("--prefill", action="store_true", help="time prompt prefill (TTFT) instead of decode steps")
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() and not args.smoke else "cpu"
    args.out.mkdir(parents=True, exist_ok=True)
    plan = SMOKE_PLAN if args.smoke else PLAN
    if args.prefill:
        plan = {
            m: [(1, n) for n in lengths] for m, lengths in (SMOKE_PREFILL_PLAN if args.smoke else PREFILL_PLAN).items()
        }
    log = {
        "device": torch.cuda.get_device_name() if device == "cuda" else platform.processor() or "cpu",
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "copy_bandwidth_tb_s": copy_bandwidth_tb_s(device),
        "runs": [],
    }
    print(json.dumps({k: v for k, v in log.items() if k != "runs"}), flush=True)
    rows = []
    for model_id, points in plan.items():
        shape = load_shape(model_id, layers_override=2 if args.smoke else None)
        for batch, context in points:
            # Prefill needs no KV cache of its own here: a 1-position cache keeps memory free.
            step = DecodeStep(shape, batch, 1 if args.prefill else context, device, small=args.smoke)
            with torch.no_grad():
                times = (
                    time_prefill(step, context, device, args.replays // 3)
                    if args.prefill
                    else time_step(step, device, args.replays)
                )
            median = statistics.median(times)
            run = {
                "model_id": model_id,
                "batch": batch,
                "context": context,
                "median_ms": median,
                "min_ms": min(times),
                "max_ms": max(times),
                "weight_gb": step.weight_bytes() / 1e9,
                "kv_gb": step.kv_bytes() / 1e9,
                "effective_tb_s": (step.weight_bytes() + step.kv_bytes()) / (median / 1e3) / 1e12,
            }
            log["runs"].append(run)
            print(json.dumps(run), flush=True)
            if args.prefill:
                rows.append(
                    {
                        "measurement_id": f"harness_h100_{model_id.replace('.', '')}_ttft_l{context}",
                        "model_id": model_id,
                        "batch_size": 1,
                        "input_tokens": context,
                        "output_tokens": 1,
                        "metric": "ttft",
                        "tokens_per_s": "",
                        "ttft_ms": round(median, 4),
                    }
                )
            else:
                rows.append(
                    {
                        "measurement_id": f"harness_h100_{model_id.replace('.', '')}_b{batch}_l{context}",
                        "model_id": model_id,
                        "batch_size": batch,
                        "input_tokens": context - 1,
                        "output_tokens": 2,
                        "metric": "per_user",
                        "tokens_per_s": round(1e3 / median, 3),
                        "ttft_ms": "",
                    }
                )
            del step
            if device == "cuda":
                torch.cuda.empty_cache()
    suffix = "_prefill" if args.prefill else ""
    (args.out / f"harness_log{suffix}.json").write_text(json.dumps(log, indent=2))
    with (args.out / f"harness_rows{suffix}.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
