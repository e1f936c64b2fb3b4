# Cheeseshop: the GraphQL API in one image.
#
#   docker build -t cheeseshop .
#   docker run --rm -p 8000:8000 -e DATABASE_URL=postgresql://user:pass@host:5432/cheeseshop cheeseshop
#
# docker-compose.yml runs it beside PostgreSQL, as two replicas behind nginx. Settings come from the
# environment (class Settings in app.py; README.md's "Configure" has each one's default and meaning).
# Every setting, one line a group:
#
#   Database:    DATABASE_URL, DATABASE_ECHO, DATABASE_POOL_SIZE, DATABASE_MAX_OVERFLOW
#   Outages:     DATABASE_CONNECT_TIMEOUT_SECONDS, DATABASE_PING_TIMEOUT_SECONDS, DATABASE_POOL_TIMEOUT_SECONDS,
#                DATABASE_STATEMENT_TIMEOUT_SECONDS, READINESS_TIMEOUT_SECONDS, LISTENER_PROBE_SECONDS
#   Operations:  SHUTDOWN_TIMEOUT_SECONDS (keep it below `docker stop`'s grace period, 10 s by
#                default: `docker stop -t`, or compose's stop_grace_period), METRICS, LOG_FORMAT, LOG_LEVEL
#   Pages:       PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX
#   Execution:   MAX_CONCURRENT_OPERATIONS, PLANNED_EXECUTION
#   Limits:      MAX_DOCUMENT_BYTES, MAX_DOCUMENT_TOKENS, MAX_DOCUMENT_OPERATIONS, MAX_DOCUMENT_ALIASES,
#                MAX_ROOT_FIELDS, MAX_QUERY_DEPTH, MAX_QUERY_COST, REPORT_COST, MAX_FILTER_DEPTH
#   Production:  ENVIRONMENT, INTROSPECTION, FIELD_SUGGESTIONS, GRAPHIQL, OPENAPI_DOCS, DEMO_DATA
#   HTTP edge:   MAX_REQUEST_BYTES, MAX_JSON_DEPTH, CORS_ORIGINS
#   Sign-in:     SECRET_KEY (required in production), TOKEN_LIFETIME_MINUTES, PASSWORD_TIME_COST,
#                PASSWORD_MEMORY_COST, PASSWORD_PARALLELISM, PASSWORD_WORKERS, PASSWORD_QUEUE_MAX,
#                AUTH_RATE_LIMIT, AUTH_RATE_WINDOW_SECONDS, AUTH_RATE_TRUST_FORWARDED_FOR
#   Subscriptions: SUBSCRIPTION_INIT_TIMEOUT_SECONDS, MAX_SUBSCRIPTIONS_PER_CONNECTION,
#                MAX_WEBSOCKET_CONNECTIONS
#   Documents:   TRUSTED_DOCUMENTS_ONLY, PERSISTED_DOCUMENT_MAX_BYTES, PERSISTED_DOCUMENTS_MAX
#
# Not a setting of the app, but read by it: PROMETHEUS_MULTIPROC_DIR (several workers' metrics;
# `python -m app serve --workers N` makes one when it is unset).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The app runs as this user; the code below stays root's, so the process cannot change it.
RUN useradd --system --user-group --uid 10001 --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin cheeseshop \
    && install -d -o cheeseshop -g cheeseshop /data

WORKDIR /app
COPY . .
# Installs the dependencies pinned in pyproject.toml and the project itself. The commands below run
# in /app, so Python imports app.py and its packages from this source tree (the current directory
# comes first on sys.path for `python -m` and for uvicorn). The installed copy would serve the same:
# the files that are not Python modules (web/graphiql/ for GraphiQL, the migrations) are package data.
RUN pip install . \
    && rm -rf build ./*.egg-info

# Without DATABASE_URL the image uses SQLite in /data, the one directory the app user may write
# (mount a volume there to keep it). docker-compose.yml sets DATABASE_URL to its PostgreSQL.
ENV DATABASE_URL=sqlite:////data/cheeseshop.db

USER cheeseshop
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8000/readyz', timeout=3)"]

# Bring the database to the newest schema, then serve. `exec` makes the server PID 1, so it gets
# docker stop's SIGTERM and shuts down gracefully (SHUTDOWN_TIMEOUT_SECONDS). Migrating an up-to-date
# database changes nothing; docker-compose.yml runs the migration once in a service of its own and
# starts the replicas with `serve` alone.
CMD ["sh", "-c", "python -m app migrate && exec python -m app serve --host 0.0.0.0 --port 8000"]
