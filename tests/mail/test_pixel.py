"""The open pixel: token, image, and human-or-machine classification."""

import io

import pytest
from django.core import signing
from PIL import Image

from porto.mail.feedback.pixel import (
    PIXEL_GIF,
    classify_open,
    pixel_token,
    pixel_token_read,
)
from porto.mail.keys import pixel_key_new

KEY = "q5Kx1Vb0nO2s3Wm7cY9dZg"  # 22 URL-safe characters, as pixel_key_new() makes
DESKTOP_OUTLOOK = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0"
)
IPHONE_MAIL = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148"
)
THUNDERBIRD = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.4.0"
ANDROID_CUBOT = (
    "Mozilla/5.0 (Linux; Android 12; Cubot X30 Build/SP1A) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
)
HOME_IP = "81.82.83.84"
# As Gmail's and Yahoo's image proxies send them.
GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)
GMAIL_PROXY_IP = "66.249.84.10"
YAHOO_PROXY = "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html"


class TestPixelImage:
    def test_is_a_transparent_one_by_one_gif(self):
        image = Image.open(io.BytesIO(PIXEL_GIF))
        assert image.format == "GIF"
        assert image.size == (1, 1)
        assert image.convert("RGBA").getpixel((0, 0))[3] == 0


class TestPixelToken:
    def test_round_trip(self):
        token = pixel_token(42, KEY)
        assert pixel_token_read(token) == (42, KEY)

    def test_is_url_safe(self):
        token = pixel_token(42, pixel_key_new())
        assert all(c.isalnum() or c in "-_." for c in token)

    def test_new_keys_carry_at_least_128_bits_and_differ(self):
        keys = {pixel_key_new() for _ in range(50)}
        assert len(keys) == 50
        assert all(len(k) >= 22 for k in keys)
        assert pixel_token_read(pixel_token(1, keys.pop()))

    def test_tokens_of_two_recipients_differ(self):
        assert pixel_token(1, KEY) != pixel_token(2, KEY)

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda t: t[:-1],  # truncated signature
            lambda t: t[:20],  # truncated token
            lambda t: t.replace("42.", "43.", 1),  # someone else's id
            lambda t: t.replace(KEY, KEY[::-1], 1),  # another key
            lambda t: t + "x",
            lambda t: "",
            lambda t: "." * 5,
            lambda t: "x" * 10_000,
            lambda t: None,
            lambda t: 42,
            lambda t: t.encode(),
        ],
    )
    def test_forged_or_damaged_tokens_read_as_none(self, mangle):
        assert pixel_token_read(mangle(pixel_token(42, KEY))) is None

    def test_a_value_signed_for_another_purpose_is_refused(self):
        other = signing.Signer(sep=".").sign(f"42.{KEY}")  # no pixel salt
        assert pixel_token_read(other) is None

    def test_a_validly_signed_malformed_value_is_refused(self):
        signer = signing.Signer(salt="porto.mail.feedback.pixel", sep=".")
        for value in ("42", f"-1.{KEY}", f"0.{KEY}", "42.short", f"4a.{KEY}", f"42.{KEY}!"):
            assert pixel_token_read(signer.sign(value)) is None, value

    def test_another_secret_key_invalidates_tokens(self, settings):
        token = pixel_token(42, KEY)
        settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
        assert pixel_token_read(token) is None

    @pytest.mark.parametrize(
        ("recipient_id", "key"),
        [(0, KEY), (-3, KEY), ("42", KEY), (42, "short"), (42, "has.dot" * 4)],
    )
    def test_building_a_token_from_bad_parts_is_a_programming_error(self, recipient_id, key):
        with pytest.raises(ValueError):
            pixel_token(recipient_id, key)


class TestClassifyOpen:
    @pytest.mark.parametrize(
        "user_agent", [DESKTOP_OUTLOOK, IPHONE_MAIL, THUNDERBIRD, ANDROID_CUBOT]
    )
    def test_a_mail_client_some_seconds_after_delivery_is_human(self, user_agent):
        kind = classify_open(user_agent, HOME_IP, 95.0)
        assert kind.machine is False
        assert "recipient" in kind.reason

    def test_without_a_known_delivery_time_a_mail_client_is_human(self):
        assert classify_open(THUNDERBIRD, HOME_IP, None).machine is False

    def test_apple_mail_privacy_protection_user_agent(self):
        kind = classify_open("Mozilla/5.0", HOME_IP, 3600)
        assert kind.machine
        assert "Apple Mail Privacy Protection" in kind.reason

    def test_apple_network_is_machine_even_with_a_browser_user_agent(self):
        kind = classify_open(IPHONE_MAIL, "17.58.101.12", 3600)
        assert kind.machine and "Apple" in kind.reason

    @pytest.mark.parametrize(
        ("user_agent", "who"),
        [
            ("Mozilla/5.0 (compatible; Barracuda Sentinel)", "Barracuda"),
            ("Mimecast URL Protect", "Mimecast"),
            ("Proofpoint URL Defense", "Proofpoint"),
            ("Mozilla/5.0 (Windows NT 10.0) SafeLinks/1.0", "Safe Links"),
            ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bot"),
            ("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0.0.0", "automated"),
            ("python-requests/2.32.3", "automated"),
            ("curl/8.5.0", "automated"),
        ],
    )
    def test_scanners_and_automated_clients_by_user_agent_are_machine(self, user_agent, who):
        kind = classify_open(user_agent, HOME_IP, 3600)
        assert kind.machine
        assert who in kind.reason

    @pytest.mark.parametrize(
        ("ip", "who"),
        [
            ("40.107.22.5", "Microsoft 365"),
            ("132.245.26.156", "Outlook.com"),
        ],
    )
    def test_mail_protection_networks_are_machine(self, ip, who):
        kind = classify_open(DESKTOP_OUTLOOK, ip, 3600)
        assert kind.machine
        assert who in kind.reason

    @pytest.mark.parametrize("user_agent", ["", "   ", None])
    def test_no_user_agent_is_machine(self, user_agent):
        assert classify_open(user_agent, HOME_IP, 3600).machine

    def test_an_open_right_after_delivery_is_machine(self):
        kind = classify_open(DESKTOP_OUTLOOK, HOME_IP, 2.5)
        assert kind.machine
        assert "2 seconds" in kind.reason

    def test_an_open_stamped_before_the_delivery_report_is_machine(self):
        assert classify_open(DESKTOP_OUTLOOK, HOME_IP, -4).machine

    def test_the_too_soon_threshold_is_a_setting(self, settings):
        settings.PORTO_PIXEL_MACHINE_SECONDS = 60
        assert classify_open(DESKTOP_OUTLOOK, HOME_IP, 30).machine
        settings.PORTO_PIXEL_MACHINE_SECONDS = 10
        assert not classify_open(DESKTOP_OUTLOOK, HOME_IP, 30).machine

    @pytest.mark.parametrize("ip", [None, "", "not-an-ip", "::1", "2a02:1810::1"])
    def test_odd_or_missing_addresses_do_not_break_it(self, ip):
        assert classify_open(THUNDERBIRD, ip, 60).machine is False


class TestPersonProxies:
    """Gmail's and Yahoo's proxies fetch the image when the person opens the message."""

    @pytest.mark.parametrize(
        ("user_agent", "ip", "who"),
        [
            (GMAIL_PROXY, GMAIL_PROXY_IP, "Gmail"),
            (GMAIL_PROXY, HOME_IP, "Gmail"),
            (DESKTOP_OUTLOOK, GMAIL_PROXY_IP, "Gmail"),
            (YAHOO_PROXY, "98.137.1.1", "Yahoo"),
        ],
    )
    def test_a_proxy_fetch_minutes_after_delivery_is_the_persons_open(self, user_agent, ip, who):
        kind = classify_open(user_agent, ip, 300)
        assert kind.machine is False
        assert who in kind.reason and "recipient" in kind.reason

    @pytest.mark.parametrize("user_agent", [GMAIL_PROXY, YAHOO_PROXY])
    def test_a_proxy_fetch_without_a_known_delivery_time_is_the_persons_open(self, user_agent):
        assert classify_open(user_agent, GMAIL_PROXY_IP, None).machine is False

    @pytest.mark.parametrize("user_agent", [GMAIL_PROXY, YAHOO_PROXY])
    def test_a_proxy_fetch_within_the_machine_seconds_of_delivery_is_machine(self, user_agent):
        kind = classify_open(user_agent, GMAIL_PROXY_IP, 3)
        assert kind.machine
        assert "3 seconds" in kind.reason

    def test_the_proxy_window_follows_the_setting(self, settings):
        settings.PORTO_PIXEL_MACHINE_SECONDS = 60
        assert classify_open(GMAIL_PROXY, GMAIL_PROXY_IP, 30).machine
        settings.PORTO_PIXEL_MACHINE_SECONDS = 10
        assert not classify_open(GMAIL_PROXY, GMAIL_PROXY_IP, 30).machine

    def test_apple_privacy_protection_stays_machine_long_after_delivery(self):
        kind = classify_open("Mozilla/5.0", "17.58.101.12", 86400)
        assert kind.machine and "Apple Mail Privacy Protection" in kind.reason

    def test_a_headless_browser_behind_a_google_address_stays_machine(self):
        headless = "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0.0.0 Safari/537.36"
        assert classify_open(headless, GMAIL_PROXY_IP, 3600).machine
