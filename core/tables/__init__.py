"""Piccolo tables: persistence only, grouped by aggregate. Business rules live in core.services."""

from core.tables.accounts import ApiToken, LoginFailure, Session, User
from core.tables.audit import AuditEvent
from core.tables.catalog import Plugin, Service
from core.tables.data import Checkpoint, Dataset
from core.tables.deployments import Deployment, PipelineRun, PipelineStep, ServiceSample
from core.tables.environments import Environment
from core.tables.nodes import Node, NodeSample
from core.tables.notifications import NotificationChannel, NotificationDelivery, NotificationEvent
from core.tables.pipelines import PipelineVersion
from core.tables.previews import Preview, PreviewRule, WebhookDelivery
from core.tables.projects import Project, Secret
from core.tables.registries import Registry
from core.tables.schedules import Schedule
from core.tables.sso import GroupMapping, OidcIdentity, OidcLogin, OidcProvider
from core.tables.teams import Grant, Membership, Team
from core.tables.url_access import IngressSession, ShareLink, UrlKeys

ALL_TABLES = [
    User,
    Session,
    ApiToken,
    LoginFailure,
    Team,
    Registry,
    Service,
    Plugin,
    Project,
    Secret,
    PipelineVersion,
    Environment,
    Membership,
    Grant,
    Node,
    NodeSample,
    Deployment,
    PipelineRun,
    PipelineStep,
    ServiceSample,
    PreviewRule,
    Preview,
    WebhookDelivery,
    AuditEvent,
    NotificationChannel,
    NotificationEvent,
    NotificationDelivery,
    OidcProvider,
    OidcIdentity,
    OidcLogin,
    GroupMapping,
    UrlKeys,
    ShareLink,
    IngressSession,
    Checkpoint,
    Dataset,
    Schedule,
]

__all__ = [t.__name__ for t in ALL_TABLES] + ["ALL_TABLES"]
