# Cheeseshop: the GraphQL API in one image.
#
#   docker build -t cheeseshop .
#   docker run --rm -p 8000:8000 -e DATABASE_URL=postgresql://user:pass@host:5432/cheeseshop cheeseshop
#
# docker-compose.yml runs it beside PostgreSQL. Settings come from the environment (class Settings
# in app.py): DATABASE_URL, DATABASE_ECHO, DATABASE_POOL_SIZE, DATABASE_MAX_OVERFLOW,
# PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, GRAPHIQL, DEMO_DATA, SUBSCRIPTION_INIT_TIMEOUT_SECONDS,
# MAX_SUBSCRIPTIONS_PER_CONNECTION, MAX_WEBSOCKET_CONNECTIONS.
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
# comes first on sys.path for `python -m` and for uvicorn), where the files that are not Python
# modules (static/ for GraphiQL, migrations/script.py.mako) are too.
RUN pip install . \
    && rm -rf build ./*.egg-info

# Without DATABASE_URL the image uses SQLite in /data, the one directory the app user may write
# (mount a volume there to keep it). docker-compose.yml sets DATABASE_URL to its PostgreSQL.
ENV DATABASE_URL=sqlite:////data/cheeseshop.db

USER cheeseshop
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8000/healthz', timeout=3)"]

# Bring the database to the newest schema, then serve. `exec` makes uvicorn PID 1, so it gets
# docker stop's SIGTERM and shuts down gracefully. Migrating an up-to-date database changes nothing,
# so every replica may run this; docker-compose.yml migrates once first, so that replicas starting
# together never race on the first migration.
CMD ["sh", "-c", "python -m app migrate && exec uvicorn app:app --host 0.0.0.0 --port 8000"]
