"""What scores is exactly what was registered: one hash over every artifact of a model version.

A model version is more than its ONNX bytes: the reason-code graph and its bias set every
probability a scoring run writes, the feature list and spec decide what the features macro
computes and what a reason code says, the score scale fixes scores and buckets, and the persisted
SQL macros compute the features in any client. Each part is hashed on its own (so a mismatch can be
named), and ``model_sha256`` is the sha256 of the list of part hashes (so the list itself cannot be
edited unnoticed). Scoring verifies it before it loads anything; docs/predictions.md (Model integrity) documents it.

A hash stored in the same row detects a part changed on its own, by accident or by hand; whoever can
rewrite every part and every hash can rewrite a model, as they could retrain one. Compare
``model_sha256`` with the value training printed (``cai models``) to rule that out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from .errors import CaiError
from .sqlfiles import sql_text

# The parts, in the order mismatches are reported, and what each covers (docs/predictions.md lists them too).
PARTS = {
    "onnx": "the ONNX model (its bytes)",
    "explainer": "the reason-code graph (its bytes)",
    "bias": "the reason-code bias",
    "features": "the feature list and descriptions",
    "spec": "the spec (goal, eligibility, features)",
    "linear_terms": "the linear terms of the SQL score macros",
    "score_scale": "the score scale (scores and buckets)",
    "macros": "the SQL macros' text",
    "probe": "the parity rows",
    "metrics": "the metrics (calibration, feature ranges)",
    "identity": "the name, version, type, algorithm and training dates",
}
PROBE_TOLERANCE = 1e-5  # what the ONNX export and the reason-code graph were checked to at training
PROBE_ROWS = 32


class IntegrityError(CaiError):
    """A registered model version no longer matches its hashes: it must not score anyone."""


def parity_rows(X, probabilities, n: int = PROBE_ROWS) -> dict:
    """The first ``n`` validation rows (float32 values, NULL for missing) and scikit-learn's probabilities for them:
    before a version scores, its ONNX model and its reason-code graph must both reproduce these."""
    import numpy as np  # training has it loaded already; listing models must not import it

    rows = np.asarray(X[:n], dtype=np.float32).astype(np.float64)
    return {"rows": [[None if np.isnan(v) else float(v) for v in row] for row in rows],
            "probabilities": [float(v) for v in probabilities[:n]]}


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_plain).encode()


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")


def _without_timings(metrics):
    """The metrics minus how long the model search took: a timing changes from run to run and sets no score, so
    leaving it in would give the same data and spec a different ``model_sha256`` on every training."""
    if not isinstance(metrics, dict) or not isinstance(metrics.get("model_search"), dict):
        return metrics
    return {**metrics, "model_search": {k: v for k, v in metrics["model_search"].items() if k != "seconds"}}


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def part_hashes(row: Mapping) -> dict[str, str]:
    """The sha256 of each part of one ``cai_models`` row (as ``sql/models/model_artifacts.sql`` reads it)."""
    floats = None if row["score_scale"] is None else [repr(float(v)) for v in row["score_scale"]]
    return {
        "onnx": _sha(bytes(row["onnx"])),
        "explainer": _sha(b"" if row["explainer"] is None else bytes(row["explainer"])),
        "bias": _sha(repr(None if row["explainer_bias"] is None else float(row["explainer_bias"])).encode()),
        "features": _sha(_canonical(_json(row["features"]))),
        "spec": _sha(_canonical(_json(row["spec"]))),
        "linear_terms": _sha(_canonical(_json(row["linear_terms"]))),
        "score_scale": _sha(_canonical(floats)),
        "macros": _sha(_canonical(_json(row["macros"]))),
        "probe": _sha(_canonical(_json(row["probe"]))),
        "metrics": _sha(_canonical(_without_timings(_json(row["metrics"])))),
        "identity": _sha(_canonical([row["model"], row["version"], row["model_type"], row["algorithm"],
                                     row["n_features"], list(row["training_cutoffs"]), row["validation_cutoff"]])),
    }


def model_hash(hashes: Mapping[str, str]) -> str:
    """``model_sha256``: the sha256 of the part hashes."""
    return _sha(_canonical(dict(hashes)))


def verify(row: Mapping) -> None:
    """Refuse a row whose parts, part hashes or recorded ONNX sha256 no longer agree, naming what differs."""
    label = f"{row['model']} v{row['version']}"
    if row["model_sha256"] is None:
        raise IntegrityError(f"{label} was registered before cai-sql hashed every artifact of a model; retrain it "
                             "with `cai train` to score with it")
    recorded = _json(row["artifact_hashes"]) or {}
    actual = part_hashes(row)
    changed = [PARTS[p] for p in PARTS if recorded.get(p) != actual[p]]
    if changed:
        raise IntegrityError(f"{label}: {', '.join(changed)} in cai_models no longer match{'es' if len(changed) == 1 else ''} "
                             "the hash recorded at training; the registry row was modified — refusing to score with "
                             "it; retrain the model")
    if model_hash(recorded) != row["model_sha256"]:
        raise IntegrityError(f"{label}: the artifact hashes in cai_models no longer match model_sha256; the registry "
                             "row was modified — refusing to score with it; retrain the model")
    if row["sha256"] != actual["onnx"]:
        raise IntegrityError(f"{label}: the ONNX model in cai_models does not match its recorded sha256 "
                             f"({actual['onnx'][:12]} ≠ {str(row['sha256'])[:12]}); refusing to score with it; retrain the model")


def seal(con: duckdb.DuckDBPyConnection, model: str, version: int, macros: Mapping[str, str]) -> str:
    """Record the macros' text and the hashes of a just-registered row (inside the registration transaction).

    The hashes are computed from the row as the database returns it, so verification reads exactly what was hashed.
    """
    con.execute(sql_text("store_model_macros"), {"model": model, "version": version, "macros": json.dumps(dict(macros))})
    row = read_row(con, model, version)
    hashes = part_hashes(row)
    digest = model_hash(hashes)
    con.execute(sql_text("seal_model"), {"model": model, "version": version, "hashes": json.dumps(hashes), "digest": digest})
    return digest


def read_rows(con: duckdb.DuckDBPyConnection, model: str | None = None, version: int | None = None) -> list[dict]:
    """Registry rows as ``part_hashes`` and ``verify`` take them (every model and version unless narrowed)."""
    relation = con.execute(sql_text("model_artifacts"), {"model": model, "version": version})
    names = [d[0] for d in relation.description]
    return [dict(zip(names, row)) for row in relation.fetchall()]


def read_row(con: duckdb.DuckDBPyConnection, model: str, version: int) -> dict:
    return read_rows(con, model, version)[0]


def _definitions(con: duckdb.DuckDBPyConnection, names: list[str], schema: str) -> dict[str, tuple]:
    rows = con.execute(sql_text("macro_definitions"), {"names": names, "database": schema}).fetchall()
    types = dict(con.execute(sql_text("type_aliases")).fetchall())
    return {name: (kind, tuple(parameters), _syntax_tree(con, kind, definition, types))
            for name, kind, parameters, definition in rows}


def _syntax_tree(con: duckdb.DuckDBPyConnection, kind: str, definition: str, types: dict[str, str]):
    """DuckDB's own parse of a macro body, without source positions and with type names resolved: a macro
    read back from the file spells some types otherwise (INT128 becomes HUGEINT), so the text alone, or the
    parse alone, would differ where nothing changed."""
    query = definition if kind == "table_macro" else f"SELECT {definition}"  # our own catalog's text, parsed, not run
    tree = json.loads(con.execute(sql_text("serialize_sql"), {"query": query}).fetchall()[0][0])
    return definition if tree.get("error") else json.dumps(_normalized(tree, types), sort_keys=True)


def _double_constant(node: dict) -> str | None:
    """A DOUBLE constant in either of its spellings, by value: DuckDB reads ``-0.5e0`` as a DOUBLE, and the same
    macro read back from a file prints it ``CAST(-0.5 AS DOUBLE)`` (tree models' macros write their thresholds
    and leaf values so, see cai_sql.tree_sql)."""
    literal = node.get("literal") if node.get("class") == "CONSTANT" else None
    if isinstance(literal, dict) and literal.get("kind") == "NUMERIC" and "e" in str(literal.get("text", "")).lower():
        return repr(float(literal["text"]))
    if node.get("class") == "CAST" and node.get("try_cast") is False \
            and str((node.get("type_expr") or {}).get("type_name", "")).upper() == "DOUBLE":
        child = node.get("child") if isinstance(node.get("child"), dict) else {}
        literal = child.get("literal") if child.get("class") == "CONSTANT" else None
        if isinstance(literal, dict) and literal.get("kind") == "NUMERIC":
            return repr(float(literal["text"]))
    return None


def _normalized(node, types: dict[str, str]):
    if isinstance(node, list):
        return [_normalized(v, types) for v in node]
    if not isinstance(node, dict):
        return node
    double = _double_constant(node)
    if double is not None:
        return {"double_constant": double, "alias": node.get("alias", "")}
    result = {k: _normalized(v, types) for k, v in node.items() if not k.startswith("query_location")}
    if node.get("class") == "TYPE" and isinstance(node.get("type_name"), str):
        name = types.get(node["type_name"].lower(), node["type_name"].upper())
        result["type_name"], result["qualified_name"] = name, {"path": [name]}
    literal = node.get("literal")
    if isinstance(literal, dict) and literal.get("text") in ("-0.0", "-0"):  # a file keeps -0.0 as 0.0
        result["literal"] = {**result["literal"], "text": literal["text"][1:]}
    return result


def verify_macros(con: duckdb.DuckDBPyConnection, label: str, macros: Mapping[str, str], names: list[str]) -> None:
    """Refuse when a persisted macro of ``names`` differs from the text registered (and hashed) with the model.

    DuckDB stores a macro's bound definition, not its text; the registered text is therefore created again
    as a temporary macro under a scratch name and the two definitions compared.
    """
    wanted = [n for n in names if n in macros]
    catalog = con.execute(sql_text("current_database")).fetchall()[0][0]
    found = _definitions(con, wanted, catalog)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise IntegrityError(f"{label}: the macro{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                             f"{'are' if len(missing) > 1 else 'is'} missing from the database; it was dropped after "
                             "training — retrain the model (or run `cai models verify --restore`)")
    scratch = {}
    for name in wanted:
        header = re.compile(rf"CREATE OR REPLACE MACRO {re.escape(name)}\(")
        kind = "t" if found[name][0] == "table_macro" else "s"  # a scratch name per kind: DuckDB keeps the two apart
        scratch[name] = f"_cai_check_{kind}{len(scratch)}"
        text, count = header.subn(f"CREATE OR REPLACE TEMPORARY MACRO {scratch[name]}(", macros[name], count=1)
        if not count:
            raise IntegrityError(f"{label}: the registered SQL of {name} is not a macro definition; retrain the model")
        try:
            con.execute(text)  # the registered text, verified against model_sha256 before this is called
        except duckdb.Error as exc:
            detail = str(exc).strip().splitlines()[0]
            raise IntegrityError(f"{label}: cannot check the macro {name} on this database ({detail}); the tables it "
                                 "reads changed after training — restore them or retrain the model") from None
    expected = _definitions(con, list(scratch.values()), "temp")
    changed = [name for name in wanted if found[name] != expected.get(scratch[name])]
    if changed:
        raise IntegrityError(f"{label}: the macro{'s' if len(changed) > 1 else ''} {', '.join(changed)} "
                             f"differ{'' if len(changed) > 1 else 's'} from the SQL registered with the model; "
                             f"{'they were' if len(changed) > 1 else 'it was'} replaced after training — refusing to "
                             "score with it; retrain the model (or run `cai models verify --restore`)")


def macros_to_check(model: str, version: int, macros: Mapping[str, str], *, latest: bool) -> list[str]:
    """A version's own macros, the shared ones it registered, and the unversioned aliases if it is the latest."""
    from .macros import names as macro_names

    names = macro_names(model, version)
    own = [name for key, name in names.items() if key == "rows" or key.endswith("_version")]
    aliases = [name for key, name in names.items() if not (key == "rows" or key.endswith("_version"))]
    shared = [name for name in macros if name not in names.values()]
    return [n for n in (*own, *shared, *(aliases if latest else ())) if n in macros]


def restore_macros(con: duckdb.DuckDBPyConnection, label: str, macros: Mapping[str, str], names: list[str]) -> list[str]:
    """Create again, from the registered text, every macro of ``names`` that is missing or differs; return their names."""
    restore = []
    for name in names:
        try:
            verify_macros(con, label, macros, [name])
        except IntegrityError:
            restore.append(name)
    for name in restore:
        con.execute(macros[name])  # the registered text: its hash was verified with the version's
    return restore


@dataclass(frozen=True)
class Verified:
    """One model version's verification: ``problem`` is None when every check passed."""

    model: str
    version: int
    model_sha256: str | None
    problem: str | None
    restored: tuple[str, ...] = ()


def verify_models(con: duckdb.DuckDBPyConnection, model: str | None = None, *, restore: bool = False) -> list[Verified]:
    """Every check scoring makes, for every version (or one model's): parts, parity rows and persisted macros.

    With ``restore``, macros that were dropped or replaced are created again from the registered text first
    (only for versions whose own hashes still verify), in one transaction.
    """
    from . import udfs
    from .database import transaction

    catalog = udfs.catalog(con)
    rows = read_rows(con, model)
    latest = {}
    for row in rows:
        latest[row["model"]] = max(latest.get(row["model"], 0), row["version"])
    results = []
    with transaction(con):
        for row in rows:
            restored: list[str] = []
            try:
                loaded = catalog.get(row["model"], row["version"])
                loaded.check()
                names = macros_to_check(row["model"], row["version"], loaded.macros,
                                        latest=row["version"] == latest[row["model"]])
                if restore:
                    restored = restore_macros(con, loaded.label, loaded.macros, names)
                verify_macros(con, loaded.label, loaded.macros, names)
                problem = None
            except CaiError as exc:
                problem = str(exc)
            results.append(Verified(row["model"], row["version"], row["model_sha256"], problem, tuple(restored)))
    return results
