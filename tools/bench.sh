#!/usr/bin/env bash
# make bench: measures adding affected customers in bulk (the add-customers
# wizard against one raw SQL INSERT) in the database BENCH_DB, created with the
# addon and without demo data when missing, updated otherwise. Arguments go to the script:
#   bash tools/bench.sh --n 2000 --runs 5
# Everything the benchmark writes is rolled back: the database does not grow.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BENCH_DB=${BENCH_DB:-crisis_bench}

"$ROOT/tools/setup.sh"
source "$ROOT/tools/pg.sh"
pg_stop_on_exit
pg_start
write_odoo_conf

state=$(db_psql -d "$BENCH_DB" -c "SELECT state FROM ir_module_module WHERE name = '$ADDON'" 2>/dev/null || true)
if [ "$state" != installed ]; then
    say "creating database $BENCH_DB with $ADDON, without demo data (log: $LOGS/bench-install.log)"
    db_psql -d postgres -c "DROP DATABASE IF EXISTS \"$BENCH_DB\" WITH (FORCE)"
    rm -rf "$STATE/data/filestore/$BENCH_DB"
    "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$BENCH_DB" -i "$ADDON" \
        --without-demo=all --stop-after-init --logfile="$LOGS/bench-install.log" \
        || die "installing $ADDON failed (see $LOGS/bench-install.log)"
else
    # measure the code of this checkout, not the one the database was made with
    say "updating $ADDON in $BENCH_DB (log: $LOGS/bench-install.log)"
    "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$BENCH_DB" -u "$ADDON" \
        --stop-after-init --logfile="$LOGS/bench-install.log" \
        || die "updating $ADDON failed (see $LOGS/bench-install.log)"
fi

"$VENV/bin/python" "$ROOT/benchmarks/bench_add_customers.py" -c "$ODOO_CONF" -d "$BENCH_DB" "$@"
