"""The ordinal classifier of the learned roll-up: cumulative logistic regressions.

:class:`OrdinalClassifier` (Frank & Hall, 2001) learns one binary logistic regression per
threshold "level > k" of ordered levels, on median-imputed, standardised features, and turns
them into a probability per level. It follows the scikit-learn estimator contract
(``parametrize_with_checks`` passes), so it clones, pickles and sits in a ``Pipeline``.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

try:
    from sklearn.utils.validation import validate_data
except ImportError as exc:  # pragma: no cover - scikit-learn < 1.6
    raise ImportError(
        "chatqa.evaluation.rollup needs scikit-learn >= 1.6 (sklearn.utils.validation."
        f"validate_data); found scikit-learn {sklearn.__version__}. Upgrade it with "
        "`pip install -U scikit-learn`."
    ) from exc

__all__ = ["OrdinalClassifier"]


class OrdinalClassifier(ClassifierMixin, BaseEstimator):
    """Ordinal classification by cumulative binary logistic regressions (Frank & Hall, 2001).

    For ordered classes ``c_0 < c_1 < ... < c_{K-1}``, one ``LogisticRegression`` per
    threshold ``k < K-1`` learns ``P(y > c_k)``; then ``P(y = c_k) = P(y > c_{k-1}) -
    P(y > c_k)`` (with ``P(y > c_{-1}) = 1`` and ``P(y > c_{K-1}) = 0``). The regressions are
    fitted separately, so their curves may cross: a negative difference is clipped to 0 and
    the row renormalised (the unclipped differences sum to 1, so the sum is never 0).

    Features are median-imputed (a missing metric is NaN) and standardised by a Pipeline
    fitted once and shared by the thresholds. A threshold that no training row crosses
    (``classes`` names a level that ``y`` lacks at an end) is a constant 0 or 1.

    Args:
        C: inverse L2 regularisation strength of each logistic regression.
        class_weight: None, ``"balanced"`` (``n_samples / (n_classes * count)``) or a mapping
            class -> weight; it weights each row by its class in every threshold's regression.
        classes: the classes from worst to best; None sorts the labels of ``y``
            (``np.unique``). Labels of ``y`` must all be in it; a class ``y`` lacks gets the
            probability the thresholds leave it (0 at an end).
        max_iter: iterations of each regression's solver.

    Attributes:
        classes_: the ordered classes.
        preprocessor_: the fitted imputer and scaler (a ``Pipeline``).
        estimators_: one fitted ``LogisticRegression`` per threshold, or the constant
            probability (0.0 or 1.0) of a threshold no training row crosses.
        n_iter_: solver iterations per threshold (0 for a constant one).
        n_features_in_, feature_names_in_: as in scikit-learn.
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "classes": ["array-like", None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        C: float = 1.0,
        class_weight: dict[Any, float] | str | None = None,
        classes: Sequence[Any] | None = None,
        max_iter: int = 1000,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.classes = classes
        self.max_iter = max_iter

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # imputed by the preprocessor
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> OrdinalClassifier:
        """Fit the preprocessor and one logistic regression per threshold.

        Args:
            X: array-like of shape (n_samples, n_features); NaN is a missing value.
            y: labels, each one of ``classes`` when it is given.

        Returns:
            self.

        Raises:
            ValueError: fewer than 2 classes in ``y``, a label outside ``classes``, or a
                ``classes`` / ``class_weight`` that does not fit the labels.
        """
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_all_finite="allow-nan")
        check_classification_targets(y)
        present = np.unique(y)
        if len(present) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in y to fit; got one class: "
                f"{present.tolist()!r}"
            )
        self.classes_ = self._ordered_classes(present)
        position = {c: i for i, c in enumerate(self.classes_.tolist())}
        codes = np.array([position[v] for v in y.tolist()])
        sample_weight = self._sample_weight(codes)
        self.preprocessor_ = Pipeline([
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
        ])
        Z = self.preprocessor_.fit_transform(X)
        self.estimators_: list[LogisticRegression | float] = []
        for k in range(len(self.classes_) - 1):
            above = codes > k
            if above.all() or not above.any():
                self.estimators_.append(float(above[0]))
                continue
            lr = LogisticRegression(C=self.C, max_iter=self.max_iter)
            self.estimators_.append(lr.fit(Z, above, sample_weight=sample_weight))
        self.n_iter_ = np.array([
            0 if isinstance(e, float) else int(np.max(e.n_iter_)) for e in self.estimators_
        ])
        return self

    def _ordered_classes(self, present: np.ndarray) -> np.ndarray:
        if self.classes is None:
            return present
        classes = np.asarray(self.classes)
        if classes.ndim != 1 or len(classes) < 2:
            raise ValueError(f"classes must be a list of at least 2 labels; got {self.classes!r}")
        listed = classes.tolist()
        if len(set(listed)) != len(listed):
            raise ValueError(f"classes lists a label twice: {listed!r}")
        unknown = [v for v in present.tolist() if v not in set(listed)]
        if unknown:
            raise ValueError(f"y has labels {unknown!r} that are not in classes {listed!r}")
        return classes

    def _sample_weight(self, codes: np.ndarray) -> np.ndarray | None:
        if self.class_weight is None:
            return None
        n_classes = len(self.classes_)
        if self.class_weight == "balanced":
            counts = np.bincount(codes, minlength=n_classes).astype(float)
            weights = np.where(counts > 0, len(codes) / (np.count_nonzero(counts) * counts), 0)
        else:
            known = set(self.classes_.tolist())
            unknown = [c for c in self.class_weight if c not in known]
            if unknown:
                raise ValueError(
                    f"class_weight names {unknown!r}, not among the classes "
                    f"{self.classes_.tolist()!r}"
                )
            weights = np.array([float(self.class_weight.get(c, 1.0)) for c in self.classes_])
        return weights[codes]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class (columns in ``classes_`` order); rows sum to 1."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan")
        Z = self.preprocessor_.transform(X)
        n = Z.shape[0]
        above = np.column_stack([
            np.full(n, e) if isinstance(e, float) else e.predict_proba(Z)[:, 1]
            for e in self.estimators_
        ])
        upper = np.column_stack([np.ones(n), above])   # P(y > c_{k-1})
        lower = np.column_stack([above, np.zeros(n)])  # P(y > c_k)
        proba = np.clip(upper - lower, 0.0, None)
        return proba / proba.sum(axis=1, keepdims=True)

    def row_proba(self, row: np.ndarray) -> np.ndarray:
        """:meth:`predict_proba` of one row of floats in ``feature_names_in_`` order, in numpy.

        The same arithmetic without scikit-learn's checks and frames: what a grid's ``model``
        rule calls once per conversation (a ``predict_proba`` call costs milliseconds).
        """
        impute, scale = self.preprocessor_.named_steps.values()
        x = np.where(np.isnan(row), impute.statistics_, row)
        z = (x - scale.mean_) / scale.scale_
        above = [e if isinstance(e, float) else
                 float(1.0 / (1.0 + np.exp(-(z @ e.coef_[0] + e.intercept_[0]))))
                 for e in self.estimators_]
        proba = np.clip(np.array([1.0, *above]) - np.array([*above, 0.0]), 0.0, None)
        return proba / proba.sum()

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row."""
        proba = self.predict_proba(X)  # checks that the model is fitted first
        return self.classes_[np.argmax(proba, axis=1)]
