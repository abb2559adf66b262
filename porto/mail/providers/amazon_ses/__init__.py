"""Amazon SES: events through Amazon SNS, whose signatures Porto checks; no event log to ask.
Open tracking is set on the SES configuration set, not per message."""

from django.utils.translation import gettext_lazy as _

from porto.mail.providers.amazon_ses.account import SesAccount
from porto.mail.providers.amazon_ses.auth import (
    sns_message_id,
    sns_timestamp,
    sns_topics_present,
    sns_verify,
)
from porto.mail.providers.amazon_ses.webhook import AmazonSesWebhook
from porto.mail.providers.base.auth import Credential, DeliveryId, SignedTime, WebhookAuth
from porto.mail.providers.base.provider import Provider, SendQuirks
from porto.mail.providers.base.status import RateLimit

PROVIDER = Provider(
    name="amazon_ses",
    label="Amazon SES",
    backends=("amazon_ses",),
    webhook=AmazonSesWebhook,
    auth=WebhookAuth(
        credentials=(Credential("PORTO_SNS_TOPIC_ARNS", sns_topics_present),),
        verify=sns_verify,
        signed_time=SignedTime("Amazon SNS", sns_timestamp),
        delivery_id=DeliveryId("sns", sns_message_id),
    ),
    status=None,
    no_status_reason=_(
        "Amazon SES has no API to ask about a sent message: its status comes only "
        "from the notifications it sends."
    ),
    retention_days=0,  # none without a paid add-on
    rate=RateLimit(1, 1),
    account=SesAccount(),
    quirks=SendQuirks(tracking_per_message=False),
)
