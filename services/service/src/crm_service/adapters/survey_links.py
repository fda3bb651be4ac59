"""The signed links of the satisfaction surveys (itsdangerous, HMAC with the configured secret,
as marketing signs its tracking links): a token names one survey and cannot be guessed or
changed. It does not expire: the survey is answered once, whenever."""

from __future__ import annotations

from uuid import UUID

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "crm.service.surveys"
PATH = "/api/v1/public/surveys/{token}"  # the gateway's public route


class SignedSurveyLinks:
    def __init__(self, public_url: str, secret: str) -> None:
        self.public_url = public_url.rstrip("/")
        self._serializer = URLSafeSerializer(secret, salt=SALT)

    def token(self, survey_id: UUID) -> str:
        return str(self._serializer.dumps(survey_id.hex))

    def url(self, survey_id: UUID) -> str:
        return self.public_url + PATH.format(token=self.token(survey_id))

    def read(self, token: str) -> UUID | None:
        try:
            return UUID(str(self._serializer.loads(token)))
        except (BadSignature, ValueError):
            return None
