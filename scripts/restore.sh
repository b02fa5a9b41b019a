#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database and an empty files directory.
# Usage: DATABASE_URL=postgres://.../new_database MEDIA_ROOT=/new/path scripts/restore.sh DIRECTORY
# It refuses a damaged backup (checksums) and a database that already has tables, so it can never
# overwrite a live site by mistake. docs/OPERATIONS.md has the whole procedure.
set -euo pipefail
source_dir="${1:?usage: scripts/restore.sh DIRECTORY}"
: "${DATABASE_URL:?set DATABASE_URL to the empty database to restore into}"
: "${MEDIA_ROOT:?set MEDIA_ROOT to the empty directory for the uploaded files}"
(cd "$source_dir" && sha256sum --check --quiet SHA256SUMS)
tables=$(psql "$DATABASE_URL" --no-psqlrc --tuples-only --no-align \
    --command "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != "0" ]; then
    echo "restore: the database already has $tables tables; restore into a new, empty database" >&2
    exit 1
fi
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
    --dbname "$DATABASE_URL" "$source_dir/database.dump"
mkdir -p "$MEDIA_ROOT"
tar --extract --gzip --file "$source_dir/media.tar.gz" --directory "$MEDIA_ROOT"
echo "restore: database and files restored from $source_dir"
