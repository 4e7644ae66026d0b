# Warden bot image: CPU-only torch, the package, and `python -m bot` as the entry point.
# Build:  docker build -t warden .
# Run:    docker run --env-file config/example.env -v warden-data:/data warden
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    WARDEN_DB_PATH=/data/warden.db

WORKDIR /app

# CPU build of torch first, so detoxify does not pull a multi-GB CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY config ./config
# the postgres extra (psycopg 3 and its pool): WARDEN_DATABASE_URL works in the image too
RUN pip install '.[postgres]'

RUN useradd --create-home --uid 10001 warden && mkdir -p /data && chown warden /data
USER warden
VOLUME ["/data"]

CMD ["python", "-m", "bot"]
