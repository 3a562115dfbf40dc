"""One peer model of bench:peers in its own process (bench/peers.ts spawns it with bench/.venv/bin/python).

    fit.py --data PREFIX --model sklearn-rf|sklearn-hgb|lightgbm --threads 2 --scores OUT [--seed 1] [--rf-trees 100 ...]

Reads the feature matrix bench/peers/dataset.ts wrote (the product's own features and time split), fits on the
train rows with the given threads, writes the validation probabilities to OUT (float64) and prints one JSON line:
fit time, predict latency (batch per row, single row). Metrics are computed by bench/peers.ts with the project's
own metric code, the same for every model. A benchmark only: never a runtime dependency of the product.
"""

import argparse
import json
import os
import time

import numpy as np


def load(prefix):
    with open(prefix + ".json") as f:
        meta = json.load(f)
    X = np.fromfile(prefix + ".X.f64", dtype="<f8").reshape(meta["rows"], meta["columns"])
    y = np.fromfile(prefix + ".y.u8", dtype=np.uint8)
    t = meta["trainRows"]
    return X[:t], y[:t], X[t:], y[t:]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--model", required=True, choices=["sklearn-rf", "sklearn-hgb", "lightgbm"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--scores", required=True)
    # random_state of every model (bench:peers passes its model seeds; sklearn-rf's bootstrap and feature draws).
    p.add_argument("--seed", type=int, default=1)
    # sentinel-forest's defaults (domain/ml/forest/options.ts), passed by bench/peers.ts.
    p.add_argument("--rf-trees", type=int, default=100)
    p.add_argument("--rf-depth", type=int, default=12)
    p.add_argument("--rf-min-leaf", type=int, default=20)
    p.add_argument("--rf-max-samples", type=int, default=250000)
    args = p.parse_args()

    train_x, train_y, valid_x, valid_y = load(args.data)
    load_before = os.getloadavg()[0]

    if args.model == "sklearn-rf":
        from sklearn.ensemble import RandomForestClassifier

        # 'balanced_subsample' mirrors sentinel-forest's balanced class weights ('balanced' is not used: with it
        # scikit-learn 1.9.1 gives inverted OOB scores, /work/shared/notes/ml.md).
        model = RandomForestClassifier(
            n_estimators=args.rf_trees,
            max_depth=args.rf_depth,
            min_samples_leaf=args.rf_min_leaf,
            max_features="sqrt",
            class_weight="balanced_subsample",
            max_samples=min(args.rf_max_samples, len(train_y)),
            n_jobs=args.threads,
            random_state=args.seed,
        )
    elif args.model == "sklearn-hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        # Defaults (100 rounds, 31 leaves, 0.1, 255 bins, early stopping 'auto': on above 10k rows, on a random
        # 10% of the train rows); threads through OpenMP (OMP_NUM_THREADS, set by bench/peers.ts).
        model = HistGradientBoostingClassifier(random_state=args.seed)
    else:
        import lightgbm as lgb

        # Defaults (100 rounds, 31 leaves, 0.1, 255 bins, no early stopping).
        model = lgb.LGBMClassifier(n_jobs=args.threads, random_state=args.seed, verbose=-1)

    cpu = time.process_time()
    t = time.perf_counter()
    model.fit(train_x, train_y)
    fit_seconds = time.perf_counter() - t
    fit_cpu = time.process_time() - cpu

    t = time.perf_counter()
    scores = model.predict_proba(valid_x)[:, 1].astype("<f8")
    batch_micros = (time.perf_counter() - t) * 1e6 / len(valid_y)
    scores.tofile(args.scores)

    # Single-row latency on one thread (joblib's and OpenMP's start-up per call would dominate otherwise).
    if args.model == "sklearn-rf":
        model.set_params(n_jobs=1)
    elif args.model == "lightgbm":
        model.set_params(n_jobs=1)
    single = []
    for k in range(min(300 if args.model == "sklearn-rf" else 2000, len(valid_y))):
        row = valid_x[k : k + 1]
        s = time.perf_counter()
        model.predict_proba(row)
        single.append((time.perf_counter() - s) * 1e6)
    single.sort()

    extra = {}
    if args.model == "sklearn-hgb":
        extra["iterations"] = int(model.n_iter_)
        extra["earlyStopping"] = bool(model.do_early_stopping_)
    print(
        json.dumps(
            {
                "model": args.model,
                "threads": args.threads,
                "fitSeconds": fit_seconds,
                "fitCpuSeconds": fit_cpu,
                "batchMicrosPerRow": batch_micros,
                "singleMicros": {"median": single[len(single) // 2], "p99": single[int(len(single) * 0.99)]},
                "ompWaitPolicy": os.environ.get("OMP_WAIT_POLICY", "unset"),
                "ompNumThreads": os.environ.get("OMP_NUM_THREADS", "unset"),
                "seed": args.seed,
                "loadBefore": load_before,
                **extra,
            }
        )
    )


if __name__ == "__main__":
    main()
