"""scikit-learn → ONNX, with the parity check that makes the ONNX bytes a trustworthy contract.

skl2onnx is silently wrong for some models (categorical HGB, trees trained with NaN); every
export is therefore compared with sklearn on real rows and refused above ``PARITY_TOLERANCE``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType

from .errors import CaiError

PARITY_TOLERANCE = 1e-5
INPUT_NAME = "features"


class ExportError(CaiError):
    """The model could not be exported faithfully."""


@dataclass(frozen=True)
class Exported:
    onnx: bytes
    sha256: str
    max_abs_difference: float


def session(onnx: bytes) -> ort.InferenceSession:
    """An onnxruntime session that plays well inside DuckDB's own threads (one intra-op thread)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(onnx, options, providers=["CPUExecutionProvider"])


def probabilities_output(sess: ort.InferenceSession) -> str:
    """The name of a classifier's (n, 2) probabilities output (the other output is the label)."""
    return next(o.name for o in sess.get_outputs() if len(o.shape) == 2)


def onnx_probabilities(onnx: bytes, X: np.ndarray) -> np.ndarray:
    """P(class 1) from ONNX bytes for a float32 matrix."""
    sess = session(onnx)
    (probabilities,) = sess.run([probabilities_output(sess)], {INPUT_NAME: np.ascontiguousarray(X, dtype=np.float32)})
    return probabilities[:, 1]


def export(model, X_check: np.ndarray, name: str) -> Exported:
    """Convert ``model`` (zipmap off), check parity on ``X_check``, and hash the bytes."""
    n_features = X_check.shape[1]
    classifier = model.steps[-1][1] if hasattr(model, "steps") else model
    onnx_model = convert_sklearn(
        model,
        name=name,
        initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
        options={id(classifier): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    onnx = onnx_model.SerializeToString()
    X32 = np.asarray(X_check, dtype=np.float32)
    expected = model.predict_proba(X32.astype(np.float64))[:, 1]
    got = onnx_probabilities(onnx, X32)
    difference = float(np.max(np.abs(expected - got))) if expected.size else 0.0
    if not difference <= PARITY_TOLERANCE:
        raise ExportError(
            f"the ONNX export of {name} differs from scikit-learn by {difference:.2e} (limit {PARITY_TOLERANCE:.0e}) "
            "on the validation rows; the model was not registered"
        )
    return Exported(onnx=onnx, sha256=hashlib.sha256(onnx).hexdigest(), max_abs_difference=difference)
