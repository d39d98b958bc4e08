#!/usr/bin/env bash
# A large customer update on a real multi-worker Odoo (2 workers, 2 cron
# workers; then two servers on one database, 1 cron worker each), with a cron
# worker killed mid-batch: every customer emailed once, as a real SMTP server
# (a local sink) counts; then a sending job killed in the middle of handing its
# emails to the SMTP server (tools/delivery_crash.py).
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
# the same send on two servers (two machines: separate processes and ports,
# one database and filestore), one cron worker each, and a worker killed in
# the middle of its delivery, on copies made now
for copy in "${MW_DB}_2" "${MW_DB}_3"; do
    db_psql -d postgres -c "DROP DATABASE IF EXISTS \"$copy\" WITH (FORCE)"
    db_psql -d postgres -c "CREATE DATABASE \"$copy\" TEMPLATE \"$MW_DB\""
    rm -rf "$STATE/data/filestore/$copy"
    [ ! -d "$STATE/data/filestore/$MW_DB" ] || cp -a "$STATE/data/filestore/$MW_DB" "$STATE/data/filestore/$copy"
done
status=0
run() {
    local db=$1; shift
    "$VENV/bin/python" "$ROOT/tools/multiworker_send.py" \
        --odoo-bin "$ODOO_SRC/odoo-bin" --config "$ODOO_CONF" --db "$db" --port "$MW_PORT" \
        --logfile "$LOGS/multiworker.log" \
        --dsn "host=$db_host port=$db_port user=$db_user password=$db_password dbname=$db" \
        "$@" || status=$?
}
say "multi-worker send: one server, two cron workers"
run "$MW_DB" "$@"
say "multi-worker send: two servers on one database, one cron worker each"
run "${MW_DB}_2" --servers 2 --cron-threads 1 "$@"
say "a sending job killed in the middle of its delivery"
"$VENV/bin/python" "$ROOT/tools/delivery_crash.py" \
    --odoo-bin "$ODOO_SRC/odoo-bin" --config "$ODOO_CONF" --db "${MW_DB}_3" \
    --dsn "host=$db_host port=$db_port user=$db_user password=$db_password dbname=${MW_DB}_3" \
    || status=$?
for db in "$MW_DB" "${MW_DB}_2" "${MW_DB}_3"; do
    db_psql -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
    rm -rf "$STATE/data/filestore/$db"
done
exit $status
