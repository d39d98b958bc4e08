#!/usr/bin/env bash
# make run: serves Odoo with the addon and its demo data installed, in the
# foreground until Ctrl-C. PORT and DB choose the HTTP port and the database;
# UPDATE=1 upgrades the addon first. Its outgoing emails go to a local mail
# catcher (an SMTP server on 127.0.0.1 that keeps every email it is given in
# .state/mail, a Maildir): nothing leaves the machine, and every email the
# addon sends can be read there (MAIL_PORT chooses its port).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PORT=${PORT:-8069}
DB=${DB:-crisis}
MAIL_PORT=${MAIL_PORT:-$((PORT + 1000))}
MAILDIR=$STATE/mail

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
# the mail catcher: Odoo's outgoing emails land in $MAILDIR
mkdir -p "$MAILDIR/cur" "$MAILDIR/new" "$MAILDIR/tmp"
"$VENV/bin/python" -m aiosmtpd -n -l "127.0.0.1:$MAIL_PORT" -c aiosmtpd.handlers.Mailbox "$MAILDIR" \
    >>"$LOGS/mail-catcher.log" 2>&1 &
catcher=$!
trap 'kill "$catcher" 2>/dev/null || true; pg_stop' EXIT
say "outgoing emails: caught on 127.0.0.1:$MAIL_PORT, kept in $MAILDIR/new (one file per email)"
say "Odoo serves database $DB on http://localhost:$PORT (login admin / admin); Ctrl-C stops it"
"${odoo[@]}" --db-filter="^$DB\$" --http-port="$PORT" --gevent-port=$((PORT + 3)) \
    --smtp=127.0.0.1 --smtp-port="$MAIL_PORT" || true
