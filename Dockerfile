# udx-bot in a container: the wheel built in a first stage, installed into a slim image that
# runs as an unprivileged user. Build and run (README.md, "Deployment"):
#   docker build -t udx-bot .
#   docker run --rm -e DATABASE_URL=postgresql://... -e TELEGRAM_BOT_TOKEN=... -p 8080:8080 udx-bot
# The command is a udx-bot subcommand: run (default, everything), web, worker or migrate.

FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build==1.2.2
COPY pyproject.toml README.md MANIFEST.in babel.cfg ./
COPY udx_bot ./udx_bot
COPY handlers ./handlers
COPY storage ./storage
COPY locales ./locales
RUN python -m build --wheel --outdir /dist .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8080
RUN groupadd --gid 10001 udx \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin udx
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir /tmp/dist/*.whl && rm -rf /tmp/dist
USER 10001:10001
WORKDIR /home/udx
EXPOSE 8080
# /healthz answers 200 only while the database answers (every process serves it: PORT is set)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["udx-bot"]
CMD ["run"]
