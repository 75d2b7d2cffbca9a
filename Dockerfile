# loopwind: the web app (gunicorn) and, with another command, the queue worker.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# Fonts for every script and color emoji, and cairo for PDF output (the renderer's needs).
COPY scripts/system-packages.txt /tmp/system-packages.txt
RUN apt-get update \
    && grep -v '^#' /tmp/system-packages.txt | xargs apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt pyproject.toml README.md ./
COPY loopwind ./loopwind
RUN pip install --no-cache-dir -r requirements.txt .
COPY . .
RUN SECRET_KEY=collectstatic-only LOOPWIND_VAR_DIR=/tmp/var python manage.py collectstatic --noinput -v0 \
    && useradd --system --home /app app && mkdir -p /app/var && chown -R app /app/var
USER app

ENV LOG_FORMAT=json PORT=8000
EXPOSE 8000
# Sync workers (measured faster than gthread on 2 cores, bench/render_api.py); each starts its own
# render child. SSE streams hold a worker each: serve /api/render/*/events from a gthread pool if many.
CMD ["sh", "-c", "gunicorn loopwind_site.wsgi -w ${WEB_CONCURRENCY:-2} -b 0.0.0.0:${PORT} --timeout 60"]
