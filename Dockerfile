# Multi-stage build. These steps are the ones .ci/run proves on every run:
# `cargo build --release --locked --bin promiseguard`, then `promiseguard serve` from a
# directory holding fixtures/ (the embedded default sources).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY migrations migrations
COPY locales locales
COPY tests tests
COPY bench bench
RUN cargo build --release --locked --bin promiseguard

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin promiseguard
WORKDIR /app
COPY --from=build /src/target/release/promiseguard /usr/local/bin/promiseguard
COPY fixtures fixtures
RUN mkdir -p /app/data /app/outbox && chown -R promiseguard:promiseguard /app
USER promiseguard
# Listen on all interfaces inside the container; keep the database on a volume.
ENV PROMISEGUARD_LISTEN=0.0.0.0:8080 \
    PROMISEGUARD_DATABASE_URL=sqlite:///app/data/promiseguard.db
VOLUME ["/app/data"]
EXPOSE 8080
ENTRYPOINT ["promiseguard"]
CMD ["serve"]
