# asl-engine: the Step Functions API on port 8083, history in SQLite on the /data volume.
#   docker build -t asl-engine .
#   docker run --rm -p 127.0.0.1:8083:8083 -v asl-engine-data:/data asl-engine
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ASL_ENGINE_DB=/data/asl-engine.db

RUN useradd --create-home --uid 10001 asl \
    && mkdir /data && chown asl:asl /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY asl_engine ./asl_engine
# [postgres]: psycopg, for ASL_ENGINE_DB=postgresql://... (README "PostgreSQL")
RUN pip install '.[postgres]' && rm -rf /app/build

USER asl
VOLUME ["/data"]
EXPOSE 8083
# GET /health needs no signature and answers to 127.0.0.1 (an IP passes the Host check); the slim
# image has no curl, so Python asks. A server that stops answering is marked unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8083/health', timeout=4)"]
# 0.0.0.0 only inside the container: the host's port mapping decides who can connect.
CMD ["asl-engine", "serve", "--host", "0.0.0.0", "--port", "8083"]
