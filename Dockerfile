# orcraft container images, built from Debian bookworm packages only (see docs/docker.md).
#
#   docker build -t orcraft .                                   orcraft and orcraft-client
#   docker build -t orcraft-mariadb --target mariadb .          MariaDB for docker-compose.yml
#
# The build stage installs the build dependencies with scripts/install-deps.sh and builds with
# scripts/build.sh, exactly as on a Debian 12 machine. The node image holds the two executables
# and only the runtime library packages they load (worked out by docker/runtime-packages.sh).

FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN ORCRAFT_BUILD_TARGET=orcraft scripts/build.sh /build \
    && ORCRAFT_BUILD_TARGET=orcraft-client scripts/build.sh /build \
    && install -D -m 0755 /build/server/orcraft /out/bin/orcraft \
    && install -D -m 0755 /build/client/orcraft-client /out/bin/orcraft-client \
    && install -D -m 0755 docker/entrypoint.sh /out/bin/docker-entrypoint.sh \
    && docker/runtime-packages.sh /out/bin/orcraft /out/bin/orcraft-client > /out/runtime-packages

# MariaDB for the nodes configured with a MySQL backend (docker/mariadb-start.sh).
FROM debian:bookworm-slim AS mariadb
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        mariadb-server mariadb-client \
    && rm -rf /var/lib/apt/lists/*
COPY docker/mariadb-start.sh /usr/local/bin/mariadb-start.sh
VOLUME /var/lib/mysql
EXPOSE 3306
ENTRYPOINT ["/usr/local/bin/mariadb-start.sh"]

# An orcraft node. Mount its configuration at /etc/orcraft/orcraft.conf.json; data lives in
# the volume /var/lib/orcraft (the working directory).
FROM debian:bookworm-slim AS node
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update \
    && xargs -a /tmp/runtime-packages \
        env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
    && useradd --system --user-group --home-dir /var/lib/orcraft --create-home orcraft
COPY --from=build /out/bin/ /usr/local/bin/
USER orcraft
WORKDIR /var/lib/orcraft
VOLUME /var/lib/orcraft
EXPOSE 3000 10008
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
