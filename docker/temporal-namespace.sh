#!/bin/sh
# Creates the namespace and registers the search attributes Sentinel's workflows set, so runs can be filtered
# in the Web UI. Idempotent.
set -eu
NS="${DEFAULT_NAMESPACE:-default}"
temporal operator namespace describe --namespace "$NS" >/dev/null 2>&1 || temporal operator namespace create --namespace "$NS" --retention 30d
for sa in BackupTarget=Keyword FailureRisk=Keyword FailureProbability=Double BackupDecision=Keyword; do
  name="${sa%%=*}"; type="${sa##*=}"
  temporal operator search-attribute list --namespace "$NS" | grep -q "$name" \
    || temporal operator search-attribute create --namespace "$NS" --name "$name" --type "$type"
done
