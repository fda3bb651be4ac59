"""The registry of services: the one list from which settings, the Procfile, compose, the
Prometheus targets, the RabbitMQ definitions, the Kubernetes manifests and the test stacks are
made (`make generate`, deploy/generate.py; a test fails when a generated file is stale).

A new service is its folder under services/ plus one entry here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from crm_platform.amqp import Subscription

Kind = Literal["grpc", "gateway"]


@dataclass(frozen=True)
class SecretSetting:
    """An environment variable of one service that Kubernetes reads from a Secret's key (the
    database and broker URLs every service gets are not listed: they come with `database`).
    Compose and the dev overlay use `dev_value`; in production the operators create the Secret
    (docs/deploy.md), unless the setting is `optional`."""

    variable: str
    secret: str
    key: str
    dev_value: str
    optional: bool = False


@dataclass(frozen=True)
class Schedule:
    """A command of a service (`crm-<service> <command>`) run on a schedule: a Kubernetes
    CronJob in the service's image."""

    command: str
    cron: str  # UTC
    summary: str


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int  # gRPC; HTTP for the gateway
    metrics_port: int
    database: bool  # owns a database (migrations, a migration Job, a PostgreSQL per service)
    roles: tuple[str, ...]  # what `crm-<name> all` runs; each may run as its own Deployment
    kind: Kind = "grpc"
    # the service's consumer table (`crm_<name>.entrypoints.consumer.HANDLERS`, an
    # `EventHandlers`), from which its queue's bindings are made
    consumes: bool = False
    # services whose gRPC or HTTP it calls (network policies, gRPC targets)
    calls: tuple[str, ...] = ()
    secrets: tuple[SecretSetting, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    # keeps personal data about customers: serves crm.privacy.v1.PersonalData (its section of
    # a customer's export) and erases on CustomerErased, confirming with PersonalDataErased;
    # the gateway's export asks exactly these, the customer service waits for exactly these
    personal_data: bool = False
    max_replicas: int = 10  # the production autoscaler's ceiling
    database_storage: str = "20Gi"  # the production database's volume
    summary: str = ""

    @property
    def package(self) -> str:
        return f"crm_{self.name}"

    @property
    def command(self) -> str:
        return f"crm-{self.name}"

    @property
    def default_role(self) -> str:
        """What a deployment runs: every role in one process; the gateway serves its API."""
        return "api" if self.kind == "gateway" else "all"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "customer", 50051, 9101, database=True,
        roles=("api", "relay", "consumer", "importer"),
        personal_data=True,
        # sales activities logged as done go on the customer's timeline; paid and cancelled
        # orders earn and give back loyalty points; marketing's unsubscriptions withdraw the
        # e-mail consent; the importer role imports the files uploaded through the API
        consumes=True, calls=("identity",),
        schedules=(
            Schedule("expire-points", "30 1 * * *",
                     "loyalty points past their expiry expire, one entry per account"),
        ),
        summary="parties, dedupe and merge, consent, blacklist, the interaction timeline, "
        "loyalty points",
    ),
    ServiceSpec(
        "sales", 50053, 9103, database=True, roles=("api", "relay", "consumer"),
        personal_data=True,
        # the customer an order is for must exist and not be blacklisted; marketing's captured
        # leads become leads, and a customer merge moves their leads to the survivor
        # quote lines given without a price are priced by marketing's price lists
        consumes=True, calls=("identity", "customer", "marketing"),
        # every won or lost deal updates its team's win model; the nightly run counts them anew
        schedules=(
            Schedule("rebuild-win-models", "0 2 * * *",
                     "the win models counted anew from every won and lost opportunity"),
        ),
        summary="leads to cash: teams, leads and scoring, opportunities, activities, quotes, "
        "orders through the agency's workflow with contracts and payment milestones, expenses, "
        "targets and scorecards",
    ),
    ServiceSpec(
        "analytics", 50056, 9106, database=True, roles=("api", "relay", "consumer"),
        personal_data=True,
        # segment definitions and membership changes go out through its outbox
        consumes=True, calls=("identity",), max_replicas=6, database_storage="50Gi",
        # each event rescores its customer against the last boundaries; the nightly run
        # measures everyone again (recency moves with the date alone)
        schedules=(
            Schedule("recompute-value", "0 3 * * *",
                     "RFM boundaries, lifetime value models and every customer's scores anew"),
        ),
        summary="read models from every event: customer facts, segments, rule segments, RFM "
        "and lifetime value",
    ),
    ServiceSpec(
        "identity", 50057, 9108, database=True, roles=("api", "relay", "consumer"),
        personal_data=True,
        # self-registration creates the customer record; staff and partner accounts' changes
        # are events (sales never assigns a lead to a disabled account); a customer's erasure
        # ends their login
        consumes=True, calls=("customer",),
        secrets=(
            SecretSetting(
                "CRM_IDENTITY_KEY_ENCRYPTION_KEY", "identity-key-encryption", "passphrase",
                dev_value="dev-only-key-encryption-passphrase",
            ),
            # the first admin, created on the first start only
            SecretSetting(
                "CRM_BOOTSTRAP_ADMIN_EMAIL", "identity-bootstrap-admin", "email",
                dev_value="admin@example.com", optional=True,
            ),
            SecretSetting(
                "CRM_BOOTSTRAP_ADMIN_PASSWORD", "identity-bootstrap-admin", "password",
                dev_value="change-me-now", optional=True,
            ),
        ),
        summary="staff, customer, partner and machine accounts, roles, tokens and their keys",
    ),
    ServiceSpec(
        "service", 50054, 9104, database=True,
        roles=("api", "relay", "consumer", "sla", "mail", "sender"),
        personal_data=True,
        # a case's contact is recognized by email or phone as a new, returning or blacklisted
        # customer; the sla role evaluates the cases' SLA clocks (warning, breach, escalation);
        # the mail role turns mail to the support address into cases (CRM_SERVICE_MAIL_PORT);
        # the sender mails replies to the contacts (CRM_SMTP_URL); the consumer keeps a copy of
        # the customers' contact details (whom a mail or a call is from: those roles have no
        # caller's token to ask the customer service with)
        consumes=True, calls=("identity", "customer"),
        secrets=(
            SecretSetting(
                "CRM_SERVICE_SURVEY_SECRET", "service-surveys", "secret",
                dev_value="dev-only-service-survey-secret",
            ),
        ),
        schedules=(
            Schedule("care", "0 6 * * *",
                     "the day's care tasks: the customers' birthdays and anniversaries"),
        ),
        summary="customer service: cases from every channel through their states, the "
        "conversation with internal notes, the agents' queues, SLA clocks on service "
        "agreements",
    ),
    ServiceSpec(
        "marketing", 50052, 9102, database=True, roles=("api", "relay", "consumer", "sender"),
        personal_data=True,
        # the customers' contact details and consent, copied from the customer service's events;
        # a campaign's audience is an analytics segment's members; an unsubscription is an
        # event the customer service withdraws the consent on; the sender hands e-mail to SMTP
        consumes=True, calls=("identity", "analytics"),
        secrets=(
            SecretSetting(
                "CRM_MARKETING_TRACKING_SECRET", "marketing-tracking", "secret",
                dev_value="dev-only-marketing-tracking-secret",
            ),
        ),
        summary="products and price lists with their rules, lead capture forms, the "
        "customers' contact and consent, campaigns and their e-mail with tracking",
    ),
    ServiceSpec(
        "partner", 50055, 9105, database=True,
        roles=("api", "relay", "consumer", "deadlines"),
        # marketing's campaigns keep the joint campaigns' status and cost, and a sponsored
        # campaign's leads (sales' LeadCreated) go to its sponsor; sales' delivered orders and
        # won or lost deals complete the outsourced work; the deadlines role times out the
        # offers not answered in business hours and offers the work to the next partner
        consumes=True, calls=("identity",),
        summary="the partner directory, outsourcing sales' work with answer deadlines, deal "
        "registration, joint campaigns and partner scorecards",
    ),
    ServiceSpec(
        "portal", 8080, 9107, database=False, roles=("api",), kind="gateway",
        calls=("customer", "sales", "analytics", "identity", "service", "marketing", "partner"),
        summary="the edge: REST API gateway for web and mobile frontends",
    ),
)  # fmt: skip


def service(name: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.name == name:
            return spec
    raise KeyError(f"no service {name!r} in the registry")


def names() -> tuple[str, ...]:
    return tuple(spec.name for spec in SERVICES)


def callers(name: str) -> tuple[ServiceSpec, ...]:
    """The services that call `name`."""
    return tuple(spec for spec in SERVICES if name in spec.calls)


def subscription(spec: ServiceSpec) -> Subscription:
    """A consuming service's queue and bindings, from its consumer table (imported now: the
    deployment files and the test stacks declare them before the service runs)."""
    consumer = importlib.import_module(f"{spec.package}.entrypoints.consumer")
    result: Subscription = consumer.HANDLERS.subscription
    return result
