#!/usr/bin/env bash
# Starts throwaway PostgreSQL and Redis servers on 127.0.0.1 for the service-backend test run.
# Installs them with apt-get when missing. Prints the export lines for DATABASE_URL and REDIS_URL.
set -euo pipefail

PG_PORT="${PG_PORT:-54329}"
REDIS_PORT="${REDIS_PORT:-63799}"
BASE="${SERVICES_DIR:-$(mktemp -d /tmp/roost-services.XXXXXX)}"

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

if [ -z "$(pg_bin)" ] || ! command -v redis-server >/dev/null 2>&1; then
  echo "installing postgresql and redis-server with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql redis-server >&2
fi
PGBIN=$(pg_bin)

mkdir -p "$BASE/pg" "$BASE/redis"
# mktemp makes 0700 directories; the postgres user must be able to reach its data dir.
chmod 755 "$BASE"
# PostgreSQL refuses to run as root: run it as the postgres user where we are root.
RUN_AS=()
if [ "$(id -u)" = "0" ]; then
  chown -R postgres:postgres "$BASE/pg"
  RUN_AS=(runuser -u postgres --)
fi
"${RUN_AS[@]}" "$PGBIN/initdb" -D "$BASE/pg/data" -U roost --auth=trust -E UTF8 >/dev/null
"${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$BASE/pg/data" -l "$BASE/pg/log" -w \
  -o "-h 127.0.0.1 -p $PG_PORT -k $BASE/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null
"${RUN_AS[@]}" "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U roost roost

redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$BASE/redis" --save "" --appendonly no \
  --daemonize yes --logfile "$BASE/redis/log" --pidfile "$BASE/redis/pid"
for _ in $(seq 1 50); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done

echo "export DATABASE_URL=postgres://roost@127.0.0.1:$PG_PORT/roost"
echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
echo "export SERVICES_DIR=$BASE"
echo "export PGBIN=$PGBIN"
