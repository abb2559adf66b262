"""Malformed provider input never escapes as anything but ClassificationError.

Documented payloads are damaged at random (fields removed or replaced by any JSON value);
whatever anymail or a provider module trips over must come back as a clear
``ClassificationError``, never an unhandled exception (a webhook view would answer 500).
"""

import json
from pathlib import Path

from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from porto.mail.feedback.classify import ClassificationError, webhook_events_classify

PAYLOADS = Path(__file__).parent / "payloads"
FIXTURES = sorted((path.parent.name, path) for path in PAYLOADS.glob("*/*.json"))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def damaged(value, path, replacement, delete):
    if not path:
        return replacement
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    if not rest and delete and isinstance(copy, dict):
        del copy[head]
    else:
        copy[head] = damaged(copy[head], rest, replacement, delete)
    return copy


@st.composite
def damaged_payloads(draw):
    provider, path = draw(st.sampled_from(FIXTURES))
    value = json.loads(path.read_text())
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        where = draw(st.sampled_from(list(paths(value))))
        value = damaged(value, where, draw(json_values), draw(st.booleans()))
    return provider, value


def classify_body(provider, body):
    request = RequestFactory().post(
        f"/webhooks/{provider}/",
        data=body,
        content_type="application/json",
        headers={"svix-id": "msg_fuzz"},
    )
    try:
        return webhook_events_classify(provider, request)
    except ClassificationError as error:
        assert str(error)  # always says what is wrong
        return None


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(case=damaged_payloads())
def test_damaged_documented_payloads_never_crash(case):
    provider, value = case
    classify_body(provider, json.dumps(value))


@given(provider=st.sampled_from(sorted({p for p, _ in FIXTURES})), value=json_values)
def test_arbitrary_json_never_crashes(provider, value):
    classify_body(provider, json.dumps(value))


@given(provider=st.sampled_from(sorted({p for p, _ in FIXTURES})), body=st.binary(max_size=64))
def test_arbitrary_bytes_never_crash(provider, body):
    classify_body(provider, body)
