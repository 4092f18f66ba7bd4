#!/bin/sh
# One-shot schema setup for the Temporal server's PostgreSQL (temporalio/admin-tools image): creates the
# `temporal` and `temporal_visibility` databases and brings both schemas to the image's version. Safe to
# run again: an existing database is kept, setup-schema skips a newer version, update-schema applies only
# what is missing.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (the PostgreSQL host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${POSTGRES_PWD:?POSTGRES_PWD is required}"
DB_PORT=${DB_PORT:-5432}
SCHEMA_DIR=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}
export SQL_PASSWORD="$POSTGRES_PWD"

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$DB_PORT" "$@"
}

echo "waiting for PostgreSQL on $POSTGRES_SEEDS:$DB_PORT"
until nc -z "$POSTGRES_SEEDS" "$DB_PORT"; do sleep 1; done

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
