"""Model evaluation on real labels: is a paragraph classified (C or above), from its text?

Data: the dev corpus (``../shared/cables/dev``) parsed by the service's parser; every
paragraph with a portion mark of its own (``(U)``, ``(C)``, ``(S)``...; headings and
unmarked paragraphs are left out, their level is only inherited).  Label: the mark is
CONFIDENTIAL or above.  Features: the paragraph's words alone (no marking token, no
header): ``workflow.learning.pipeline`` with ``marking=False``, the same hashed words
and word pairs, title-and-name tokens and calibrated SGD logistic classifier as the
service.

Split: by cable, fixed seed, 70% of the cables for training and 30% for testing, so
that no paragraph of a test cable (nor its near-duplicate in the same cable) is seen
in training.  Reported on the test paragraphs: ROC AUC, and recall at a 10% false
positive rate (the share of classified paragraphs ranked above the 90th percentile of
the unclassified ones).  Also at the cable level, the Columbia Declassification
Engine's unit: a cable scores its highest paragraph; it is classified when its banner
is C or above.  Their published figure: 90% of classified cables found at under 11%
false positives (trained on about a million cables; here 250).

Pure functions in-process, no database.

    .venv/bin/python bench/model_eval.py [--quick]

Last line: ``paragraphs=N test_paragraphs=N auc=N recall_at_10fpr=N cable_auc=N
cable_recall_at_10fpr=N columbia_recall=0.90 columbia_fpr=0.11``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score, roc_curve  # noqa: E402

from cables.parsing import parse_file  # noqa: E402
from workflow.learning import pipeline  # noqa: E402

SEED = 20261207
TRAIN_SHARE = 0.7


def recall_at(truth: list[int], scores: list[float], fpr_limit: float) -> float:
    """The highest true positive rate at a false positive rate not above the limit."""
    fpr, tpr, _ = roc_curve(truth, scores)
    return float(tpr[fpr <= fpr_limit].max())


def load(folder: Path, limit: int | None) -> list[tuple[int, list[tuple[str, int]]]]:
    cables = []
    for path in sorted(folder.glob("*")):
        if path.suffix.lower() not in (".txt", ".html", ".htm", ".md"):
            continue
        try:
            cable = parse_file(path)
        except Exception:  # noqa: BLE001, S112  a file the parser refuses is left out
            continue
        marked = [
            (p.text, int(p.marking.level))
            for p in cable.paragraphs
            if p.explicit and not p.heading and p.text.strip()
        ]
        stated = cable.banner or cable.classification  # the cable's classification line
        if marked and stated is not None:
            cables.append((int(stated.level), marked))
    return cables[:limit] if limit else cables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the first 120 cables only")
    args = parser.parse_args()
    started = time.monotonic()
    shared = Path(os.environ.get("DECLASS_SHARED_DIR") or ROOT.parent / "shared")
    cables = load(shared / "cables" / "dev", 120 if args.quick else None)
    order = list(range(len(cables)))
    random.Random(SEED).shuffle(order)
    cut = int(len(order) * TRAIN_SHARE)
    train, test = order[:cut], order[cut:]

    def rows(ids: list[int]) -> list[tuple[int, str, int]]:
        return [(i, text, level) for i in ids for text, level in cables[i][1]]

    train_rows, test_rows = rows(train), rows(test)
    fitted = pipeline.fit(
        [pipeline.Example(t, 0) for _, t, _ in train_rows],
        ["classified" if lvl >= 1 else "unclassified" for _, _, lvl in train_rows],
        ["" for _ in train_rows],
        marking=False,
    )
    predictions = fitted.predict([pipeline.Example(t, 0) for _, t, _ in test_rows])
    scores = [p.probabilities.get("classified", 0.0) for p in predictions]
    truth = [int(lvl >= 1) for _, _, lvl in test_rows]
    auc = roc_auc_score(truth, scores)
    recall = recall_at(truth, scores, 0.10)

    by_cable: dict[int, float] = {}
    for (i, _, _), score in zip(test_rows, scores, strict=True):
        by_cable[i] = max(by_cable.get(i, 0.0), score)
    cable_ids = sorted(by_cable)
    cable_truth = [int(cables[i][0] >= 1) for i in cable_ids]
    cable_scores = [by_cable[i] for i in cable_ids]
    if len(set(cable_truth)) == 2:
        cable_auc = roc_auc_score(cable_truth, cable_scores)
        cable_recall = recall_at(cable_truth, cable_scores, 0.10)
    else:
        cable_auc = cable_recall = float("nan")

    print(
        f"cables: {len(train)} train, {len(test)} test; paragraphs: {len(train_rows)} train, "
        f"{len(test_rows)} test ({sum(truth)} classified); test cables classified: "
        f"{sum(cable_truth)} of {len(cable_truth)}; calibrated={fitted.calibrated}; "
        f"{time.monotonic() - started:.1f} s"
    )
    print(
        f"paragraph level: ROC AUC {auc:.3f}, recall at 10% FPR {recall:.3f}; cable level: "
        f"ROC AUC {cable_auc:.3f}, recall at 10% FPR {cable_recall:.3f}; Columbia "
        "Declassification Engine (cables): 90% recall at under 11% FPR"
    )
    print(
        f"paragraphs={len(train_rows) + len(test_rows)} test_paragraphs={len(test_rows)} "
        f"auc={auc:.3f} recall_at_10fpr={recall:.3f} cable_auc={np.round(cable_auc, 3)} "
        f"cable_recall_at_10fpr={np.round(cable_recall, 3)} columbia_recall=0.90 "
        "columbia_fpr=0.11"
    )


if __name__ == "__main__":
    main()
