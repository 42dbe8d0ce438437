"""Imported once by the render forkserver (see ``warm``): what every render worker and kernel needs.

The HTML exporter is built and run once on an empty page, so its templates are compiled here.
jsonschema is told ``rfc3987_syntax`` is absent first (the IRI grammar it would build costs about
1 s and no report uses it), as the renderer and the report kernels do.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

import altair  # noqa: E402, F401
import duckdb  # noqa: E402, F401
import ipykernel.ipkernel  # noqa: E402
import ipykernel.kernelapp  # noqa: E402, F401
import jupytext  # noqa: E402, F401
import nbconvert  # noqa: E402, F401
import nbformat  # noqa: E402, F401
import numpy  # noqa: E402, F401
import papermill  # noqa: E402, F401
import polars  # noqa: E402, F401

from hbmcycle.reports import render  # noqa: E402

render.warm_exporter()  # compiled page templates and CSS selectors, inherited by every worker
