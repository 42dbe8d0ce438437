"""Testing the thesis "token throughput = HBM size x HBM bandwidth".

The seed argument: throughput = batch x per-request speed; batch is bounded by HBM capacity
(each request's KV cache lives in HBM), speed by HBM bandwidth; hence T ~ S x BW. This
module assembles the evidence: the seed's chart with three throughput series of stated
provenance (vendor claims, MLPerf measurements, the inference model), closed forms checked
against the engine, elasticity regressions, natural experiments, sensitivities and computed
verdicts.

First principles (decode, one accelerator, memory-bound; W = weight bytes read per step,
kv = KV bytes per sequence = L * k, C' = C (1 - r) usable capacity, W_tot = all weight bytes):

    step time          t(B) = W / BW + B kv / BW                       [s]
    largest batch      B*   = (C' - W_tot) / kv                         [sequences]
    at the max batch   T*   = B* / t(B*) = BW (C' - W_tot) / (kv C')    (dense: W = W_tot)
    at speed s         B(s) = (BW / s - W) / kv,   T(s) = s B(s) = (BW - s W) / kv

So at the largest batch throughput is linear in BW and depends on capacity only through
(1 - W_tot / C'): its capacity elasticity is W_tot / (C' - W_tot), equal to 1 only when
the weights take half the usable memory, and falling towards 0 as capacity grows. At a
fixed per-user speed throughput does not depend on capacity at all unless B* < B(s).
Compute takes over when B (2 N_active + a_attn L) / P exceeds the memory time. The engine
(:mod:`hbmcycle.inference.step_time`) adds calibrated efficiencies and overheads; the
closed forms here carry the same terms so they can be checked against it exactly.

Everything is a pure function of frames or arrays; :data:`TABLES` names the tables it reads.

Modules, in reading order: ``settings`` (line-up and thresholds), ``claims`` (vendor
ratios), ``measured`` (MLPerf), ``closed_form``, ``evidence`` (series, regressions,
natural experiments), ``experiments`` (sensitivity, regime map, software, seed example),
``subclaims`` (verdicts and headline) and ``analysis`` (runs everything). Engine queries shared with other analyses
(operating points, local elasticities) live in :mod:`hbmcycle.inference.operating`.
"""

from hbmcycle.thesis.analysis import TABLES, analyse
from hbmcycle.thesis.config import Analysis, Config
from hbmcycle.thesis.subclaims import headline, thesis_regime_share, verdicts

__all__ = ["TABLES", "Analysis", "Config", "analyse", "headline", "thesis_regime_share", "verdicts"]
