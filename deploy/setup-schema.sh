#!/bin/sh
# One-shot schema setup for the Temporal server's PostgreSQL: creates the `temporal` and
# `temporal_visibility` databases and brings both schemas to the tool's version. Safe to run again: an
# existing database is kept, setup-schema skips a newer version, update-schema applies only what is missing.
# Compose runs it in the temporalio/admin-tools image; `npm run stack:production` runs it natively with
# TEMPORAL_SQL_TOOL and SCHEMA_DIR from scripts/build-temporal.sh (and PostgreSQL already accepting).
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (the PostgreSQL host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${POSTGRES_PWD:?POSTGRES_PWD is required}"
DB_PORT=${DB_PORT:-5432}
SCHEMA_DIR=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}
SQL_TOOL=${TEMPORAL_SQL_TOOL:-temporal-sql-tool}
export SQL_PASSWORD="$POSTGRES_PWD"

sql_tool() {
  "$SQL_TOOL" --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$DB_PORT" "$@"
}

# Without nc (a host that is not the admin-tools image) the caller has waited for PostgreSQL itself.
if command -v nc >/dev/null 2>&1; then
  echo "waiting for PostgreSQL on $POSTGRES_SEEDS:$DB_PORT"
  until nc -z "$POSTGRES_SEEDS" "$DB_PORT"; do sleep 1; done
fi

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) versioned="$SCHEMA_DIR/temporal/versioned" ;;
    *) versioned="$SCHEMA_DIR/visibility/versioned" ;;
  esac
  # PostgreSQL has no CREATE DATABASE IF NOT EXISTS: a failure here is an existing database, and a real
  # problem (no server, bad password) fails setup-schema right after.
  sql_tool --db "$db" create || echo "database $db exists"
  sql_tool --db "$db" setup-schema -v 0.0
  sql_tool --db "$db" update-schema -d "$versioned"
done
echo "schema setup complete"
