# Porto's image: the web server, the task workers and the scheduler all run from it
# (compose.yaml, docs/deploy.md). Debian, with the system libraries WeasyPrint draws PDFs with
# and the Noto fonts the PDFs fall back to for scripts the main font lacks.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORTO_VAR_DIR=/var/lib/porto \
    PORTO_STATIC_ROOT=/app/staticfiles \
    PORTO_ADDRESS=0.0.0.0:8000

RUN apt-get update \
    && apt-get install --yes --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig \
        fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji \
        gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN pip install --no-cache-dir --editable . \
    && python manage.py compilemessages --ignore=.venv --verbosity=0 \
    && PORTO_DEBUG=0 PORTO_SECRET_KEY=collectstatic-only DATABASE_URL=sqlite:////tmp/unused.sqlite3 \
        PORTO_FERNET_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
        python manage.py collectstatic --noinput --verbosity=0

RUN useradd --system --home-dir /var/lib/porto --create-home porto
USER porto
EXPOSE 8000
CMD ["gunicorn", "--config", "porto/gunicorn_conf.py"]
