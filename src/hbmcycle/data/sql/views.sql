-- Documented views built on top of the raw tables. Each block starts with
-- `-- view: NAME`, `-- needs: TABLE[, TABLE]` and `-- about: ...` lines; the build
-- creates a view only when the tables it needs exist.

-- view: accelerator_metrics
-- needs: accelerators
-- about: Per-accelerator memory metrics: the seed thesis's HBM size x bandwidth (GiB*TB/s), bytes of memory bandwidth per dense FLOP (bytes/FLOP, BF16 and FP8), capacity per bandwidth (s to read all memory once), GiB per dollar.
CREATE VIEW accelerator_metrics AS
SELECT
    accelerator_id,
    vendor,
    product,
    ship_year,
    status,
    memory_type,
    memory_gib,
    memory_bw_tb_s,
    hbm_stacks,
    memory_gib * memory_bw_tb_s AS hbm_size_x_bw_gib_tb_s,
    memory_bw_tb_s / NULLIF(bf16_dense_tflops, 0) AS bytes_per_flop_bf16,
    memory_bw_tb_s / NULLIF(fp8_dense_tflops, 0) AS bytes_per_flop_fp8,
    memory_gib * 1073741824 / NULLIF(memory_bw_tb_s * 1e12, 0) AS full_memory_read_s,
    memory_gib / NULLIF(price_usd, 0) AS gib_per_usd,
    bf16_dense_tflops,
    fp8_dense_tflops,
    fp4_dense_tflops,
    tdp_w,
    source,
    as_of,
    confidence
FROM accelerators;

-- view: sources
-- needs: _sources
-- about: Every cited source with the tables that cite it.
CREATE VIEW sources AS
SELECT id, producer, title, url, accessed, licence, string_agg(DISTINCT table_name, ', ' ORDER BY table_name) AS cited_by
FROM _sources
GROUP BY ALL;
