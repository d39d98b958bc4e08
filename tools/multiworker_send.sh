#!/usr/bin/env bash
# A large customer update on a real multi-worker Odoo (2 workers, 2 cron
# workers), with a cron worker killed mid-batch: every customer emailed once.
# Called by tools/test.sh; alone: bash tools/multiworker_send.sh [--customers N]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
MW_DB=${MW_DB:-crisis_multiworker}
MW_PORT=${MW_PORT:-$((18000 + $(printf "%s" "$ROOT" | cksum | cut -d" " -f1) % 900))}

"$ROOT/tools/setup.sh"
source "$ROOT/tools/pg.sh"
pg_stop_on_exit
pg_start
write_odoo_conf

say "multi-worker send: installing $ADDON into $MW_DB (log: $LOGS/multiworker.log)"
db_psql -d postgres -c "DROP DATABASE IF EXISTS \"$MW_DB\" WITH (FORCE)"
rm -rf "$STATE/data/filestore/$MW_DB"
rm -f "$LOGS/multiworker.log"
"$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$MW_DB" -i "$ADDON" \
    --without-demo=all --stop-after-init --log-level=warn --logfile="$LOGS/multiworker.log" \
    || die "installing $ADDON into $MW_DB failed (see $LOGS/multiworker.log)"
status=0
"$VENV/bin/python" "$ROOT/tools/multiworker_send.py" \
    --odoo-bin "$ODOO_SRC/odoo-bin" --config "$ODOO_CONF" --db "$MW_DB" --port "$MW_PORT" \
    --logfile "$LOGS/multiworker.log" \
    --dsn "host=$db_host port=$db_port user=$db_user password=$db_password dbname=$MW_DB" \
    "$@" || status=$?
db_psql -d postgres -c "DROP DATABASE IF EXISTS \"$MW_DB\" WITH (FORCE)"
exit $status
