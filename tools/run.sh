#!/usr/bin/env bash
# make run: serves Odoo with the addon and its demo data installed, in the
# foreground until Ctrl-C. PORT and DB choose the HTTP port and the database;
# UPDATE=1 upgrades the addon first.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PORT=${PORT:-8069}
DB=${DB:-crisis}

"$ROOT/tools/setup.sh"
# PDF printing (the post-incident review): Odoo renders PDFs with wkhtmltopdf
if ! command -v wkhtmltopdf >/dev/null 2>&1; then
    if as_root && command -v apt-get >/dev/null 2>&1; then
        say "installing wkhtmltopdf (PDF reports) with apt-get"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends wkhtmltopdf; } >>"$LOGS/apt.log" 2>&1 \
            || say "could not install wkhtmltopdf (see $LOGS/apt.log): PDF printing is off"
    else
        say "wkhtmltopdf is missing: PDF printing is off (e.g. sudo apt-get install wkhtmltopdf)"
    fi
fi
source "$ROOT/tools/pg.sh"
pg_stop_on_exit
pg_start
write_odoo_conf

odoo=("$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$DB")
state=$(db_psql -d "$DB" -c "SELECT state FROM ir_module_module WHERE name = '$ADDON'" 2>/dev/null || true)
if [ "$state" != installed ]; then
    say "installing $APP_MODULES with demo data into database $DB (log: $LOGS/run-install.log)"
    "${odoo[@]}" -i "$APP_MODULES" --stop-after-init --logfile="$LOGS/run-install.log" \
        || die "installing $APP_MODULES failed (see $LOGS/run-install.log)"
elif [ "${UPDATE:-0}" = 1 ]; then
    say "updating $ADDON in database $DB (log: $LOGS/run-install.log)"
    "${odoo[@]}" -u "$ADDON" --stop-after-init --logfile="$LOGS/run-install.log" \
        || die "updating $ADDON failed (see $LOGS/run-install.log)"
fi
say "Odoo serves database $DB on http://localhost:$PORT (login admin / admin); Ctrl-C stops it"
"${odoo[@]}" --db-filter="^$DB\$" --http-port="$PORT" --gevent-port=$((PORT + 3)) || true
