"""Reports: render the notebooks into self-contained offline HTML, with an index.

Modules: ``render`` (execute and export one report), ``run`` (plan, skip current, parallel),
``parameters`` (`-p` checked against the notebook), ``cache`` (fingerprints), ``provenance``,
``index`` (reports/index.html), ``mathml`` (formulas), and for notebooks ``summary`` (the
executive summary with verdict badges) and ``tables`` (the one table formatter).
Importing this package is cheap: kernels import ``summary`` and ``tables`` only.
"""
