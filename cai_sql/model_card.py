"""A registered model version described for people: the text `cai models show` prints."""

from __future__ import annotations

from .registry import ModelRecord


def _goal_text(spec: dict) -> str:
    goal = spec["goal"]
    joiner = " AND " if goal["combine"] == "all_of" else " OR "
    conditions = joiner.join(f"({c})" for c in goal["conditions"])
    occurs = "occurs" if goal["will_occur"] else "does NOT occur"
    return f"{conditions} {occurs} within {goal['window_days']} days"


def model_card(record: ModelRecord) -> str:
    m = record.metrics
    spec = record.spec
    balance = m["class_balance"]
    window = m["training_window"]
    lines = [
        f"{record.model} v{record.version} — {record.model_type}, {record.algorithm}",
        f"created {record.created_at:%Y-%m-%d %H:%M} UTC · {record.n_features} features",
        f"model sha256 {record.model_sha256 or 'none (registered before every artifact was hashed: retrain)'}; "
        f"ONNX bytes {record.sha256[:12]}",
        f"goal: {_goal_text(spec)}",
        ("eligible: any event before the cutoff" if spec["active_days"] == "all" else
         f"eligible: an event in the {spec['active_days']} days before the cutoff")
        + "".join(f"; {p}" for p in (*spec["eligibility_events"], *spec["eligibility_profiles"])),
        f"features see {spec['lookback_days']} days before each cutoff; events {window['events_from']} … {window['events_to']}",
        f"training cutoffs {', '.join(d.isoformat() for d in record.training_cutoffs)}; "
        f"out-of-time validation cutoff {record.validation_cutoff}",
        f"class balance: train {balance['train_positives']:,} positive / {balance['train_negatives']:,} negative; "
        f"validation {balance['validation_positives']:,} / {balance['validation_negatives']:,}",
        f"validation: AUC {m['auc']:.3f} · PR-AUC {m['pr_auc']:.3f} · log loss {m['log_loss']:.4f} · "
        f"Brier {m['brier']:.4f} · base rate {m['base_rate']:.3f}",
        "candidates: " + ", ".join(f"{k} AUC {v:.3f}" for k, v in m["candidates"].items())
        + (f"; oracle (true intent) AUC {m['oracle_auc']:.3f}" if m.get("oracle_auc") else ""),
        f"sklearn-vs-ONNX max abs difference {m['parity_max_abs_difference']:.1e}",
    ]
    if m.get("baselines"):
        lines.append("baselines on the same validation rows: "
                     + ", ".join(f"{k} AUC {v:.3f}" for k, v in m["baselines"].items()))
    if window.get("as_of"):
        lines.append(f"trained as of {window['as_of']}: only events before that date were read")
    if m.get("model_search", {}).get("tried"):
        search = m["model_search"]
        lines.append(f"model search: {len(search['tried'])} candidates, {search['split']}, {search['seconds']:.1f} s")
    lines += [f"note: {n}" for n in m.get("notes", [])]
    if "reason_codes" in m:
        reasons = m["reason_codes"]
        lines.append(f"reason codes: {reasons['method']}; bias + contributions vs sklearn within "
                     f"{reasons['max_abs_difference']:.1e}; sha256 {reasons['sha256']}")
    lines += [f"warning: {w}" for w in m.get("warnings", [])]
    lines.append("")
    lines.append("decile  customers  positives    rate   lift  cumulative gain")
    for d in m["deciles"]:
        lines.append(f"{d['bin']:>6}  {d['n']:>9,}  {d['positives']:>9,}  {d['observed_rate']:>6.3f}  "
                     f"{d['lift'] or 0:>5.2f}  {d['cumulative_gain']:>15.3f}")
    lines.append("")
    lines.append("calibration bin  customers  mean predicted  observed")
    for c in m["calibration"]:
        lines.append(f"{(c['bin'] - 1) / 10:>7.1f}–{c['bin'] / 10:<.1f}  {c['n']:>9,}  {c['mean_probability']:>14.3f}  {c['observed_rate']:>8.3f}")
    lines.append("")
    lines.append("features:")
    lines += [f"  {f['name']:<44} {f['description']}" for f in record.features]
    return "\n".join(lines)
