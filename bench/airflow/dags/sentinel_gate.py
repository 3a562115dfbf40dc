"""The pre-backup gate as an Airflow DAG, for `npm run bench:airflow` (BENCHMARKS.md, "Against Apache Airflow").

predict -> branch -> proceed | high_risk, the shape of workflows/pre-backup.ts up to its decision:
  predict    computes the failure probability with the gate's rules (sentinel_rules.py, a port of
             domain/risk/rules.ts) from the run's conf; the project's gate also reads the target's history from
             PostgreSQL first, which this task does not (that favours Airflow);
  branch     a BranchPythonOperator choosing `proceed` (probability <= threshold) or `high_risk`; its end is the
             decision the bench times, as `npm run bench` times the BackupDecision upsert;
  proceed    a no-op standing in for the backup (the project's bench runs `true`), as is high_risk.
"""

from datetime import datetime, timezone

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import BranchPythonOperator, PythonOperator
from airflow.sdk import DAG

from sentinel_rules import failure_probability, is_high_risk, normalise_context

DAG_ID = "sentinel_gate"


def predict(**context):
    conf = context["dag_run"].conf or {}
    request = {
        "target": conf.get("target", "bench-true"),
        "threshold": float(conf.get("threshold", 0.5)),
        "startAt": conf.get("startAt") or datetime.now(timezone.utc).isoformat(),
    }
    for key in ("estimatedDurationSeconds", "estimatedSizeBytes", "databaseSizeGb", "freeSpaceGb"):
        if conf.get(key) is not None:
            request[key] = conf[key]
    probability = failure_probability(request, normalise_context(conf.get("context")))
    return {"target": request["target"], "failureProbability": probability, "threshold": request["threshold"]}


def branch(**context):
    prediction = context["ti"].xcom_pull(task_ids="predict")
    return "high_risk" if is_high_risk(prediction["failureProbability"], prediction["threshold"]) else "proceed"


with DAG(
    dag_id=DAG_ID,
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    # The burst starts 100 runs at once: none may wait for a run slot or a task slot of this DAG.
    max_active_runs=1000,
    max_active_tasks=1000,
    tags=["backup-sentinel-bench"],
) as dag:
    predict_task = PythonOperator(task_id="predict", python_callable=predict)
    branch_task = BranchPythonOperator(task_id="branch", python_callable=branch)
    proceed = EmptyOperator(task_id="proceed")
    high_risk = EmptyOperator(task_id="high_risk")
    predict_task >> branch_task >> [proceed, high_risk]
