#!/usr/bin/env bash
# make bench: the benchmarks of benchmarks/, in the database BENCH_DB (created
# with the addon and without demo data when missing, else updated once to this
# checkout's code), one after the other:
#   add_customers  bench_add_customers.py: the add-customers wizard against one
#                  raw SQL INSERT (10,000 customers)
#   notify         bench_notify.py: emailing 10,000 affected customers through
#                  the notify wizard against Odoo's mass-mail composer
#   crons          bench_crons.py: the six crons of the module, 1,000 crises and
#                  20,000 affected customers with due work
#   signals        bench_signals.py: the early-warning rules over many tickets
#   calls          bench_calls.py: call campaigns of 1,000 and 10,000 customers
#   propose        bench_propose.py: a compensation proposed to 50,000 customers:
#                  the click, then the background job
#   sms            bench_sms.py: 10,000 SMS against Odoo's sms.composer (SMS bridge)
#   credit_notes   bench_credit_notes.py: 1,000 compensations delivered as credit
#                  notes (accounting bridge)
#   gift_cards     bench_gift_cards.py: 1,000 gift cards issued (loyalty bridge)
#   recall         bench_recall.py: a recall by lot among 1,000,000 stock move
#                  lines, 10,000 customers found and added (stock bridge)
#   retention      bench_retention.py: the retention figures, churn warnings and
#                  the ordered-products selection over 100,000 customers and
#                  2,000,000 order lines (sale bridge)
#   delivery       bench_delivery.py: 20,000 emails from the click to the last one
#                  accepted by a real SMTP server, on real odoo-bin servers with
#                  1 and 2 cron workers, against Odoo's composer + mail queue
#                  (about an hour with --runs 3; it copies the database, and
#                  drops its copies)
# A bridge module a picked benchmark measures is installed (or updated) first.
# BENCH_SCRIPTS picks some of them (default: all, in that order); the
# arguments go to each script picked (all take -c, -d, --n and --runs; see
# their --help), so give script-specific ones with a single script:
#   bash tools/bench.sh --runs 5
#   BENCH_SCRIPTS=notify bash tools/bench.sh --n 2000 --profile
#   make bench BENCH_SCRIPTS="notify crons" BENCH_ARGS="--runs 1"
# A failed script does not stop the others; the exit status is 1 when one failed.
# Everything the benchmarks write is rolled back (delivery works on copies it
# drops): the database does not grow.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BENCH_DB=${BENCH_DB:-crisis_bench}
BENCH_SCRIPTS=${BENCH_SCRIPTS:-add_customers notify crons signals calls propose sms credit_notes gift_cards recall retention delivery}

"$ROOT/tools/setup.sh"
source "$ROOT/tools/pg.sh"
pg_stop_on_exit
pg_start
write_odoo_conf

state=$(db_psql -d "$BENCH_DB" -c "SELECT state FROM ir_module_module WHERE name = '$ADDON'" 2>/dev/null || true)
if [ "$state" != installed ]; then
    say "creating database $BENCH_DB with $APP_MODULES, without demo data (log: $LOGS/bench-install.log)"
    db_psql -d postgres -c "DROP DATABASE IF EXISTS \"$BENCH_DB\" WITH (FORCE)"
    rm -rf "$STATE/data/filestore/$BENCH_DB"
    "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$BENCH_DB" -i "$APP_MODULES" \
        --without-demo=all --stop-after-init --logfile="$LOGS/bench-install.log" \
        || die "installing $APP_MODULES failed (see $LOGS/bench-install.log)"
else
    # measure the code of this checkout, not the one the database was made with
    say "updating $ADDON in $BENCH_DB (log: $LOGS/bench-install.log)"
    "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$BENCH_DB" -u "$ADDON" \
        --stop-after-init --logfile="$LOGS/bench-install.log" \
        || die "updating $ADDON failed (see $LOGS/bench-install.log)"
fi

# the benchmarks of a bridge module measure it: installed, or updated, when asked for
declare -A BRIDGE_OF=(
    [sms]=crisis_management_sms
    [credit_notes]=crisis_management_account
    [gift_cards]=crisis_management_loyalty
    [recall]=crisis_management_stock
    [retention]=crisis_management_sale
)
for name in $BENCH_SCRIPTS; do
    bridge=${BRIDGE_OF[$name]:-}
    [ -n "$bridge" ] || continue
    bridge_state=$(db_psql -d "$BENCH_DB" -c "SELECT state FROM ir_module_module WHERE name = '$bridge'" || true)
    [ "$bridge_state" = installed ] && bridge_mode=-u || bridge_mode=-i
    say "$([ "$bridge_mode" = -i ] && echo installing || echo updating) $bridge in $BENCH_DB (log: $LOGS/bench-install.log)"
    "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$BENCH_DB" "$bridge_mode" "$bridge" \
        --without-demo=all --stop-after-init --logfile="$LOGS/bench-install.log" \
        || die "installing $bridge failed (see $LOGS/bench-install.log)"
done

scripts=()
for name in $BENCH_SCRIPTS; do
    [ -f "$ROOT/benchmarks/bench_$name.py" ] || die "no benchmark $name (benchmarks/bench_$name.py)"
    scripts+=("$name")
done

failed=()
for name in "${scripts[@]}"; do
    say "benchmark $name (benchmarks/bench_$name.py)"
    "$VENV/bin/python" "$ROOT/benchmarks/bench_$name.py" -c "$ODOO_CONF" -d "$BENCH_DB" "$@" \
        || failed+=("$name")
done
if [ ${#failed[@]} -gt 0 ]; then
    say "failed: ${failed[*]}"
    exit 1
fi
