"""Settings of the server process that bench_tracking.py measures: the product's settings with
a URLconf that adds a bare view (the floor). Used only by the benchmark."""

from porto.settings import *  # noqa: F403

ROOT_URLCONF = "bench.tracking_urls"
