# annexa: slim, non-root, read-only-root-filesystem friendly.
#   docker build -t annexa .
#   docker run --rm -v "$PWD/annexa.toml:/etc/annexa/annexa.toml:ro" -v annexa-data:/var/lib/annexa annexa collect

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY collector collector
COPY connectors connectors
COPY mappings mappings
COPY store store
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[aws,postgres]"

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/annexa --shell /usr/sbin/nologin annexa \
    && mkdir -p /var/lib/annexa /etc/annexa \
    && chown 10001:10001 /var/lib/annexa
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
ENV ANNEXA_CONFIG=/etc/annexa/annexa.toml \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/annexa
WORKDIR /var/lib/annexa
VOLUME ["/var/lib/annexa"]
USER 10001:10001
ENTRYPOINT ["annexa"]
CMD ["collect"]
