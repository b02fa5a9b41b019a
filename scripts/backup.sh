#!/usr/bin/env bash
# Back up the site: the database (pg_dump's custom format) and the uploaded files (receipts), into
# one new directory. Usage: DATABASE_URL=postgres://... MEDIA_ROOT=/path scripts/backup.sh DIRECTORY
# The directory must not exist yet. docs/OPERATIONS.md says how often and where to keep it.
set -euo pipefail
target="${1:?usage: scripts/backup.sh DIRECTORY}"
: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
: "${MEDIA_ROOT:?set MEDIA_ROOT to the uploaded files directory}"
if [ -e "$target" ]; then
    echo "backup: $target already exists; choose a new directory" >&2
    exit 1
fi
mkdir -p "$target"
# One consistent snapshot of the database (pg_dump runs in a single repeatable-read transaction).
pg_dump --format=custom --no-owner --no-privileges --file "$target/database.dump" "$DATABASE_URL"
tar --create --gzip --file "$target/media.tar.gz" --directory "$MEDIA_ROOT" .
# Checksums, so a restore can tell a damaged copy before using it.
(cd "$target" && sha256sum database.dump media.tar.gz > SHA256SUMS)
echo "backup: written to $target"
