"""ONNX-backed DuckDB functions (cai_score, cai_explain) and their registration.

Installed as ``cai_sql.udfs``. The functions arrive with the scoring work; this package is
already part of the wheel so that its layout is fixed from the start.
"""
