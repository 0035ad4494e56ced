"""Model integrity: what scores is exactly what was hashed at registration, or nothing scores."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import onnxruntime as ort
import pytest

import cai_sql
from cai_sql import integrity
from cai_sql.export import INPUT_NAME

from .conftest import rows, run_cai
from .test_scoring import DATE, scored_db  # noqa: F401  (the module's trained models: trees v1, linear v2)

MODEL = "purchase_30d"


@pytest.fixture
def icon(scored_db, tmp_path):  # noqa: F811
    import shutil

    shutil.copy(scored_db, tmp_path / "i.duckdb")
    con = cai_sql.connect(tmp_path / "i.duckdb")
    yield con
    con.close()


def _no_scores(con) -> bool:
    return not rows(con, "SELECT 1 FROM information_schema.tables WHERE table_name = 'cai_scores'") or \
        rows(con, "SELECT count(*) FROM cai_scores")[0][0] == 0


# (version, UPDATE statement, what the error names). Each changes one part the way someone editing the row would.
TAMPERING = {
    "bias": (1, "UPDATE cai_models SET explainer_bias = explainer_bias + 5 WHERE version = 1", "the reason-code bias"),
    "onnx and its sha256": (1, "UPDATE cai_models AS m SET onnx = o.onnx, sha256 = o.sha256 FROM cai_models AS o "
                               "WHERE m.version = 1 AND o.version = 2", "the ONNX model (its bytes)"),
    "explainer and its sha256": (1, "UPDATE cai_models AS m SET explainer = o.explainer, explainer_sha256 = o.explainer_sha256 "
                                    "FROM cai_models AS o WHERE m.version = 1 AND o.version = 2", "the reason-code graph (its bytes)"),
    "feature description": (1, "UPDATE cai_models SET features = replace(features::VARCHAR, 'Purchase', 'Refund')::JSON "
                               "WHERE version = 1", "the feature list and descriptions"),
    "spec": (1, "UPDATE cai_models SET spec = replace(spec::VARCHAR, '30', '31')::JSON WHERE version = 1",
             "the spec (goal, eligibility, features)"),
    "linear terms": (2, "UPDATE cai_models SET linear_terms = json_merge_patch(linear_terms, '{\"intercept\": 3.0}') "
                        "WHERE version = 2", "the linear terms"),
    "score scale": (1, "UPDATE cai_models SET score_scale = list_transform(score_scale, lambda x: x / 2) WHERE version = 1",
                    "the score scale"),
    "macros text": (1, "UPDATE cai_models SET macros = json_merge_patch(macros, "
                       "'{\"_cai_feature_rows_purchase_30d_v1\": \"CREATE OR REPLACE MACRO x() AS 1\"}') WHERE version = 1",
                    "the SQL macros' text"),
    "parity rows": (1, "UPDATE cai_models SET probe = replace(probe::VARCHAR, '0.', '0.9')::JSON WHERE version = 1",
                    "the parity rows"),
    "metrics (calibration)": (1, "UPDATE cai_models SET metrics = json_merge_patch(metrics, '{\"calibration\": []}') "
                                 "WHERE version = 1", "the metrics (calibration"),
    "identity": (1, "UPDATE cai_models SET model_type = 'churn' WHERE version = 1", "the name, version, type"),
    "hash list": (1, "UPDATE cai_models SET artifact_hashes = json_merge_patch(artifact_hashes, '{\"bias\": \"0\"}') "
                     "WHERE version = 1", "the reason-code bias"),
    "model_sha256": (1, "UPDATE cai_models SET model_sha256 = repeat('0', 64) WHERE version = 1", "model_sha256"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampering_with_any_part_is_refused_by_runs_and_functions(icon, case):
    version, statement, names = TAMPERING[case]
    icon.execute(statement)
    cai_sql.register_udfs(icon)
    with pytest.raises(cai_sql.IntegrityError, match=names.replace("(", r"\(").replace(")", r"\)")):
        cai_sql.score(icon, MODEL, as_of=DATE, version=version)
    assert _no_scores(icon)
    with pytest.raises(Exception, match="refusing to score"):
        icon.sql(f"SELECT cai_score('{MODEL}', f, {version}) FROM cai_features_{MODEL}_v{version}(DATE '{DATE}') AS f").fetchall()
    # the other version is untouched and still scores
    other = 2 if version == 1 else 1
    assert cai_sql.score(icon, MODEL, as_of=DATE, version=other).n_scored > 0


def test_the_parity_rows_catch_a_row_re_sealed_after_a_change(icon):
    """Whoever changes the bias and records new hashes for it still meets the parity rows."""
    icon.execute("UPDATE cai_models SET explainer_bias = explainer_bias + 0.5 WHERE version = 1")
    macros = json.loads(rows(icon, "SELECT macros FROM cai_models WHERE version = 1")[0][0])
    integrity.seal(icon, MODEL, 1, macros)
    cai_sql.register_udfs(icon)
    with pytest.raises(cai_sql.IntegrityError, match="reason-code graph gives probabilities .* away from those registered"):
        cai_sql.score(icon, MODEL, as_of=DATE, version=1)


@pytest.mark.parametrize("version", [1, 2])
def test_a_replaced_features_macro_is_refused_and_restored(icon, tmp_path, version):
    name = f"_cai_feature_rows_{MODEL}_v{version}"
    text = json.loads(rows(icon, "SELECT macros FROM cai_models WHERE version = $v", {"v": version})[0][0])[name]
    edited = re.sub(r"<= 7\b", "<= 6", text, count=1)  # someone's "fix": the 7-day windows now count 6 days
    assert edited != text
    icon.execute(edited)
    with pytest.raises(cai_sql.IntegrityError, match=f"the macro {name} differs from the SQL registered"):
        cai_sql.score(icon, MODEL, as_of=DATE, version=version)
    assert _no_scores(icon)
    icon.close()
    db = tmp_path / "i.duckdb"
    failed = run_cai("models", "verify", "--db", str(db), cwd=tmp_path)
    assert failed.returncode == 1 and "FAILED" in failed.stdout and failed.stderr.startswith("Error: 1 of 2 model versions")
    assert failed.stderr.count("\n") == 1
    restored = run_cai("models", "verify", "--restore", "--db", str(db), cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert f"restored {name}" in restored.stdout
    con = cai_sql.connect(db)
    try:
        assert cai_sql.score(con, MODEL, as_of=DATE, version=version).n_scored > 0
    finally:
        con.close()


def test_a_dropped_macro_is_named(icon):
    icon.execute(f"DROP MACRO TABLE cai_features_{MODEL}_v1")
    with pytest.raises(cai_sql.IntegrityError, match=f"cai_features_{MODEL}_v1 is missing"):
        cai_sql.score(icon, MODEL, as_of=DATE, version=1)


def test_verify_passes_on_an_untouched_registry(scored_db, tmp_path):  # noqa: F811
    result = run_cai("models", "verify", "--db", str(scored_db), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    hashes = dict(rows(cai_sql.connect(scored_db, read_only=True), "SELECT version, model_sha256 FROM cai_models"))
    assert result.stdout.splitlines() == [f"{MODEL} v{v}: ok, model sha256 {hashes[v]}" for v in (1, 2)]


def test_a_model_registered_before_hashing_is_refused(icon):
    icon.execute("UPDATE cai_models SET artifact_hashes = NULL, model_sha256 = NULL WHERE version = 1")
    cai_sql.register_udfs(icon)
    with pytest.raises(cai_sql.IntegrityError, match="registered before cai-sql hashed every artifact of a model; retrain"):
        cai_sql.score(icon, MODEL, as_of=DATE, version=1)


@pytest.mark.parametrize("version", [1, 2])
def test_a_runs_scores_come_from_the_registered_verified_bytes(icon, version):
    """Recompute a run's probabilities with onnxruntime straight from the registry's bytes, checked against the hashes."""
    run = cai_sql.score(icon, MODEL, as_of=DATE, version=version)
    row = integrity.read_row(icon, MODEL, version)
    assert hashlib.sha256(bytes(row["onnx"])).hexdigest() == row["sha256"]
    hashes = integrity.part_hashes(row)
    assert hashes == json.loads(row["artifact_hashes"]) and integrity.model_hash(hashes) == row["model_sha256"]
    assert rows(icon, "SELECT model_sha256 FROM cai_runs WHERE run_id = $r", {"r": run.run_id}) == [(row["model_sha256"],)]
    features = icon.sql(f"SELECT customer_id, feature_vector FROM cai_features_{MODEL}_v{version}(DATE '{DATE}') "
                        "ORDER BY customer_id").fetchall()
    X = np.array([v for _, v in features], dtype=np.float32)
    session = ort.InferenceSession(bytes(row["onnx"]), providers=["CPUExecutionProvider"])
    output = next(o.name for o in session.get_outputs() if len(o.shape) == 2)
    expected = session.run([output], {INPUT_NAME: X})[0][:, 1]
    got = dict(rows(icon, "SELECT customer_id, probability FROM cai_scores WHERE run_id = $r", {"r": run.run_id}))
    assert len(got) == len(features)
    assert np.max(np.abs(np.array([got[c] for c, _ in features]) - expected)) < 1e-6


def test_the_model_search_timing_is_not_hashed_so_the_same_training_gives_the_same_hash(icon):
    """Training twice on the same data gives the same model_sha256: only how long the search took differs."""
    row = integrity.read_row(icon, MODEL, 1)
    metrics = json.loads(row["metrics"]) if isinstance(row["metrics"], str) else dict(row["metrics"])
    assert "seconds" in metrics["model_search"]
    slower = {**row, "metrics": {**metrics, "model_search": {**metrics["model_search"], "seconds": 999.0}}}
    assert integrity.part_hashes(slower) == integrity.part_hashes(row)
    other = {**row, "metrics": {**metrics, "model_search": {**metrics["model_search"], "fit_rows": -1}}}
    assert integrity.part_hashes(other)["metrics"] != integrity.part_hashes(row)["metrics"]
