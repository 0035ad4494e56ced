"""Reason-code factors: what a customer reads about, one per attribute, worded from their own value.

A model sees a categorical profile attribute as one 0/1 column per common level, so a per-column
reason reads backwards for most customers ("Profile loyalty_tier is bronze" for a silver customer,
whose *not* being bronze raised the score). The factors group the columns back: one factor per
attribute, whose contribution is the sum of its levels' contributions (so factors still add up to
the margin) and whose text names the customer's own level ("Loyalty tier: silver"), or, for a
customer in none of the encoded levels, what they are not ("Loyalty tier: not bronze, silver or
gold"). A yes/no profile attribute reads "is true" / "is not true". Every other feature is a factor
of its own with one text.

Texts are chosen per row without Python: each factor owns a run of entries in one text list
(``texts``/``codes``), starting at ``first_text``, and a row's choice within the run is a small
linear function of its feature values (see ``text_choices``), which the ONNX graph and the linear
SQL macro compute the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy only where rows are handled: rendering SQL from a layout must not load it
    import numpy as np

FEATURE = "feature"  # one column, one text
FLAG = "flag"  # one 0/1 column: texts "is true", "is not true", "is unknown"
ATTRIBUTE = "attribute"  # the 0/1 level columns of one categorical attribute: one text per level + "none of them"
FLAG_TRUE, FLAG_FALSE, FLAG_UNKNOWN = 0, 1, 2
LISTED_LEVELS = 4  # up to this many levels are named in the "not …" text


@dataclass(frozen=True)
class Factor:
    """One reason code: its code, the feature columns it sums, and its texts."""

    code: str
    kind: str  # FEATURE | FLAG | ATTRIBUTE
    columns: tuple[int, ...]
    texts: tuple[str, ...]
    first_text: int


def attribute_label(name: str) -> str:
    """``loyalty_tier`` → ``Loyalty tier``: a column name as a reader's label."""
    words = re.sub(r"[_.]+", " ", name).strip() or name
    return words[0].upper() + words[1:]


def _none_of(levels: list[str]) -> str:
    if len(levels) <= LISTED_LEVELS:
        listed = levels[0] if len(levels) == 1 else f"{', '.join(levels[:-1])} or {levels[-1]}"
        return f"not {listed}"
    return f"none of its {len(levels)} common levels"


@dataclass(frozen=True)
class FactorLayout:
    """The factors of one feature list, in ranking order: single features, then flags, then attributes."""

    factors: tuple[Factor, ...]
    n_features: int

    @cached_property
    def texts(self) -> list[str]:
        return [text for factor in self.factors for text in factor.texts]

    @cached_property
    def codes(self) -> list[str]:
        return [factor.code for factor in self.factors for _ in factor.texts]

    @property
    def identity(self) -> bool:
        """Every factor is one feature with one text, in feature order (no grouping, no choice)."""
        return all(f.kind == FEATURE and f.columns == (i,) for i, f in enumerate(self.factors)) \
            and len(self.factors) == self.n_features

    def of_kind(self, kind: str) -> list[Factor]:
        return [f for f in self.factors if f.kind == kind]

    def group(self, contributions: np.ndarray) -> np.ndarray:
        """(n, features) contributions → (n, factors): each factor's columns summed."""
        import numpy as np

        return np.stack([contributions[:, list(f.columns)].sum(axis=1) for f in self.factors], axis=1)

    def text_choices(self, X: np.ndarray) -> np.ndarray:
        """(n, factors) position of each row's text within its factor's run (the graph's rule)."""
        import numpy as np

        X = np.asarray(X, dtype=np.float64)
        choice = np.zeros((len(X), len(self.factors)))
        for j, factor in enumerate(self.factors):
            if factor.kind == FLAG:
                x = X[:, factor.columns[0]]
                choice[:, j] = np.where(np.isnan(x), FLAG_UNKNOWN, np.where(x >= 0.5, FLAG_TRUE, FLAG_FALSE))
            elif factor.kind == ATTRIBUTE:
                levels = np.nan_to_num(X[:, list(factor.columns)], nan=0.0)
                choice[:, j] = len(factor.columns) + levels @ attribute_weights(factor)
        return choice

    def text_index(self, X: np.ndarray) -> np.ndarray:
        """(n, factors) index into ``texts``/``codes`` of each row's text of each factor."""
        import numpy as np

        bases = np.array([f.first_text for f in self.factors], dtype=np.float64)
        return (self.text_choices(X) + bases).astype(np.int64)

    def values(self, X: np.ndarray) -> np.ndarray:
        """(n, factors) the value a factor reports: its feature's value; NaN for an attribute (its text names the level)."""
        import numpy as np

        X = np.asarray(X, dtype=np.float64)
        return np.stack([X[:, f.columns[0]] if f.kind != ATTRIBUTE else np.full(len(X), np.nan)
                         for f in self.factors], axis=1)


def attribute_weights(factor: Factor) -> np.ndarray:
    """Level i (0-based) of L gives choice i, no level gives L: choice = L + Σ (i − L)·x_i over 0/1 columns."""
    import numpy as np

    count = len(factor.columns)
    return np.arange(count, dtype=np.float64) - count


def factor_layout(features: list[dict]) -> FactorLayout:
    """The factors of a registered feature list (``kind``/``source``/``level`` as the features module wrote them)."""
    singles, flags, attributes = [], [], {}
    for index, feature in enumerate(features):
        if feature.get("kind") == "category" and feature.get("source") is not None:
            attributes.setdefault(feature["source"], []).append(index)
        elif feature.get("kind") == FLAG:
            flags.append(index)
        else:
            singles.append(index)
    used = {f["name"] for f in features}
    factors: list[Factor] = []
    position = 0

    def add(code: str, kind: str, columns: tuple[int, ...], texts: tuple[str, ...]) -> None:
        nonlocal position
        factors.append(Factor(code, kind, columns, texts, position))
        position += len(texts)

    for index in singles:
        add(features[index]["name"], FEATURE, (index,), (features[index]["description"],))
    for index in flags:
        label = attribute_label(features[index]["source"])
        add(features[index]["name"], FLAG, (index,), (f"{label} is true", f"{label} is not true", f"{label} is unknown"))
    for attribute, columns in attributes.items():
        label = attribute_label(attribute)
        levels = [str(features[c]["level"]) for c in columns]
        code = _unused(f"attr_{re.sub(r'[^a-z0-9]+', '_', attribute.lower()).strip('_') or 'x'}", used)
        used.add(code)
        add(code, ATTRIBUTE, tuple(columns), (*(f"{label}: {level}" for level in levels), f"{label}: {_none_of(levels)}"))
    return FactorLayout(tuple(factors), len(features))


def _unused(code: str, used: set[str]) -> str:
    candidate, number = code, 1
    while candidate in used:
        number += 1
        candidate = f"{code}_{number}"
    return candidate
