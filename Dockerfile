# annexa: slim, non-root (uid 10001), read-only-root-filesystem friendly.
#
#   docker build -t annexa .                                    # aws, kubernetes, postgres
#   docker build -t annexa --build-arg EXTRAS=all .             # + gcp and azure SDKs
#   docker run --read-only --tmpfs /tmp -p 9464:9464 \
#     -v "$PWD/annexa.toml:/etc/annexa/annexa.toml:ro" -v annexa-data:/var/lib/annexa annexa
#   docker run --rm --read-only --tmpfs /tmp --no-healthcheck ... annexa collect   # one run
#
# Everything annexa writes goes to /var/lib/annexa (HOME, the working directory) or /tmp; the
# Kubernetes manifests in deploy/kubernetes/ mount an emptyDir on each. /etc/annexa is read-only:
# point [signing] key_path at a mounted key, or at /var/lib/annexa for annexa to create one.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG EXTRAS=aws,kubernetes,postgres
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/annexa
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY collector collector
COPY connectors connectors
COPY mappings mappings
COPY store store
# Bytecode is compiled here, at build time, because the root filesystem is read-only at run time.
RUN /opt/annexa/bin/pip install ".[${EXTRAS}]" \
    && /opt/annexa/bin/python -m compileall -q /opt/annexa/lib

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="annexa" \
      org.opencontainers.image.description="Read-only evidence collector for ISO/IEC 27001:2022 Annex A" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 annexa \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/annexa \
       --no-create-home --shell /usr/sbin/nologin annexa \
    && mkdir -p /var/lib/annexa /etc/annexa \
    && chown 10001:10001 /var/lib/annexa \
    && chmod 0750 /var/lib/annexa
COPY --from=build /opt/annexa /opt/annexa
ENV PATH=/opt/annexa/bin:$PATH \
    ANNEXA_CONFIG=/etc/annexa/annexa.toml \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/annexa \
    TMPDIR=/tmp
WORKDIR /var/lib/annexa
VOLUME ["/var/lib/annexa"]
USER 10001:10001
# /healthz, /readyz and /metrics of `annexa daemon` ([daemon] http_port)
EXPOSE 9464
# Python's urllib, as the slim image has no curl: any non-2xx answer or no answer exits non-zero.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["annexa"]
CMD ["daemon"]
