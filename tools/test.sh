#!/usr/bin/env bash
# make test: lint, then install the addon and its bridges (with the Odoo apps
# they bridge to) into a fresh database, check a large
# send on a real multi-worker Odoo (tools/multiworker_send.sh), and run every
# test (browser tours included) with pytest-odoo. Non-zero on any failure;
# the last line printed is pytest's summary.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
TEST_DB=${TEST_DB:-crisis_test}

"$ROOT/tools/setup.sh"
"$ROOT/tools/lint.sh"

source "$ROOT/tools/pg.sh"
pg_stop_on_exit
pg_start
write_odoo_conf
MODULES=$(IFS=,; echo "$ADDON,${MODULES_BESIDE[*]}")

say "installing $MODULES into a fresh database $TEST_DB (log: $LOGS/test-install.log)"
db_psql -d postgres -c "DROP DATABASE IF EXISTS \"$TEST_DB\" WITH (FORCE)"
rm -rf "$STATE/data/filestore/$TEST_DB"
"$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$TEST_DB" -i "$MODULES" \
    --stop-after-init --log-level=info --logfile="$LOGS/test-install.log" \
    || die "installing $MODULES failed (see $LOGS/test-install.log)"
"$VENV/bin/checklog-odoo" -c "$ROOT/checklog-odoo.cfg" --no-echo "$LOGS/test-install.log" \
    || die "installing $MODULES logged warnings or errors"

# a large send on a real multi-worker Odoo, a cron worker killed mid-batch
"$ROOT/tools/multiworker_send.sh" --customers 5000 || die "the multi-worker send check failed (see above and $LOGS/multiworker.log)"

# a database of the release 18.0.1.5.0 upgraded with this checkout, nothing lost
"$ROOT/tools/upgrade_check.sh" || die "the upgrade check failed (see above and $LOGS/upgrade.log)"

say "running the tests"
cd "$ROOT"
PYTHONPATH="$ROOT/tools${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/python" -m pytest \
    -p pytest_checklog --odoo-config="$ODOO_CONF" --odoo-database="$TEST_DB" --odoo-http \
    --odoo-log-level=warn -p no:cacheprovider "$@" "$ADDON/tests" "${MODULES_BESIDE[@]/%//tests}"
