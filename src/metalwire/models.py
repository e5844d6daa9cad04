"""Imports every domain's tables so that ``Base.metadata`` is complete (for Alembic and tests)."""

from metalwire.accounts.models import (
    ApiKey,
    LoginAttempt,
    PasswordResetToken,
    Plan,
    RateWindow,
    User,
    WebSession,
)
from metalwire.alerts.models import AlertDelivery, PriceAlert, ReportSubscription
from metalwire.audit import AuditEvent
from metalwire.catalog.models import (
    CatalogEntry,
    CatalogGroup,
    Commodity,
    PriceSeries,
    SeriesChange,
)
from metalwire.delivery.models import Delivery, WebhookEndpoint
from metalwire.governance.models import (
    Complaint,
    Consultation,
    ConsultationComment,
    MethodologyVersion,
)
from metalwire.indices.models import IndexDefinitionRecord, IndexDefinitionVersion
from metalwire.markets.models import Instrument, MarketPrice
from metalwire.newsroom.models import (
    Article,
    ArticleRevision,
    ArticleTag,
    ArticleText,
    ArticleTranslation,
)
from metalwire.outbox.models import ReleaseEvent
from metalwire.pricing.models import Assessment, Submission, SubmissionExclusion
from metalwire.supply.models import Respondent, Survey, SurveyRelease, SurveyReturn

__all__ = [
    "AlertDelivery",
    "ApiKey",
    "Article",
    "ArticleRevision",
    "ArticleTag",
    "ArticleText",
    "ArticleTranslation",
    "Assessment",
    "AuditEvent",
    "CatalogEntry",
    "CatalogGroup",
    "Commodity",
    "Complaint",
    "Consultation",
    "ConsultationComment",
    "Delivery",
    "IndexDefinitionRecord",
    "IndexDefinitionVersion",
    "Instrument",
    "LoginAttempt",
    "MarketPrice",
    "MethodologyVersion",
    "PasswordResetToken",
    "Plan",
    "PriceAlert",
    "PriceSeries",
    "RateWindow",
    "ReleaseEvent",
    "ReportSubscription",
    "Respondent",
    "SeriesChange",
    "Submission",
    "SubmissionExclusion",
    "Survey",
    "SurveyRelease",
    "SurveyReturn",
    "User",
    "WebSession",
    "WebhookEndpoint",
]
