"""Customers (R-01 … R-09): RFM tables from transactions, on any data frame or on records.

``rfm_table`` aggregates transactions per customer on the frame's own engine (pandas, polars,
pyarrow, DuckDB, Dask, PySpark, through narwhals) or, for an iterable of records, in Python.
See ``docs/customers.md``.
"""

from servicekit.customers._rfm_table import RFM_COLUMNS, CustomerRfm, rfm_table

__all__ = ["RFM_COLUMNS", "CustomerRfm", "rfm_table"]
