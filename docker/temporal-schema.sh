#!/bin/sh
# One-shot job of docker-compose.yml (image temporalio/admin-tools): creates
# Temporal's two databases on the PostgreSQL server when missing, then brings
# their schemas to the version this admin-tools release ships (the schemas
# embedded in temporal-sql-tool, so they match the server of the same
# release). Safe on every `docker compose up`: create tolerates an existing
# database, setup-schema -v 0.0 only adds the versioning tables when missing,
# update-schema applies only the versions not yet applied.
# temporal-sql-tool reads SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and
# SQL_PASSWORD from the environment (compose sets them).
set -eu

for database in temporal temporal_visibility; do
  if [ "$database" = temporal ]; then schema=postgresql/v12/temporal; else schema=postgresql/v12/visibility; fi
  echo "temporal-schema: $database ($schema)"
  temporal-sql-tool --db "$database" create-database
  temporal-sql-tool --db "$database" setup-schema -v 0.0
  temporal-sql-tool --db "$database" update-schema --schema-name "$schema"
done
echo 'temporal-schema: both schemas are current'
