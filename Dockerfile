# One image for every consult service; docker-compose.yml picks the command (api, worker, beat, migrate).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CONSULT_DATA_DIR=/var/lib/consult

RUN useradd --system --uid 10001 --home-dir /app consult \
    && mkdir -p /var/lib/consult \
    && chown consult /var/lib/consult

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY alembic ./alembic
COPY consult ./consult
COPY workers ./workers
# Editable on purpose: `consult db upgrade` finds alembic.ini and alembic/ next to the package, in /app.
RUN pip install -e .

USER consult
EXPOSE 8000
# The API in two processes (uvicorn workers); docker-compose.yml sets the number with API_WORKERS.
CMD ["consult", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
