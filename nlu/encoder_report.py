"""Markdown for `rephrase-miner evaluate-encoder` (pure: a report dict in, text out)."""

from __future__ import annotations

import math

TARGET_TOP1 = {"MASSIVE en-US↔de-DE": 0.80, "MASSIVE en-US↔sw-KE": 0.70}
TEACHERS = ("use", "e5")
OURS = "multilingual"
TEACHER_MARGIN = 0.05
RECALL_MARGIN = 0.05
MIN_LABEL_PRECISION = 0.97
MIN_SPEEDUP = 20.0


def _pct(value: float | None) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f}"


def _row(cells) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def retrieval_target(set_name: str, figures: dict) -> tuple[float, str]:
    """The top-1 our encoder must reach on a set, and why."""
    if set_name in TARGET_TOP1:
        return TARGET_TOP1[set_name], "issue target"
    best = max(figures[t]["top1"] for t in TEACHERS if t in figures) if any(t in figures for t in TEACHERS) else 0.0
    return best - TEACHER_MARGIN, "best teacher − 0.05"


def retrieval_table(report: dict) -> list[str]:
    encoders = list(report["encoders"])
    lines = [_row(["set", "sentences", *(f"{report['encoders'][e]} top-1 / top-5" for e in encoders), "target top-1", "holds"]),
             _row(["---", "---:", *("---:" for _ in encoders), "---:", "---"])]
    for set_name, figures in report["retrieval"].items():
        target, _ = retrieval_target(set_name, figures)
        ours = figures.get(OURS, {}).get("top1")
        holds = "—" if ours is None else ("yes" if ours >= target - 1e-9 else "**no**")
        lines.append(_row([set_name, f"{figures['sentences']:,}",
                           *(f"{_pct(figures[e]['top1'])} / {_pct(figures[e]['top5'])}" for e in encoders),
                           _pct(target), holds]))
    return lines


def paws_x_table(report: dict) -> list[str]:
    encoders = list(report["encoders"])
    lines = [_row(["language", "pairs", *(f"{report['encoders'][e]} acc / AUC" for e in encoders)]),
             _row(["---", "---:", *("---:" for _ in encoders)])]
    for language, figures in report["paws_x"].items():
        lines.append(_row([language, f"{figures['pairs']:,}",
                           *(f"{_pct(figures[e]['accuracy'])} / {figures[e]['roc_auc']:.3f}" for e in encoders)]))
    return lines


def throughput_table(report: dict) -> list[str]:
    figures = report["throughput"]
    base = figures.get("minilm", {}).get("per_second")
    lines = [_row(["encoder", "sentences", "sentences/s", "× MiniLM"]), _row(["---", "---:", "---:", "---:"])]
    for name, row in figures.items():
        ratio = f"{row['per_second'] / base:.1f}" if base else "—"
        lines.append(_row([report["encoders"][name], f"{row['sentences']:,}", f"{row['per_second']:,.0f}", ratio]))
    return lines


def miner_table(report: dict) -> list[str]:
    locales = report["miner"]["locales"]
    reference = locales.get("en-US", {}).get("systems", {}).get("miner", {}).get("recall")
    lines = [_row(["locale", "records", "label precision", "recall", "recall − en-US", "defect reduction", "holds"]),
             _row(["---", "---:", "---:", "---:", "---:", "---:", "---"])]
    for locale, figures in locales.items():
        miner = figures["systems"]["miner"]
        gap = None if reference is None or miner["recall"] is None else miner["recall"] - reference
        holds = (miner["label_precision"] or 0) >= MIN_LABEL_PRECISION and (gap is None or gap >= -RECALL_MARGIN)
        replay = (miner.get("replay") or {}).get("all") or {}
        lines.append(_row([locale, f"{miner['records']:,}", _pct(miner["label_precision"]), _pct(miner["recall"]),
                           "—" if gap is None else f"{100 * gap:+.1f}", _pct(replay.get("defect_reduction")),
                           "yes" if holds else "**no**"]))
    return lines


def markdown(report: dict) -> str:
    parts = [
        "### (a) Translation retrieval (top-1 / top-5 %, mean of both directions)", "",
        *retrieval_table(report), "",
        "### (b) PAWS-X dev: accuracy at the English-best threshold / ROC-AUC of the cosine", "",
        *paws_x_table(report), "",
    ]
    if "miner" in report:
        parts += ["### (c) The miner per locale (`rephrase-miner evaluate`)", "", *miner_table(report), ""]
    parts += ["### (d) Encoder throughput on this machine", "", *throughput_table(report), ""]
    return "\n".join(parts)
