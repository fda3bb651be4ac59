"""The Kubernetes manifests: every overlay renders, validates against the API schemas, and
follows the deployment policy (probes, resources, security context, pinned images, and for every
service its Deployment, Service, PodDisruptionBudget, NetworkPolicy and migration Job)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import SchemaNotFoundError

from tests.deploy.support import (
    HTTP_SERVICES,
    K8S,
    KUBERNETES_VERSIONS,
    OVERLAYS,
    PORTS,
    ROOT,
    SCHEMAS,
    SPECS,
    by_kind,
    has_database,
    has_exact_version,
    image_is_pinned,
    named,
    pod_template,
    render,
    selects,
    services,
)

CUSTOM_KINDS_USED = {"RabbitmqCluster", "Cluster", "ServiceMonitor", "PodMonitor", "PrometheusRule"}


def custom_schema(obj: dict[str, Any]) -> Path:
    group_version = obj["apiVersion"].replace("/", "-")
    return SCHEMAS / f"{obj['kind'].lower()}-{group_version}.yaml"


def workloads(objects: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(o, t) for o in objects if (t := pod_template(o)) is not None]


def ident(obj: dict[str, Any]) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def test_overlays_exist() -> None:
    assert {"dev", "prod"} <= set(OVERLAYS)


def test_every_service_is_in_the_base() -> None:
    """The base deploys the registry's services: one generated folder each."""
    kustomization = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    assert kustomization["resources"] == ["common", *services()]
    for service in services():
        assert (K8S / "base" / service / "kustomization.yaml").exists(), service


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders(overlay: str) -> None:
    objects = render(overlay)
    assert objects, f"{overlay} renders nothing"
    names = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]
    assert len(names) == len(set(names)), "duplicate objects"
    namespaced = [o for o in objects if o["kind"] != "Namespace"]
    assert {o["metadata"].get("namespace") for o in namespaced} == {"guanxi"}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_builtin_kinds_validate_strictly(overlay: str, version: str) -> None:
    """kubernetes-validate --strict: the built-in kinds, unknown fields rejected."""
    errors, custom = [], set()
    for obj in render(overlay):
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except SchemaNotFoundError:
            custom.add(obj["kind"])
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{ident(obj)}: {path}: {exc.message}")
    assert not errors, "\n".join(errors)
    assert custom <= CUSTOM_KINDS_USED, f"custom kinds without a schema: {custom}"


@pytest.mark.parametrize("kind", sorted(CUSTOM_KINDS_USED))
def test_custom_resources_validate(kind: str) -> None:
    """Custom resources against the schemas in tests/deploy/schemas; skipped without one."""
    objects = [o for overlay in OVERLAYS for o in by_kind(render(overlay), kind)]
    if not objects:
        pytest.skip(f"no overlay renders a {kind}")
    for obj in objects:
        schema_file = custom_schema(obj)
        if not schema_file.exists():
            pytest.skip(f"no schema for {kind} {obj['apiVersion']} in tests/deploy/schemas")
        schema = yaml.safe_load(schema_file.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        errors = sorted(
            jsonschema.Draft202012Validator(schema).iter_errors(obj), key=lambda e: list(e.path)
        )
        assert not errors, "\n".join(
            f"{ident(obj)}: {'.'.join(str(p) for p in e.path)}: {e.message}" for e in errors
        )


# ---- policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_locked_down(overlay: str) -> None:
    """Non-root, no privilege escalation, read-only root, no capabilities, RuntimeDefault."""
    problems = []
    for obj, template in workloads(render(overlay)):
        spec = template["spec"]
        pod = spec.get("securityContext", {})
        if pod.get("runAsNonRoot") is not True:
            problems.append(f"{ident(obj)}: pod securityContext.runAsNonRoot is not true")
        if pod.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{ident(obj)}: seccompProfile is not RuntimeDefault")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{ident(obj)}: mounts a service account token")
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = f"{ident(obj)} container {container['name']}"
            context = container.get("securityContext", {})
            if context.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation is not false")
            if context.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: readOnlyRootFilesystem is not true")
            if "ALL" not in context.get("capabilities", {}).get("drop", []):
                problems.append(f"{where}: capabilities do not drop ALL")
            if context.get("privileged"):
                problems.append(f"{where}: privileged")
            if context.get("runAsUser") == 0 or pod.get("runAsUser") == 0:
                problems.append(f"{where}: runs as root")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_containers_have_requests_and_limits(overlay: str) -> None:
    problems = []
    for obj, template in workloads(render(overlay)):
        for container in template["spec"]["containers"]:
            resources = container.get("resources", {})
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in resources.get(section, {}):
                        problems.append(
                            f"{ident(obj)}/{container['name']}: no {section}.{resource}"
                        )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_long_running_containers_have_probes(overlay: str) -> None:
    problems = []
    for obj, template in workloads(render(overlay)):
        if obj["kind"] in ("Job", "CronJob"):  # they run to completion
            continue
        for container in template["spec"]["containers"]:
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in container:
                    problems.append(f"{ident(obj)}/{container['name']}: no {probe}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_are_pinned(overlay: str) -> None:
    """No `latest`; third-party images by exact version; Guanxi images versioned in prod."""
    problems = []
    for obj, template in workloads(render(overlay)):
        for container in template["spec"]["containers"]:
            image = container["image"]
            ours = "/guanxi/" in f"/{image}"
            if not image_is_pinned(image):
                problems.append(f"{ident(obj)}: {image} has no tag, or `latest`")
            elif (not ours or overlay == "prod") and not has_exact_version(image):
                problems.append(f"{ident(obj)}: {image} is not an exact version")
    for obj in by_kind(render(overlay), "RabbitmqCluster"):
        if not has_exact_version(obj["spec"].get("image", "")):
            problems.append(f"{ident(obj)}: image not pinned")
    for obj in by_kind(render(overlay), "Cluster"):
        if not has_exact_version(obj["spec"].get("imageName", "")):
            problems.append(f"{ident(obj)}: imageName not pinned")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_references_resolve(overlay: str) -> None:
    """Every ConfigMap, Secret and ServiceAccount a pod uses is rendered too, or is provided
    outside the manifests: the broker Secret in prod, CloudNativePG's <cluster>-app Secrets."""
    objects = render(overlay)
    present = {(o["kind"], o["metadata"]["name"]) for o in objects}
    external = {("Secret", f"{c['metadata']['name']}-app") for c in by_kind(objects, "Cluster")}
    if overlay == "prod":  # provided by ops: docs/deploy.md
        external.add(("Secret", "crm-amqp"))
        external |= {("Secret", s.secret) for spec in SPECS.values() for s in spec.secrets}
    missing = []
    for obj, template in workloads(objects):
        spec = template["spec"]
        wanted = []
        if "serviceAccountName" in spec:
            wanted.append(("ServiceAccount", spec["serviceAccountName"], False))
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    if key in source:
                        ref = source[key]
                        wanted.append((kind, ref["name"], ref.get("optional", False)))
            for env in container.get("env", []):
                source = env.get("valueFrom", {})
                for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    if key in source:
                        ref = source[key]
                        wanted.append((kind, ref["name"], ref.get("optional", False)))
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                wanted.append(("ConfigMap", volume["configMap"]["name"], False))
            if "secret" in volume:
                wanted.append(("Secret", volume["secret"]["secretName"], False))
        for kind, name, optional in wanted:
            if not optional and (kind, name) not in present | external:
                missing.append(f"{ident(obj)} needs {kind}/{name}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", services())
def test_service_has_its_objects(overlay: str, service: str) -> None:
    """Deployment, Service, ServiceAccount, PodDisruptionBudget, NetworkPolicy, named ports,
    native gRPC readiness (HTTP probes on the metrics port for the portal), /tmp emptyDir."""
    objects = render(overlay)
    port, metrics_port = PORTS[service]
    port_name = "http" if service in HTTP_SERVICES else "grpc"

    deployment = named(objects, "Deployment", service)
    assert deployment is not None, f"no Deployment {service}"
    template = deployment["spec"]["template"]
    labels = template["metadata"]["labels"]
    assert selects(deployment["spec"]["selector"], labels)
    container = template["spec"]["containers"][0]
    assert container["image"].split("@")[0].rsplit(":", 1)[0].endswith(f"guanxi/{service}")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {port_name: port, "metrics": metrics_port}

    if service in HTTP_SERVICES:
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    else:
        assert container["readinessProbe"]["grpc"]["port"] == port
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    tmp = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}.get("/tmp")
    volumes = {v["name"]: v for v in template["spec"].get("volumes", [])}
    assert tmp is not None, "no writeable /tmp"
    assert "emptyDir" in volumes[tmp], "/tmp is not an emptyDir"
    env = {e["name"] for e in container.get("env", [])}
    assert "CRM_AMQP_URL" in env
    assert {s.variable for s in SPECS[service].secrets} <= env
    if service == "portal":  # gunicorn workers write their metrics to files
        configs = [
            named(objects, "ConfigMap", r["configMapRef"]["name"]) for r in container["envFrom"]
        ]
        multiproc = [
            c["data"]["PROMETHEUS_MULTIPROC_DIR"]
            for c in configs
            if c and "PROMETHEUS_MULTIPROC_DIR" in c["data"]
        ]
        assert multiproc, "no PROMETHEUS_MULTIPROC_DIR"
        assert multiproc[0].startswith("/tmp/")
    if has_database(service):
        assert f"CRM_{service.upper()}_DATABASE_URL" in env

    svc = named(objects, "Service", service)
    assert svc is not None, f"no Service {service}"
    assert svc["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert {p["name"]: p["targetPort"] for p in svc["spec"]["ports"]} == {
        port_name: port_name,
        "metrics": "metrics",
    }
    assert named(objects, "ServiceAccount", template["spec"]["serviceAccountName"]) is not None

    pdbs = [
        p for p in by_kind(objects, "PodDisruptionBudget") if selects(p["spec"]["selector"], labels)
    ]
    assert pdbs, f"no PodDisruptionBudget selects {service}"

    policies = [
        p for p in by_kind(objects, "NetworkPolicy") if selects(p["spec"]["podSelector"], labels)
    ]
    assert any("Ingress" in p["spec"]["policyTypes"] for p in policies), (
        f"no NetworkPolicy restricts who reaches {service}"
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", [s for s in services() if has_database(s)])
def test_service_database_and_migrations(overlay: str, service: str) -> None:
    """A migration Job per service with a database; the database exists in the overlay and
    admits connections only from that service's pods."""
    objects = render(overlay)
    job = named(objects, "Job", f"{service}-migrate")
    assert job is not None, f"no migration Job {service}-migrate"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["migrate"]
    deployment = named(objects, "Deployment", service)
    assert deployment is not None
    server = deployment["spec"]["template"]
    assert container["image"] == server["spec"]["containers"][0]["image"]
    job_labels = job["spec"]["template"]["metadata"]["labels"]
    assert job_labels["crm.guanxi.io/service"] == service

    database_labels = {"crm.guanxi.io/database": service}
    dev_databases = [
        o for o in by_kind(objects, "StatefulSet")
        if selects({"matchLabels": database_labels}, o["spec"]["template"]["metadata"]["labels"])
    ]  # fmt: skip
    cnpg = [
        c for c in by_kind(objects, "Cluster")
        if c["spec"].get("inheritedMetadata", {}).get("labels", {}) == database_labels
    ]  # fmt: skip
    assert len(dev_databases) + len(cnpg) == 1, f"{overlay} has no (single) database for {service}"

    policies = [
        p for p in by_kind(objects, "NetworkPolicy")
        if selects(p["spec"]["podSelector"], database_labels)
        and p["spec"]["podSelector"].get("matchLabels", {}).get("crm.guanxi.io/database") == service
    ]  # fmt: skip
    assert policies, f"no NetworkPolicy guards the {service} database"
    for policy in policies:
        for rule in policy["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                assert "namespaceSelector" not in peer
                assert "ipBlock" not in peer
                allowed = peer["podSelector"].get("matchLabels", {})
                assert allowed in ({"crm.guanxi.io/service": service}, database_labels), allowed
    # the service's pods are the ones admitted
    assert server["metadata"]["labels"]["crm.guanxi.io/service"] == service


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_deny_by_default(overlay: str) -> None:
    objects = render(overlay)
    deny = [
        p for p in by_kind(objects, "NetworkPolicy")
        if p["spec"]["podSelector"] == {} and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress") and not p["spec"].get("egress")
    ]  # fmt: skip
    assert deny, "no default-deny NetworkPolicy"
    broker = [
        p for p in by_kind(objects, "NetworkPolicy")
        if p["spec"]["podSelector"].get("matchLabels") == {"crm.guanxi.io/broker": "rabbitmq"}
        and any(
            port.get("port") == 5672
            for rule in p["spec"].get("ingress", []) for port in rule.get("ports", [])
        )
    ]  # fmt: skip
    assert broker, "the broker is not opened to the services"


def test_prod_scales_and_exposes_the_portal() -> None:
    objects = render("prod")
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in by_kind(objects, "HorizontalPodAutoscaler")
    }
    for deployment in by_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        assert name in hpas, f"no HorizontalPodAutoscaler for {name}"
        assert hpas[name]["spec"]["minReplicas"] >= 2
        assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    ingress = by_kind(objects, "Ingress")
    backends = {
        path["backend"]["service"]["name"]
        for i in ingress for rule in i["spec"]["rules"] for path in rule["http"]["paths"]
    }  # fmt: skip
    assert backends == {"portal"}
    rabbit = by_kind(objects, "RabbitmqCluster")
    assert len(rabbit) == 1
    assert rabbit[0]["spec"]["replicas"] >= 3
    assert all(c["spec"]["instances"] >= 2 for c in by_kind(objects, "Cluster"))
    assert by_kind(objects, "ServiceMonitor")
    assert by_kind(objects, "PrometheusRule")


def test_dev_broker_uses_the_shared_definitions() -> None:
    objects = render("dev")
    definitions = named(objects, "ConfigMap", next(
        o["metadata"]["name"] for o in by_kind(objects, "ConfigMap")
        if o["metadata"]["name"].startswith("rabbitmq-definitions")
    ))  # fmt: skip
    assert definitions is not None
    source = (ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text()
    assert definitions["data"]["10-topology.json"] == source


def _peer_admits(rule_peers: list[dict[str, Any]] | None, labels: dict[str, str]) -> bool:
    """Does a rule's from/to list admit a pod of this namespace with these labels? (Peers
    that select other namespaces or IP blocks do not.)"""
    if not rule_peers:
        return True
    return any(
        "podSelector" in peer
        and "namespaceSelector" not in peer
        and selects(peer["podSelector"], labels)
        for peer in rule_peers
    )


def _port_admits(ports: list[dict[str, Any]] | None, number: int, name: str) -> bool:
    if not ports:
        return True
    return any(
        p.get("port") in (number, name)
        or (isinstance(p.get("port"), int) and p["port"] <= number <= p.get("endPort", p["port"]))
        for p in ports
    )


def reachable(
    policies: list[dict[str, Any]],
    source: dict[str, str],
    target: dict[str, str],
    port: int,
    port_name: str,
) -> bool:
    """Whether the NetworkPolicies let a pod labelled `source` open a connection to a pod
    labelled `target` on `port` (named `port_name`) in the same namespace."""

    def allowed(direction: str, selected: dict[str, str], peer: dict[str, str]) -> bool:
        kind, peers_key = ("Ingress", "from") if direction == "ingress" else ("Egress", "to")
        governing = [
            p for p in policies
            if kind in p["spec"]["policyTypes"] and selects(p["spec"]["podSelector"], selected)
        ]  # fmt: skip
        return not governing or any(
            _peer_admits(rule.get(peers_key), peer)
            and _port_admits(rule.get("ports"), port, port_name)
            for policy in governing
            for rule in policy["spec"].get(direction, [])
        )

    return allowed("egress", source, target) and allowed("ingress", target, source)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_portal_reaches_redis(overlay: str) -> None:
    objects = render(overlay)
    policies = by_kind(objects, "NetworkPolicy")
    # the pods' egress only: Redis runs wherever it runs, and admits whom it admits
    egress = [
        {**p, "spec": {**p["spec"], "policyTypes": ["Egress"]}}
        for p in policies
        if "Egress" in p["spec"]["policyTypes"]
    ]
    redis = {"app.kubernetes.io/name": "redis"}
    open_to = {
        spec.name
        for spec in SPECS.values()
        if reachable(
            egress,
            named(objects, "Deployment", spec.name)["spec"]["template"]["metadata"]["labels"],
            redis,
            6379,
            "redis",
        )
    }

    assert open_to == {"portal"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_follow_the_calls_of_the_registry(overlay: str) -> None:
    """A service's pods reach another's gRPC port exactly when the registry says it calls it."""
    objects = render(overlay)
    policies = by_kind(objects, "NetworkPolicy")

    def pod_labels(service: str) -> dict[str, str]:
        deployment = named(objects, "Deployment", service)
        assert deployment is not None
        return deployment["spec"]["template"]["metadata"]["labels"]  # type: ignore[no-any-return]

    wrong = []
    for caller in SPECS.values():
        for callee in SPECS.values():
            if callee.kind != "grpc" or callee is caller:
                continue
            allowed = reachable(
                policies, pod_labels(caller.name), pod_labels(callee.name), callee.port, "grpc"
            )
            if allowed != (callee.name in caller.calls):
                verb = "reaches" if allowed else "cannot reach"
                wrong.append(f"{caller.name} {verb} {callee.name}:{callee.port}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_scheduled_commands_are_cronjobs_of_the_services_commands(overlay: str) -> None:
    """Each schedule of the registry runs its service's own command in its image, one run at a
    time, with the database of the service (as its migration Job); sales rebuilds its win
    models nightly."""
    objects = render(overlay)
    scheduled = {(s.name, x.command): x for s in SPECS.values() for x in s.schedules}
    assert ("sales", "rebuild-win-models") in scheduled
    for (service, command), schedule in scheduled.items():
        job = named(objects, "CronJob", f"{service}-{command}")
        assert job is not None, f"no CronJob {service}-{command}"
        assert (job["spec"]["schedule"], job["spec"]["concurrencyPolicy"]) == (
            schedule.cron,
            "Forbid",
        )
        template = job["spec"]["jobTemplate"]["spec"]["template"]
        container = template["spec"]["containers"][0]
        deployment = named(objects, "Deployment", service)
        assert deployment is not None
        server = deployment["spec"]["template"]["spec"]["containers"][0]
        assert (container["args"], container["image"]) == ([command], server["image"])
        assert template["metadata"]["labels"]["crm.guanxi.io/service"] == service
        declared = importlib.import_module(f"crm_{service}.bootstrap").SERVICE.all_commands()
        assert command in declared, f"crm-{service} has no command {command}"
