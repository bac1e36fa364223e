"""infra/ checked as CI can without a cluster or a Docker daemon (issue 20): every
Kubernetes manifest against the API's schemas (kubernetes-validate bundles them, so this
runs offline), the probes, graceful shutdown and scaling a deployment relies on, and
compose.yaml's services, health checks and settings. An environment variable that is
not a setting (a typo, a renamed one) would be ignored by the app in silence: each name
set here must be one backend/settings reads and README's table documents."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).parents[2]
INFRA = ROOT / "infra"
K8S_VERSION = "1.30.0"  # the oldest release we deploy to; its schemas are bundled


def known_settings() -> set[str]:
    source = "\n".join(path.read_text() for path in (ROOT / "backend" / "settings").glob("*.py"))
    return set(re.findall(r"\"((?:MOTCUA_[A-Z0-9_]+)|DATABASE_URL)\"", source))


def documented_settings() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| (`[^|]+`) \|", readme, flags=re.MULTILINE)
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}


def manifests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted((INFRA / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append((path.name, document))
    return found


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [document for _, document in manifests() if document["kind"] == kind]


def by_name(kind: str) -> dict[str, dict[str, Any]]:
    return {document["metadata"]["name"]: document for document in of_kind(kind)}


def test_the_manifests_are_there() -> None:
    kinds = sorted(document["kind"] for _, document in manifests())
    assert kinds == sorted(
        ["ConfigMap", "Secret", "Secret", "Deployment", "Deployment", "Service"]
        + ["HorizontalPodAutoscaler"] * 2
        + ["PodDisruptionBudget"] * 2
        + ["Job"]
    )


@pytest.mark.parametrize(("name", "document"), manifests(), ids=lambda v: str(v)[:40])
def test_each_manifest_is_valid_for_the_kubernetes_api(name: str, document: dict[str, Any]) -> None:
    # Strict: a misspelt or misplaced field is refused, not ignored as the API would.
    kubernetes_validate.validate(document, K8S_VERSION, strict=True)


def test_the_validator_refuses_a_broken_manifest() -> None:
    deployment = copy.deepcopy(by_name("Deployment")["motcua-app"])
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)
    misplaced = copy.deepcopy(by_name("Deployment")["motcua-app"])
    container = misplaced["spec"]["template"]["spec"]["containers"][0]
    container["readinessprobe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misplaced, K8S_VERSION, strict=True)


def container_of(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def test_the_app_is_probed_and_shuts_down_gracefully() -> None:
    app = by_name("Deployment")["motcua-app"]
    container = container_of(app)
    assert container["command"][:2] == ["motcua", "serve"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    sleep = container["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep[0] == "sleep"
    # The pod must outlive the preStop sleep and still have time to finish requests.
    grace = app["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace >= int(sleep[1]) + 15
    assert app["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_every_pod_has_resources_and_runs_unprivileged() -> None:
    pods = [d["spec"]["template"]["spec"] for d in of_kind("Deployment") + of_kind("Job")]
    for pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert {"cpu", "memory"} <= container["resources"]["requests"].keys()
            assert {"cpu", "memory"} <= container["resources"]["limits"].keys()
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_the_worker_is_a_worker_with_time_to_finish_its_round() -> None:
    worker = by_name("Deployment")["motcua-worker"]
    container = container_of(worker)
    assert container["command"] == ["motcua", "worker"]
    assert "readinessProbe" not in container, "a worker serves no HTTP"
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 30


def test_the_autoscalers_budgets_and_service_point_at_the_deployments() -> None:
    deployments = by_name("Deployment")
    for hpa in of_kind("HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments
        assert hpa["spec"]["minReplicas"] >= 2, "one pod is a single point of failure"
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        # Utilization is of the request: without one the HPA cannot scale.
        assert container_of(deployments[target["name"]])["resources"]["requests"]["cpu"]

    def selects(selector: dict[str, str]) -> list[str]:
        return [
            name
            for name, deployment in deployments.items()
            if selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        ]

    budgets = of_kind("PodDisruptionBudget")
    assert sorted(n for b in budgets for n in selects(b["spec"]["selector"]["matchLabels"])) == [
        "motcua-app",
        "motcua-worker",
    ]
    (service,) = of_kind("Service")
    assert selects(service["spec"]["selector"]) == ["motcua-app"]
    port = service["spec"]["ports"][0]["targetPort"]
    assert port in {p["name"] for p in container_of(deployments["motcua-app"])["ports"]}


def test_every_variable_the_pods_get_is_a_documented_setting() -> None:
    known, documented = known_settings(), documented_settings()
    assert "MOTCUA_DB_PGBOUNCER" in known, "the settings were read"
    config_maps, secrets = by_name("ConfigMap"), by_name("Secret")
    names: set[str] = set()
    for document in of_kind("Deployment") + of_kind("Job"):
        for container in document["spec"]["template"]["spec"]["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    names |= config_maps[source["configMapRef"]["name"]]["data"].keys()
                if "secretRef" in source:
                    names |= secrets[source["secretRef"]["name"]]["stringData"].keys()
            for variable in container.get("env", []):
                names.add(variable["name"])
                reference = variable.get("valueFrom", {}).get("secretKeyRef")
                if reference:
                    assert reference["key"] in secrets[reference["name"]]["stringData"]
    assert names - known == set(), "not settings the app reads"
    assert names - documented == set(), "not in README's settings table"
    assert {"MOTCUA_SECRET_KEY", "DATABASE_URL", "MOTCUA_VAPID_PRIVATE_KEY"} <= names
    config = config_maps["motcua-config"]["data"]
    assert config["MOTCUA_ENV"] == "production" and config["MOTCUA_DEMO"] == "false"
    assert config["MOTCUA_PUBLIC_URL"].startswith("https://")
    # Secrets in the Secret, not the ConfigMap.
    assert not {n for n in config if re.search(r"SECRET|PASSWORD|PRIVATE|DATABASE_URL", n)}


# ----------------------------------------------------------------- compose.yaml


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((INFRA / "compose.yaml").read_text())
    return loaded


def motcua_services() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("image") == "motcua:local"
    }


def test_compose_runs_two_app_nodes_and_two_workers_on_shared_services() -> None:
    services = compose()["services"]
    commands = {name: s["command"][:2] for name, s in motcua_services().items()}
    assert sorted(n for n, c in commands.items() if c == ["motcua", "serve"]) == ["app-1", "app-2"]
    assert sorted(n for n, c in commands.items() if c == ["motcua", "worker"]) == [
        "worker-1",
        "worker-2",
    ]
    assert commands["migrate"] == ["motcua", "migrate"]
    assert services["seaweedfs"]["image"].startswith("chrislusf/seaweedfs")
    assert services["seaweedfs"]["command"][:2] == ["server", "-dir=/data"]
    assert "-s3" in services["seaweedfs"]["command"]
    for name in ("postgres", "redis", "seaweedfs", "nginx"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("app-1", "app-2"):
        check = " ".join(services[name]["healthcheck"]["test"])
        assert "/readyz" in check
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert (INFRA / "Dockerfile").exists()
    assert services["app-1"]["build"]["dockerfile"] == "infra/Dockerfile"


def test_compose_sets_only_documented_settings_and_shares_the_keys() -> None:
    known, documented = known_settings(), documented_settings()
    environments = [service["environment"] for service in motcua_services().values()]
    first = environments[0]
    for environment in environments:
        assert environment == first, "every node must share its settings (and keys)"
    assert set(first) - known == set()
    assert set(first) - documented == set()
    assert first["MOTCUA_WORKER_IN_PROCESS"] == "false"
    assert first["DATABASE_URL"].startswith("postgresql://")
    assert first["MOTCUA_STORAGE_URL"].startswith("s3://")
    # The node's S3 keys are an identity SeaweedFS knows, allowed on the bucket.
    s3 = json.loads((INFRA / "seaweedfs" / "s3.json").read_text())
    bucket = first["MOTCUA_STORAGE_URL"].removeprefix("s3://").split("/")[0]
    (identity,) = [
        i
        for i in s3["identities"]
        if {"accessKey": first["MOTCUA_S3_ACCESS_KEY"], "secretKey": first["MOTCUA_S3_SECRET_KEY"]}
        in i["credentials"]
    ]
    assert f"Write:{bucket}" in identity["actions"]
    assert f"-name {bucket}" in " ".join(compose()["services"]["bucket"]["entrypoint"])


def test_nginx_retries_only_what_is_safe_to_send_twice() -> None:
    config = (INFRA / "nginx-compose.conf").read_text()
    directives = [
        line.split("#")[0].strip() for line in config.splitlines() if line.split("#")[0].strip()
    ]
    upstream = [d.split()[1] for d in directives if d.startswith("server ") and ":" in d]
    assert upstream == ["app-1:8000", "app-2:8000"]
    (retry,) = [d for d in directives if d.startswith("proxy_next_upstream ")]
    assert retry.rstrip(";").split()[1:] == ["error", "timeout", "http_502", "http_503"]
    assert "non_idempotent" not in " ".join(directives)
    mounted = compose()["services"]["nginx"]["volumes"][0].split(":")[0]
    assert (INFRA / mounted).resolve() == (INFRA / "nginx-compose.conf").resolve()
