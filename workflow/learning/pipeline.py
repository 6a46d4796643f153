"""The learned suggestions' model, as pure functions over texts (no database).

What it learns from: a paragraph's words and its marking (level and controls), the
two things a reviewer decides from.  What it predicts: the decision kind (release,
redact, withhold, refer) with a calibrated probability, and, for a withholding or a
redaction, the likely exemption.

Why these pieces:

- ``HashingVectorizer`` rather than TF-IDF: it keeps no vocabulary, so the stored
  model holds no word of any cable (a TF-IDF vocabulary would keep every word of
  every SECRET paragraph it was trained on, readable by whoever reads the model
  row); and it needs no second pass over the corpus.  Words and word pairs, with
  the marking as tokens of its own (``__lvl_2``, ``__ctl_noforn``), and a token for
  each title-and-name pattern, which is what most withholdings and (b)(6) redactions
  turn on.
- A logistic-loss linear classifier fitted by SGD (``SGDClassifier(loss="log_loss")``)
  inside ``CalibratedClassifierCV`` (sigmoid): it trains in a second on tens of
  thousands of paragraphs (``LogisticRegression``'s lbfgs took 10 s on 60 paragraphs
  of three kinds over the 2**18 hashed features here), and calibration makes "0.97"
  mean right 97 times in 100 on held-out data, which is what a confidence threshold
  needs.  With too few examples of a class for cross-validated calibration, the plain
  classifier's own probabilities are used and the metrics say so.

``bench/throughput.py`` and ``bench/model_eval.py`` run these same functions.
"""

from __future__ import annotations

import io
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np

# scikit-learn (and SciPy under it) is imported when a model is trained or used, not
# when the web server loads the URLconf: most processes never need it.

N_FEATURES = 2**18
CALIBRATION_FOLDS = 3

# A title followed by a name: "Ambassador Pearson", "MR. OKKAN", "PM ECEVIT"; the title
# capitalised or in capitals and the next word capitalised, so that "the ambassador
# stressed" or "a general to" is not taken for a name.
_TITLES = (
    "Mr|Mrs|Ms|Dr|Sen|Senator|Rep|Gen|General|Col|Colonel|Maj|Major|Capt|Captain|Lt|Adm"
    "|Admiral|Amb|Ambassador|Minister|President|Pm|Fm|Dcm|Secretary|Chairman|Governor|Judge"
    "|Prince|King|Queen|Sheikh|Deputy|Mayor|Prof|Professor|Father|Bishop"
)
_TITLE_FORMS = "|".join(sorted({f for t in _TITLES.split("|") for f in (t, t.upper())}))
_TITLED_NAME = re.compile(rf"\b(?:{_TITLE_FORMS})\.?\s+[A-Z][A-Za-z'\-]+")


@dataclass(frozen=True, slots=True)
class Example:
    """What the model sees of one paragraph."""

    text: str
    level: int
    controls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Prediction:
    kind: str
    confidence: float  # calibrated probability of ``kind``
    label: str  # the likely exemption ("" for a release or a referral)
    label_confidence: float | None
    probabilities: dict[str, float] = field(default_factory=dict)


def structure(example: Example, *, marking: bool = True) -> str:
    """The paragraph's marking and the names it mentions, as tokens of their own."""
    extra = []
    if marking:
        extra.append(f"__lvl_{int(example.level)}")
        extra.extend(f"__ctl_{re.sub(r'[^a-z0-9]', '', c.lower())}" for c in example.controls)
    names = len(_TITLED_NAME.findall(example.text))
    if names:
        extra.append("__titled_name")
        extra.append(f"__titled_names_{min(names, 3)}")
    if marking:
        # The marking and the presence of a name together: a linear model cannot
        # combine two tokens by itself, and reviewers decide on the pair (a name in a
        # SECRET paragraph is not a name in an unclassified one).
        extra.append(f"__lvl_{int(example.level)}_{'named' if names else 'unnamed'}")
    return " ".join(extra) or "__none"


def features(examples: Sequence[Example], *, marking: bool = True) -> Any:
    """The words (hashed, normalised by length) beside the structure tokens (hashed
    apart and not normalised: a long paragraph does not drown its marking)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import HashingVectorizer

    text = vectorizer().transform([e.text for e in examples])
    struct = HashingVectorizer(
        n_features=2**10,
        alternate_sign=False,
        token_pattern=r"\S+",  # nosec B106 (a regex, not a password)
        norm=None,
        lowercase=False,
    ).transform([structure(e, marking=marking) for e in examples])
    return hstack([text, struct]).tocsr()


def vectorizer() -> Any:
    """The hashing vectorizer (stateless: the same in every process, nothing to store)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        n_features=N_FEATURES,
        ngram_range=(1, 2),
        alternate_sign=False,
        token_pattern=r"(?u)\b\w+\b",  # nosec B106 (a regex, not a password)
        norm="l2",
    )


def _classifier(targets: Sequence[str]) -> tuple[Any, bool]:
    """A calibrated classifier when every class has enough examples for the folds, else
    the plain logistic regression (its own probabilities); and which one."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import SGDClassifier

    base = SGDClassifier(
        loss="log_loss",
        alpha=1e-5,
        max_iter=50,
        tol=1e-4,
        class_weight="balanced",
        random_state=0,
    )
    smallest = min(Counter(targets).values())
    if smallest >= CALIBRATION_FOLDS:
        return CalibratedClassifierCV(base, method="sigmoid", cv=CALIBRATION_FOLDS), True
    return base, False


@dataclass
class Fitted:
    """The fitted models: decision kind, and exemption (None when fewer than two
    exemptions were ever cited: then the only one seen, if any, is suggested)."""

    kinds: Any
    kind_classes: list[str]
    labels: Any | None
    label_classes: list[str]
    only_label: str
    calibrated: bool
    marking: bool = True
    sklearn_version: str = ""

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        """One prediction per example."""
        if not examples:
            return []
        x = features(examples, marking=self.marking)
        kind_p = self.kinds.predict_proba(x)
        classes = [str(c) for c in self.kinds.classes_]
        label_p = self.labels.predict_proba(x) if self.labels is not None else None
        label_classes = [str(c) for c in self.labels.classes_] if self.labels is not None else []
        out = []
        for i in range(len(examples)):
            best = int(np.argmax(kind_p[i]))
            kind = classes[best]
            label, label_conf = "", None
            if kind in ("redact", "withhold"):
                if label_p is not None:
                    j = int(np.argmax(label_p[i]))
                    label, label_conf = label_classes[j], float(label_p[i][j])
                else:
                    label = self.only_label
            out.append(
                Prediction(
                    kind=kind,
                    confidence=float(kind_p[i][best]),
                    label=label,
                    label_confidence=label_conf,
                    probabilities={c: float(p) for c, p in zip(classes, kind_p[i], strict=True)},
                )
            )
        return out

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(self, buffer, compress=3)
        return buffer.getvalue()


def loads(data: bytes) -> Fitted:
    """The fitted models from ``Fitted.dumps``; only for bytes whose signature the
    caller checked (joblib bytes are a pickle)."""
    return joblib.load(io.BytesIO(bytes(data)))  # nosec B301: signature checked by caller


def fit(
    examples: Sequence[Example],
    kinds: Sequence[str],
    labels: Sequence[str],
    *,
    marking: bool = True,
) -> Fitted:
    """Train on decided paragraphs: ``kinds[i]`` is the decision on ``examples[i]`` and
    ``labels[i]`` its exemption ("" when none).  Needs at least two kinds."""
    import sklearn
    from sklearn.exceptions import ConvergenceWarning

    if len(set(kinds)) < 2:
        raise ValueError("training needs decisions of at least two kinds")
    x = features(examples, marking=marking)
    kind_model, calibrated = _classifier(kinds)
    labelled = [i for i, label in enumerate(labels) if label]
    label_values = [labels[i] for i in labelled]
    label_model = None
    only_label = label_values[0] if len(set(label_values)) == 1 else ""
    with warnings.catch_warnings():
        # 50 passes of SGD are plenty here; on a few dozen paragraphs it would go on
        # shaving the loss and warn about it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        kind_model.fit(x, list(kinds))
        if len(set(label_values)) >= 2:
            label_model, _ = _classifier(label_values)
            label_model.fit(x[labelled], label_values)
    return Fitted(
        kinds=kind_model,
        kind_classes=sorted(set(kinds)),
        labels=label_model,
        label_classes=sorted(set(label_values)),
        only_label=only_label,
        calibrated=calibrated,
        marking=marking,
        sklearn_version=sklearn.__version__,
    )


def evaluate(
    examples: Sequence[Example],
    kinds: Sequence[str],
    labels: Sequence[str],
    *,
    threshold: float,
    seed: int = 0,
) -> dict[str, Any]:
    """Metrics on a held-out fifth (fixed seed): accuracy, and among the predictions at
    or above ``threshold`` their share and accuracy, and how many of them would have
    released a paragraph that was withheld or redacted (the unsafe ones)."""
    n = len(examples)
    order = np.random.default_rng(seed).permutation(n)
    cut = max(1, n // 5)
    test, train = order[:cut], order[cut:]
    if len({kinds[i] for i in train}) < 2 or n < 20:
        return {"held_out": 0, "note": "too few decisions to hold any out"}
    fitted = fit(
        [examples[i] for i in train], [kinds[i] for i in train], [labels[i] for i in train]
    )
    predicted = fitted.predict([examples[i] for i in test])
    truth = [kinds[i] for i in test]
    right = [p.kind == t for p, t in zip(predicted, truth, strict=True)]
    confident = [i for i, p in enumerate(predicted) if p.confidence >= threshold]
    withheld = ("redact", "withhold")
    unsafe = sum(1 for i in confident if predicted[i].kind == "release" and truth[i] in withheld)
    return {
        "held_out": len(test),
        "accuracy": round(sum(right) / len(right), 4),
        "confident_share": round(len(confident) / len(test), 4),
        "confident_accuracy": round(sum(right[i] for i in confident) / len(confident), 4)
        if confident
        else None,
        "confident_unsafe": unsafe,
        "threshold": threshold,
        "calibrated": fitted.calibrated,
    }
