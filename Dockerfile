# ClearMedia image: `docker compose up -d --build` (see docker-compose.yml and README.md).

# ---- builder: the pinned dependencies and the package, in a venv --------------------------------
FROM python:3.11-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/clearmedia/venv/bin:$PATH
RUN python -m venv /opt/clearmedia/venv
WORKDIR /src
# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY pyproject.toml setup.cfg README.md ./
COPY clearmedia ./clearmedia
RUN pip install --no-deps .

# ---- final: the venv, the entrypoint and nothing else -----------------------------------------------
# Same base image as the builder, so the venv's /usr/local/bin/python3.11 exists here too.
# setpriv (util-linux), useradd and tzdata are already part of Debian slim: no apt-get needed.
FROM python:3.11-slim-bookworm
ENV PATH=/opt/clearmedia/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATA_DIR=/config \
    HOME=/config \
    HEALTH_HOST=127.0.0.1 \
    PUID=1000 \
    PGID=1000 \
    UMASK=022
COPY docker/entrypoint.sh /entrypoint.sh
RUN chmod 0755 /entrypoint.sh \
    && groupadd --gid 1000 clearmedia \
    && useradd --uid 1000 --gid clearmedia --home-dir /config --no-create-home \
       --shell /usr/sbin/nologin clearmedia \
    && mkdir -p /config \
    && chown clearmedia:clearmedia /config
COPY --from=builder /opt/clearmedia/venv /opt/clearmedia/venv
VOLUME /config
WORKDIR /config
# Runs inside the container against HEALTH_HOST=127.0.0.1; through the entrypoint so it runs as PUID.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["/entrypoint.sh", "health"]
# Exec form: the entrypoint execs setpriv, which execs clearmedia, so SIGTERM reaches ClearMedia.
ENTRYPOINT ["/entrypoint.sh"]
CMD ["run"]
