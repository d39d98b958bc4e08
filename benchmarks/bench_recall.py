"""Benchmark: a recall by lot among 1,000,000 stock move lines.

Makes (in SQL, rolled back at the end) N customers (default 10,000), a
product tracked by lot and M done move lines to customers (default
1,000,000): one delivery of the recalled lot to each customer, the others of
other lots and products to the same customers. 1 % of the recalled lot's
deliveries were returned before the crisis began (Odoo's return moves,
``origin_returned_move_id``): those customers are not affected.

Then, R times, each in its own transaction rolled back afterwards, as a
Crisis Manager (their own rights, no sudo), with the company's threshold as
shipped (2,000 customers):

- find: the *Add Affected Customers* wizard with the lot (its count and
  first matches, as the form shows them);
- add: *Add Customers* (the click: above the threshold it records a
  background job), then the job's scheduled action called until done, as one
  cron worker does; the job links the customers (``create()`` in batches) and
  records what each received (one ``INSERT ... SELECT`` per batch).

It prints wall seconds and SQL queries (per run, then medians), checks that
every affected customer got a line and a receipt and the returned ones none,
and PASS or FAIL against the target: find + add at most 10 s. The queries of
the find do not depend on N; the exit status is 1 when a target is missed.

    .venv/bin/python benchmarks/bench_recall.py -c .state/odoo.conf \\
        -d crisis_bench --n 10000 --move-lines 1000000 --runs 3
"""

import statistics
import sys
from datetime import timedelta

import benchlib

from odoo import Command, fields
from odoo.tools import SQL

MAX_SECONDS = 10.0
RETURNED_SHARE = 100  # one customer in 100 returned the unit before the crisis


def parse_args(argv):
    parser = benchlib.base_parser(__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--move-lines", type=int, default=1_000_000, help="done move lines (default 1000000)"
    )
    parser.add_argument("--max-seconds", type=float, default=MAX_SECONDS)
    return parser.parse_args(argv)


def prepare(env, n, move_lines):
    """The customers, the products and lots, the move lines; a crisis begun
    an hour ago; a Crisis Manager."""
    env.cr.execute("SET LOCAL synchronous_commit TO OFF")
    partners = (
        env["res.partner"]
        .with_context(tracking_disable=True)
        .create([{"name": f"Recall Customer {i:06d}"} for i in range(n)])
    )
    Product = env["product.product"]
    recalled = Product.create(
        {"name": "Kettle (benchmark)", "is_storable": True, "tracking": "lot"}
    )
    others = Product.create(
        [{"name": f"Other product {i}", "is_storable": True} for i in range(50)]
    )
    lot = env["stock.lot"].create({"name": "L-BENCH", "product_id": recalled.id})
    other_lots = env["stock.lot"].create(
        [{"name": f"L-OTHER-{i}", "product_id": recalled.id} for i in range(200)]
    )
    company = env.company
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    stock = warehouse.lot_stock_id
    customers = env.ref("stock.stock_location_customers")
    uom = recalled.uom_id
    env.flush_all()
    delivered_at = fields.Datetime.now() - timedelta(days=30)
    returned_at = fields.Datetime.now() - timedelta(days=2)
    partner_ids = partners.ids
    # one move and one move line per delivery: the recalled lot to each
    # customer first, then the others (another lot or product each)
    env.cr.execute(
        SQL(
            """
            CREATE TEMP TABLE bench_delivery ON COMMIT DROP AS
            SELECT g AS k,
                   (%(partners)s::int[])[1 + mod(g, %(n)s)] AS partner_id,
                   CASE WHEN g < %(n)s THEN %(recalled)s
                        WHEN mod(g, 2) = 0 THEN %(recalled)s
                        ELSE (%(others)s::int[])[1 + mod(g, 50)] END AS product_id,
                   CASE WHEN g < %(n)s THEN %(lot)s
                        WHEN mod(g, 2) = 0 THEN (%(other_lots)s::int[])[1 + mod(g, 200)]
                        ELSE NULL END AS lot_id
              FROM generate_series(0, %(total)s - 1) g
            """,
            partners=partner_ids,
            n=n,
            recalled=recalled.id,
            others=others.ids,
            lot=lot.id,
            other_lots=other_lots.ids,
            total=move_lines,
        )
    )
    env.cr.execute(
        SQL(
            """
            WITH moves AS (
                INSERT INTO stock_move (name, company_id, product_id, product_uom,
                       product_uom_qty, quantity, location_id, location_dest_id, partner_id,
                       origin, procure_method, state, date, picked)
                SELECT 'bench-' || d.k, %(company)s, d.product_id, %(uom)s, 1, 1, %(stock)s,
                       %(customers)s, d.partner_id, 'S' || lpad(d.k::text, 7, '0'),
                       'make_to_stock', 'done', %(date)s, TRUE
                  FROM bench_delivery d
                  ORDER BY d.k
             RETURNING id, name
            )
            INSERT INTO stock_move_line (move_id, company_id, product_id, product_uom_id,
                   lot_id, quantity, quantity_product_uom, location_id, location_dest_id,
                   state, date, picked, reference)
            SELECT moves.id, %(company)s, d.product_id, %(uom)s, d.lot_id, 1, 1, %(stock)s,
                   %(customers)s, 'done', %(date)s, TRUE, moves.name
              FROM moves JOIN bench_delivery d ON 'bench-' || d.k = moves.name
            """,
            company=company.id,
            uom=uom.id,
            stock=stock.id,
            customers=customers.id,
            date=delivered_at,
        )
    )
    # the returns before the crisis: one customer in RETURNED_SHARE
    env.cr.execute(
        SQL(
            """
            WITH returned AS (
                SELECT m.id, m.product_id, m.partner_id, ml.lot_id
                  FROM stock_move m JOIN stock_move_line ml ON ml.move_id = m.id
                 WHERE ml.lot_id = %(lot)s AND starts_with(m.name, 'bench-')
                   AND mod(substr(m.name, 7)::int, %(share)s) = 0
            ), moves AS (
                INSERT INTO stock_move (name, company_id, product_id, product_uom,
                       product_uom_qty, quantity, location_id, location_dest_id, partner_id,
                       procure_method, state, date, picked, origin_returned_move_id)
                SELECT 'bench-return-' || r.id, %(company)s, r.product_id, %(uom)s, 1, 1,
                       %(customers)s, %(stock)s, r.partner_id, 'make_to_stock', 'done',
                       %(date)s, TRUE, r.id
                  FROM returned r
             RETURNING id, product_id, origin_returned_move_id
            )
            INSERT INTO stock_move_line (move_id, company_id, product_id, product_uom_id,
                   lot_id, quantity, quantity_product_uom, location_id, location_dest_id,
                   state, date, picked)
            SELECT moves.id, %(company)s, moves.product_id, %(uom)s, %(lot)s, 1, 1,
                   %(customers)s, %(stock)s, 'done', %(date)s, TRUE
              FROM moves
            """,
            lot=lot.id,
            share=RETURNED_SHARE,
            company=company.id,
            uom=uom.id,
            stock=stock.id,
            customers=customers.id,
            date=returned_at,
        )
    )
    env.cr.execute("ANALYZE stock_move; ANALYZE stock_move_line; ANALYZE res_partner")
    env.cr.execute("SELECT COUNT(*) FROM stock_move_line WHERE state = 'done'")
    (done_lines,) = env.cr.fetchone()
    crisis = env["crisis.crisis"].create(
        {
            "name": "Kettles recalled (benchmark)",
            "severity": "high",
            "date_detected": fields.Datetime.now() - timedelta(hours=1),
        }
    )
    manager = env["res.users"].create(
        {
            "name": "Bench Recall Manager",
            "login": f"bench_recall_manager_{crisis.id}",
            "groups_id": [Command.set(env.ref("crisis_management.group_crisis_manager").ids)],
        }
    )
    return crisis, manager, lot, done_lines


def run_once(env, crisis_id, manager_id, lot_id):
    """find and add, as the Crisis Manager; {find: {...}, add: {...}, ...}"""
    env = env(user=manager_id)
    env.invalidate_all()
    result = {"find": {}, "add": {}}
    with benchlib.measure(env.cr, result["find"]):
        wizard = env["crisis.impact.wizard"].create(
            {
                "crisis_id": crisis_id,
                "selection_mode": "received",
                "received_lot_ids": [Command.set([lot_id])],
            }
        )
        matches = wizard.match_count
        wizard.match_partner_ids.mapped("display_name")
    with benchlib.measure(env.cr, result["add"]):
        wizard.action_add()
        job = env["crisis.impact.job"].sudo().search([("crisis_id", "=", crisis_id)])
        calls = 0
        while job.state in ("queued", "running"):
            job._crisis_run_due()
            calls += 1
        env.flush_all()
    crisis = env["crisis.crisis"].sudo().browse(crisis_id)
    result["matches"] = matches
    result["lines"] = len(crisis.impact_ids)
    result["receipts"] = (
        env["crisis.impact.receipt"].sudo().search_count([("crisis_id", "=", crisis_id)])
    )
    result["calls"] = calls
    result["job_state"] = job.state
    return result


def main(argv):
    args = parse_args(argv)
    with benchlib.rolled_back_env(args.config, args.database) as env:
        if "crisis.impact.receipt" not in env:
            sys.exit("crisis_management_stock is not installed in this database")
        print(f"preparing {args.n} customers and {args.move_lines} move lines...", flush=True)
        crisis, manager, lot, done_lines = prepare(env, args.n, args.move_lines)
        expected = args.n - len(range(0, args.n, RETURNED_SHARE))
        print(f"done move lines in the database: {done_lines}; affected expected: {expected}")
        results = []
        for run in range(1, args.runs + 1):
            env.cr.execute("SAVEPOINT bench_run")
            result = run_once(env, crisis.id, manager.id, lot.id)
            env.cr.execute("ROLLBACK TO SAVEPOINT bench_run")
            env.invalidate_all(flush=False)
            results.append(result)
            find, add = result["find"], result["add"]
            print(
                f"run {run}: find {find['seconds']:.2f} s {find['queries']} queries"
                f" | add {add['seconds']:.2f} s {add['queries']} queries ({result['calls']} job"
                f" calls) | total {find['seconds'] + add['seconds']:.2f} s"
                f" | {result['matches']} found, {result['lines']} lines,"
                f" {result['receipts']} receipts, job {result['job_state']}",
                flush=True,
            )
        find_s = statistics.median(r["find"]["seconds"] for r in results)
        add_s = statistics.median(r["add"]["seconds"] for r in results)
        total = statistics.median(r["find"]["seconds"] + r["add"]["seconds"] for r in results)
        find_q = statistics.median(r["find"]["queries"] for r in results)
        add_q = statistics.median(r["add"]["queries"] for r in results)
        print(
            f"median: find {find_s:.2f} s {find_q:g} queries | add {add_s:.2f} s {add_q:g}"
            f" queries | total {total:.2f} s"
        )
        correct = all(
            r["matches"] == r["lines"] == r["receipts"] == expected and r["job_state"] == "done"
            for r in results
        )
        passed = correct and total <= args.max_seconds
        print(
            f"{'PASS' if passed else 'FAIL'}: find + add {total:.2f} s"
            f" (target <= {args.max_seconds:g} s), every affected customer added with what"
            f" they received: {'yes' if correct else 'NO'}"
        )
        return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
