"""The signed links of campaign messages (itsdangerous, HMAC with the configured secret): each
names its kind, the campaign, the recipient and, for a click, the destination. They are
unguessable and unchangeable; they do not expire (a message is read when it is read)."""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

from itsdangerous import BadSignature, URLSafeSerializer

from crm_marketing.service_layer.campaigns import LinkClaim, LinkKind

SALT = "crm.marketing.links"
# the gateway's public routes, under its /api/v1
PATHS = {
    LinkKind.OPEN: "/api/v1/public/mail/open/{token}",
    LinkKind.CLICK: "/api/v1/public/mail/click/{token}",
    LinkKind.UNSUBSCRIBE: "/api/v1/public/mail/unsubscribe/{token}",
}


class SignedLinks:
    def __init__(self, public_url: str, secret: str, unsubscribe_mailbox: str) -> None:
        self.public_url = public_url.rstrip("/")
        self.mailbox = unsubscribe_mailbox
        self._serializer = URLSafeSerializer(secret, salt=SALT)

    def token(self, claim: LinkClaim) -> str:
        payload = [claim.kind.value, claim.campaign_id.hex, claim.customer_id.hex]
        if claim.url:
            payload.append(claim.url)
        return str(self._serializer.dumps(payload))

    def url(self, claim: LinkClaim) -> str:
        return self.public_url + PATHS[claim.kind].format(token=self.token(claim))

    def mailto(self, claim: LinkClaim) -> str:
        return f"mailto:{self.mailbox}?subject={quote('unsubscribe ' + self.token(claim))}"

    def read(self, token: str, kind: LinkKind) -> LinkClaim | None:
        try:
            payload = self._serializer.loads(token)
        except BadSignature:
            return None
        try:
            found, campaign, customer, *rest = payload
            claim = LinkClaim(LinkKind(found), UUID(campaign), UUID(customer), *rest[:1])
        except (TypeError, ValueError):
            return None
        return claim if claim.kind is kind else None
