#!/bin/sh
# One-shot job of docker-compose.yml (image temporalio/admin-tools): waits
# until the Temporal server answers, registers the namespace FileIntel uses
# when it is missing, and exits 0 only once the namespace can be described, so
# a worker that starts after it (depends_on: service_completed_successfully)
# can register its search attributes and Schedules there. Safe to run again.
# The temporal CLI reads TEMPORAL_ADDRESS from the environment.
set -eu
namespace="${TEMPORAL_NAMESPACE:-default}"
retention="${TEMPORAL_NAMESPACE_RETENTION:-7d}"

attempt=1
until temporal operator cluster health >/dev/null 2>&1; do
  [ "$attempt" -ge 60 ] && { echo "temporal-namespace: no SERVING answer from $TEMPORAL_ADDRESS"; exit 1; }
  attempt=$((attempt + 1))
  sleep 2
done

attempt=1
until temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; do
  # A second runner may have created it meanwhile: the create fails, the next describe succeeds.
  temporal operator namespace create --namespace "$namespace" --retention "$retention" >/dev/null 2>&1 || true
  [ "$attempt" -ge 30 ] && { echo "temporal-namespace: namespace '$namespace' cannot be described"; exit 1; }
  attempt=$((attempt + 1))
  sleep 2
done
echo "temporal-namespace: namespace '$namespace' exists"
