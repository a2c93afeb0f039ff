#!/usr/bin/env bash
# Records patches/recorded/: the forge patch synced to a real control plane while a
# Deployment rolls out, a node is drained and a Kueue Workload is preempted.
#
#   KUBECONFIG=.../admin.kubeconfig tools/record-cluster-example.sh [KUBERACK_BINARY]
#
# The cluster: a real Kubernetes API server with Kueue's CRDs (kube-local, kind, a test
# cluster), its nodes Ready. The Kueue *controller* need not run: this script writes the
# Workloads and their status as Kueue's controller would (see PROTOCOL.md, "The bundled
# cluster trace"). It writes only in namespace kuberack, and cordons/drains one node
# (NODE, default fake-1) and uncordons it again.
set -euo pipefail

kuberack=${1:-target/debug/kuberack}
ns=kuberack
node=${NODE:-fake-1}
out=patches/recorded
seconds=${SECONDS_TO_RECORD:-80}
: "${KUBECONFIG:?set KUBECONFIG to the admin kubeconfig of the cluster}"
mkdir -p "$out"
k() { kubectl "$@"; }
log() { echo "[record] $(date -u +%T) $*" >&2; }
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

k delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
k uncordon "$node" >/dev/null

log "play --sync --record-cluster for $seconds s"
"$kuberack" play patches/forge.vcv --sync --namespace "$ns" --no-progress \
  --seconds "$seconds" --record-cluster "$out/forge.trace.jsonl" >"$out/.play.log" 2>&1 &
play=$!
trap 'kill $play 2>/dev/null || true' EXIT

until k -n "$ns" get deployment deployment-11 >/dev/null 2>&1 &&
      k get clusterqueue clusterqueue-9 >/dev/null 2>&1; do sleep 0.5; done
k -n "$ns" rollout status deployment/deployment-11 --timeout=60s >/dev/null
log "snapshot of what the patch is, as List JSON"
k get nodes,deployments,jobs,clusterqueues,localqueues,resourceflavors,workloadpriorityclasses \
  -n "$ns" -o json | jq 'del(.items[].metadata.managedFields)' >"$out/forge.snapshot.json"

sleep 4
log "rollout: kubectl rollout restart deployment/deployment-11"
k -n "$ns" rollout restart deployment/deployment-11 >/dev/null
k -n "$ns" rollout status deployment/deployment-11 --timeout=60s >/dev/null

sleep 3
log "drain $node"
k drain "$node" --ignore-daemonsets --delete-emptydir-data --force --timeout=60s >/dev/null

sleep 3
log "Kueue: two Jobs' Workloads, the low-priority one admitted, then preempted"
until [ "$(k -n "$ns" get jobs -o name | wc -l)" -ge 2 ]; do sleep 0.5; done
mapfile -t jobs < <(k -n "$ns" get jobs -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | head -2)
workload() { # NAME JOB PRIORITY
  local uid queue
  uid=$(k -n "$ns" get job "$2" -o jsonpath='{.metadata.uid}')
  queue=$(k -n "$ns" get job "$2" -o jsonpath='{.metadata.labels.kueue\.x-k8s\.io/queue-name}')
  k -n "$ns" apply --server-side --field-manager=kueue-stand-in -f - >/dev/null <<YAML
apiVersion: kueue.x-k8s.io/v1beta2
kind: Workload
metadata:
  name: $1
  namespace: $ns
  labels: {kueue.x-k8s.io/job-uid: "$uid"}
  ownerReferences:
  - {apiVersion: batch/v1, kind: Job, name: "$2", uid: "$uid", controller: true, blockOwnerDeletion: true}
spec:
  queueName: ${queue:-clusterqueue-9}
  priority: $3
  podSets:
  - name: main
    count: 1
    template:
      spec:
        restartPolicy: Never
        containers: [{name: main, image: busybox, resources: {requests: {cpu: 100m}}}]
YAML
}
status() { # NAME JSON-CONDITIONS [ADMISSION-CQ]
  local admission=null
  [ -n "${3:-}" ] && admission="{\"clusterQueue\":\"$3\",\"podSetAssignments\":[{\"name\":\"main\",\"count\":1,\"flavors\":{\"cpu\":\"default-flavor\"},\"resourceUsage\":{\"cpu\":\"100m\"}}]}"
  k -n "$ns" patch workload "$1" --subresource=status --type=merge \
    -p "{\"status\":{\"admission\":$admission,\"conditions\":$2}}" >/dev/null
}
cond() { # TYPE STATUS REASON MESSAGE
  printf '{"type":"%s","status":"%s","reason":"%s","message":"%s","lastTransitionTime":"%s"}' "$1" "$2" "$3" "$4" "$(now)"
}
low="job-${jobs[0]}-low01"; high="job-${jobs[1]}-high1"
workload "$low" "${jobs[0]}" 0
sleep 1
cq=$(k -n "$ns" get workload "$low" -o jsonpath='{.spec.queueName}')
status "$low" "[$(cond QuotaReserved True QuotaReserved "Quota reserved in ClusterQueue $cq"),$(cond Admitted True Admitted "The workload is admitted")]" "$cq"
sleep 3
workload "$high" "${jobs[1]}" 1000
sleep 1
uid=$(k -n "$ns" get workload "$high" -o jsonpath='{.metadata.uid}')
juid=$(k -n "$ns" get job "${jobs[1]}" -o jsonpath='{.metadata.uid}')
msg="Preempted to accommodate a workload (UID: $uid, JobUID: $juid) due to prioritization in the ClusterQueue; preemptor path: /$cq; preemptee path: /$cq"
status "$low" "[$(cond QuotaReserved False Pending "The workload is pending preemption"),$(cond Admitted False NoReservation "The workload has no reservation"),$(cond Evicted True Preempted "$msg"),$(cond Preempted True InClusterQueue "$msg")]"
sleep 1
status "$high" "[$(cond QuotaReserved True QuotaReserved "Quota reserved in ClusterQueue $cq"),$(cond Admitted True Admitted "The workload is admitted")]" "$cq"

sleep 3
log "uncordon $node"
k uncordon "$node" >/dev/null
log "waiting for the recording to end"
wait $play
trap - EXIT
tail -n 25 "$out/.play.log" >&2
rm -f "$out/.play.log"
log "wrote $out/forge.trace.jsonl ($(wc -l <"$out/forge.trace.jsonl") lines) and $out/forge.snapshot.json"
