"""Which Amazon SES account: its region and configuration set (boto3 holds the keys)."""

from anymail.utils import get_anymail_setting

from porto.mail.providers.base.provider import ACCOUNT_LENGTH


class SesAccount:
    def describe(self) -> str:
        params = get_anymail_setting("client_params", esp_name="Amazon SES", default={})
        region = params.get("region_name") or "default region"
        configuration_set = get_anymail_setting(
            "configuration_set_name", esp_name="Amazon SES", default=None, allow_bare=False
        )
        account = f"Amazon SES {region}"
        if configuration_set:
            account += f" configuration set {configuration_set}"
        return account[:ACCOUNT_LENGTH]
