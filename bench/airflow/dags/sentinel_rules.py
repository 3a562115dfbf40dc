"""The gate's rule-based failure predictor (domain/risk/rules.ts, predictWithRules), ported for the Airflow bench.

Pure Python, no Airflow import, so test/unit/bench/airflow.test.ts can check it against the TypeScript rules with
plain python3. Only the probability is ported (not the factor texts or recommended actions): that is what the
branch decides on. Keep the constants in step with RULES in domain/risk/rules.ts (the unit test compares them).
"""

import math
from datetime import datetime

RULES = {
    "priorFailureRate": 0.05,
    "priorWeight": 10,
    "perRecentFailure": 0.6,
    "maxRecentFailures": 4,
    "overrunRatio": 1.5,
    "perLogOverrun": 0.8,
    "largeDatabaseGb": 100,
    "perDoublingOverLarge": 0.35,
    "longRunSeconds": 2 * 3600,
    "longRun": 0.5,
    "freeSpaceTight": 1.0,
    "freeSpaceExhausted": 3.5,
    "staleHours": 48,
    "stale": 0.7,
    "maintenanceHoursUtc": [2, 3],
    "maintenanceWindow": 0.3,
}

GB = 1024**3


def _logit(p):
    return math.log(p / (1 - p))


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


def _clamp(v, lo, hi):
    return min(hi, max(lo, v))


def _round(v, digits=3):
    # Math.round in JavaScript rounds halves up; Python's round() rounds them to even.
    f = 10**digits
    return math.floor(v * f + 0.5) / f


def normalise_context(partial=None):
    partial = partial or {}
    success_rate = partial.get("successRate")
    run_count = partial.get("runCount")
    return {
        "successRate": success_rate,
        "recentFailures": partial.get("recentFailures") or 0,
        "typicalDurationSeconds": partial.get("typicalDurationSeconds"),
        "typicalSizeBytes": partial.get("typicalSizeBytes"),
        "runCount": run_count if run_count is not None else (20 if success_rate is not None else 0),
        "hoursSinceLastSuccess": partial.get("hoursSinceLastSuccess"),
    }


def failure_probability(request, context):
    """request: target, threshold, startAt (ISO), optional estimatedDurationSeconds, estimatedSizeBytes,
    databaseSizeGb, freeSpaceGb; context: as normalise_context returns. Returns the probability (4 decimals)."""
    contributions = []

    def add(contribution):
        if contribution != 0:
            contributions.append(_round(contribution))

    runs = context["runCount"]
    success_rate = context["successRate"]
    observed = RULES["priorFailureRate"] if success_rate is None else 1 - success_rate
    smoothed = (observed * runs + RULES["priorFailureRate"] * RULES["priorWeight"]) / (runs + RULES["priorWeight"])
    base = _logit(_clamp(smoothed, 0.005, 0.995))
    add(base - _logit(RULES["priorFailureRate"]))

    recent = min(context["recentFailures"], RULES["maxRecentFailures"])
    add(recent * RULES["perRecentFailure"])

    duration = request.get("estimatedDurationSeconds")
    typical_duration = context["typicalDurationSeconds"]
    if duration is not None and typical_duration and typical_duration > 0:
        ratio = duration / typical_duration
        if ratio > RULES["overrunRatio"]:
            add(math.log(ratio) * RULES["perLogOverrun"])
    if duration is not None and duration > RULES["longRunSeconds"]:
        add(RULES["longRun"])

    size = request.get("estimatedSizeBytes")
    typical_size = context["typicalSizeBytes"]
    if size is not None and typical_size and typical_size > 0:
        ratio = size / typical_size
        if ratio > RULES["overrunRatio"]:
            add(math.log(ratio) * RULES["perLogOverrun"])

    db_gb = request.get("databaseSizeGb")
    if db_gb is not None and db_gb > RULES["largeDatabaseGb"]:
        add(math.log2(db_gb / RULES["largeDatabaseGb"]) * RULES["perDoublingOverLarge"] + RULES["perDoublingOverLarge"])

    free_gb = request.get("freeSpaceGb")
    if free_gb is not None and size is not None and size > 0:
        headroom = (free_gb * GB) / size
        if headroom < 1:
            add(RULES["freeSpaceExhausted"])
        elif headroom < 2:
            add(RULES["freeSpaceTight"])

    stale = context["hoursSinceLastSuccess"]
    if stale is not None and stale > RULES["staleHours"]:
        add(RULES["stale"])

    hour = datetime.fromisoformat(request["startAt"].replace("Z", "+00:00")).utctimetuple().tm_hour
    if hour in RULES["maintenanceHoursUtc"]:
        add(RULES["maintenanceWindow"])

    score = _logit(RULES["priorFailureRate"]) + sum(contributions)
    return _round(_clamp(_sigmoid(score), 0, 1), 4)


def is_high_risk(probability, threshold):
    """The gate branches on probability > threshold (domain/risk/levels.ts)."""
    return probability > threshold
