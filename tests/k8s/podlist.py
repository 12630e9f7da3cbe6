#!/usr/bin/python3
"""A kubelet's GET /pods answer: a Kubernetes v1 PodList, in the shape the API defines
(core/v1 types.go: PodList, Pod, ObjectMeta, PodSpec, PodStatus, ContainerStatus), with the fields
a real kubelet fills (managed fields, owner references, conditions, container states...), so the
parser meets a whole answer and not only the fields flamed reads.

pod_list(pods, node) -> dict; each pod a dict:
  {"namespace", "name", "uid", "labels": {..}, "qos": "Burstable"|"Guaranteed"|"BestEffort",
   "containers": [{"name", "id" (64 hex, or None: not started), "runtime": "containerd"}]}

As a script: podlist.py N NODE > file.json writes a list of N pods (the bench's 500-pod answer).
"""
import json
import random
import sys
import uuid


def _meta(p):
    labels = dict(p.get("labels", {}))
    return {
        "name": p["name"],
        "generateName": p["name"].rsplit("-", 1)[0] + "-",
        "namespace": p["namespace"],
        "uid": p["uid"],
        "resourceVersion": str(random.randint(1000, 99999999)),
        "creationTimestamp": "2026-12-01T10:00:00Z",
        "labels": labels,
        "annotations": {
            "kubernetes.io/config.seen": "2026-12-01T10:00:01.123456789Z",
            "kubernetes.io/config.source": "api",
        },
        "ownerReferences": [{
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "name": p["name"].rsplit("-", 1)[0], "uid": str(uuid.uuid4()),
            "controller": True, "blockOwnerDeletion": True,
        }],
        "managedFields": [{
            "manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
            "time": "2026-12-01T10:00:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}, **{"f:" + k: {} for k in labels}}},
                         "f:spec": {"f:containers": {}}},
        }],
    }


def _container_spec(c):
    return {
        "name": c["name"],
        "image": "registry.example.com/%s:1.4.2" % c["name"],
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "LOG_LEVEL", "value": "info"}],
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
        "volumeMounts": [{"name": "kube-api-access", "readOnly": True,
                          "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }


def _container_status(c):
    st = {
        "name": c["name"],
        "ready": c.get("id") is not None,
        "restartCount": 0,
        "image": "registry.example.com/%s:1.4.2" % c["name"],
        "imageID": "registry.example.com/%s@sha256:%s" % (c["name"], "ab" * 32),
        "started": c.get("id") is not None,
    }
    if c.get("id") is not None:
        st["state"] = {"running": {"startedAt": "2026-12-01T10:00:05Z"}}
        st["containerID"] = "%s://%s" % (c.get("runtime", "containerd"), c["id"])
    else:
        st["state"] = {"waiting": {"reason": "ContainerCreating"}}
    return st


def pod(p, node):
    containers = p.get("containers", [])
    return {
        "metadata": _meta(p),
        "spec": {
            "volumes": [{"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}],
            "containers": [_container_spec(c) for c in containers],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "nodeName": node,
            "securityContext": {},
            "schedulerName": "default-scheduler",
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                             "effect": "NoExecute", "tolerationSeconds": 300}],
            "priority": 0,
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": t, "status": "True", "lastProbeTime": None,
                            "lastTransitionTime": "2026-12-01T10:00:06Z"}
                           for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "hostIP": "10.0.0.17",
            "podIP": "10.244.1.%d" % random.randint(2, 250),
            "podIPs": [{"ip": "10.244.1.9"}],
            "startTime": "2026-12-01T10:00:01Z",
            "containerStatuses": [_container_status(c) for c in containers],
            "qosClass": p.get("qos", "Burstable"),
        },
    }


def pod_list(pods, node):
    return {"kind": "PodList", "apiVersion": "v1", "metadata": {},
            "items": [pod(p, node) for p in pods]}


def many(n, seed=1):
    rnd = random.Random(seed)
    apps = ["cart", "checkout", "search", "frontend", "payments", "ads", "recommend", "mail"]
    out = []
    for i in range(n):
        app = apps[i % len(apps)]
        out.append({
            "namespace": "team-%d" % (i % 17), "name": "%s-%x-%05d" % (app, rnd.getrandbits(32), i),
            "uid": str(uuid.UUID(int=rnd.getrandbits(128))),
            "labels": {"app.kubernetes.io/name": app, "pod-template-hash": "%x" % rnd.getrandbits(32),
                       "tier": "backend"},
            "containers": [{"name": app, "id": "%064x" % rnd.getrandbits(256)},
                           {"name": "envoy", "id": "%064x" % rnd.getrandbits(256)}],
        })
    return out


if __name__ == "__main__":
    random.seed(1)
    json.dump(pod_list(many(int(sys.argv[1])), sys.argv[2]), sys.stdout)
