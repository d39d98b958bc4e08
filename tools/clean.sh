#!/usr/bin/env bash
# make clean: stops the project's PostgreSQL cluster and removes everything
# generated (.state: databases, filestore, logs; .venv). Odoo's source stays.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [ -f "$STATE/pg/PG_VERSION" ]; then
    source "$ROOT/tools/pg.sh"
    pg_as_owner "$PG_BIN/pg_ctl" stop -m fast -D "$STATE/pg" >/dev/null 2>&1 || true
fi
rm -rf "$STATE" "$VENV"
say "removed $STATE and $VENV"
