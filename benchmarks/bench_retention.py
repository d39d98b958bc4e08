"""Benchmark: the retention of a crisis over N customers (default 100,000) and
their 2,000,000 order lines.

Creates N customers (SQL), their confirmed sales orders of the main company
(SQL ``INSERT ... SELECT generate_series``: 4 lines per order by default,
spread over the year before the declaration and the 90 days since, some in a
foreign currency), and a crisis declared 90 days ago with ``--affected``
customers linked (through the ORM). Then, R times, each in a savepoint rolled
back afterwards:

- retention: ``crisis.crisis._crisis_compute_retention()`` (one aggregate
  query over every customer of the company, the binning in Python, the
  snapshot written);
- churn: ``_crisis_compute_sale_churn()`` (the affected customers who stopped
  ordering flagged, their follow-up activities made);
- ordered: the *Add Affected Customers* selection by ordered products (one
  product of ten, over the 2,000,000 lines): the wizard's count.

It prints wall seconds and SQL queries of each (per run, then medians).
Target: the retention at most 5 s.

    .venv/bin/python benchmarks/bench_retention.py -c .state/odoo.conf \\
        -d crisis_bench --n 100000 --order-lines 2000000 --runs 3
"""

import contextlib
import statistics
import sys
import time
from datetime import timedelta

import benchlib

from odoo import Command, fields
from odoo.tools import SQL

MAX_RETENTION_SECONDS = 5.0
LINES_PER_ORDER = 4
PRODUCTS = 10


def prepare(env, n, order_lines, affected):
    """N customers, their orders, a crisis declared 90 days ago with
    ``affected`` of them; returns (crisis, a product)."""
    cr = env.cr
    company = env.ref("base.main_company")
    now = fields.Datetime.now()
    t0 = now - timedelta(days=90)
    products = env["product.product"].create(
        [{"name": f"Bench product {i}", "type": "consu"} for i in range(PRODUCTS)]
    )
    eur = env.ref("base.EUR")
    eur.active = True
    env.flush_all()
    # the required columns of the installed modules (accounting's autopost_bills)
    extra = {"autopost_bills": "ask"} if "autopost_bills" in env["res.partner"]._fields else {}
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, complete_name, active, type, is_company,
                                     create_date, write_date, create_uid, write_uid %s)
            SELECT 'Bench customer ' || g, 'Bench customer ' || g, TRUE, 'contact', TRUE,
                   now(), now(), 1, 1 %s
              FROM generate_series(1, %s) g
            RETURNING id
            """,
            SQL("").join(SQL(", %s", SQL.identifier(name)) for name in extra),
            SQL("").join(SQL(", %s", value) for value in extra.values()),
            n,
        )
    )
    partner_ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [partner_ids]
    )
    orders = max(order_lines // LINES_PER_ORDER, 1)
    # the orders of each customer at random moments of the 455 days to now;
    # one in ten in euros (rate 2: a euro counts half a dollar)
    cr.execute(
        SQL(
            """
            INSERT INTO sale_order (name, company_id, partner_id, partner_invoice_id,
                                    partner_shipping_id, date_order, state, currency_id,
                                    currency_rate, amount_untaxed, amount_tax, amount_total,
                                    create_date, write_date, create_uid, write_uid)
            SELECT 'BENCH' || g, %(company)s, p.id, p.id, p.id,
                   %(start)s + random() * (%(now)s - %(start)s),
                   'sale', CASE WHEN mod(g, 10) = 0 THEN %(eur)s ELSE %(usd)s END,
                   CASE WHEN mod(g, 10) = 0 THEN 2.0 ELSE 1.0 END,
                   round((10 + random() * 490)::numeric, 2), 0, 0, now(), now(), 1, 1
              FROM generate_series(1, %(orders)s) g
              JOIN LATERAL (
                   SELECT (%(partners)s)[1 + floor(random() * %(n)s)::int + g * 0] AS id
                   ) p ON TRUE
            """,
            company=company.id,
            start=t0 - timedelta(days=365),
            now=now,
            eur=eur.id,
            usd=company.currency_id.id,
            orders=orders,
            partners=partner_ids,
            n=n,
        )
    )
    cr.execute(
        SQL(
            """
            INSERT INTO sale_order_line (order_id, name, product_id, product_uom_qty,
                                         price_unit, price_subtotal, customer_lead,
                                         company_id, currency_id, order_partner_id, state,
                                         create_date, write_date, create_uid, write_uid)
            SELECT so.id, 'Bench line', (%(products)s)[1 + mod(so.id + k, %(count)s)], 1,
                   so.amount_untaxed / %(per_order)s, so.amount_untaxed / %(per_order)s, 0,
                   so.company_id, so.currency_id, so.partner_id, 'sale', now(), now(), 1, 1
              FROM sale_order so, generate_series(1, %(per_order)s) k
             WHERE left(so.name, 5) = 'BENCH'
            """,
            products=products.ids,
            count=PRODUCTS,
            per_order=LINES_PER_ORDER,
        )
    )
    cr.execute("ANALYZE res_partner; ANALYZE sale_order; ANALYZE sale_order_line")
    env.invalidate_all()
    crisis = env["crisis.crisis"].create(
        {"name": "Kettles recalled (retention benchmark)", "date_declared": t0}
    )
    agent = env["res.users"].create(
        {
            "name": "Bench Agent",
            "login": f"bench_retention_agent_{crisis.id}",
            "groups_id": [Command.set(env.ref("crisis_management.group_crisis_user").ids)],
        }
    )
    env["crisis.impact"]._link_partners(crisis, partner_ids[:affected], user=agent)
    env.flush_all()
    return crisis, products[0]


def one_run(env, crisis_id, product_id):
    """The retention, the churn warnings and the ordered selection, measured."""
    retention, churn, ordered = {}, {}, {}
    crisis = env["crisis.crisis"].browse(crisis_id)
    with benchlib.measure(env.cr, retention):
        crisis._crisis_compute_retention()
        env.flush_all()
    with benchlib.measure(env.cr, churn):
        crisis._crisis_compute_sale_churn()
        env.flush_all()
    wizard = env["crisis.impact.wizard"].create(
        {"crisis_id": crisis_id, "selection_mode": "ordered"}
    )
    with benchlib.measure(env.cr, ordered):
        wizard.ordered_product_ids = [Command.set([product_id])]
        ordered["count"] = wizard.match_count
    return retention, churn, ordered


def fmt(result):
    return f"{result['seconds']:8.3f} s {result['queries']:5g} queries"


def main(argv=None):
    parser = benchlib.base_parser(__doc__.split("\n", 1)[0], customers=100000)
    parser.add_argument(
        "--order-lines", type=int, default=2000000, help="order lines (default 2,000,000)"
    )
    parser.add_argument(
        "--affected", type=int, default=10000, help="affected customers (default 10,000)"
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.runs < 1 or args.order_lines < LINES_PER_ORDER:
        parser.error("--n and --runs must be at least 1, --order-lines at least 4")
    affected = min(args.affected, args.n)
    problems = []
    with benchlib.rolled_back_env(args.config, args.database) as env:
        print(
            f"Creating {args.n} customers, {args.order_lines} order lines and a crisis "
            f"with {affected} affected customers",
            flush=True,
        )
        start = time.perf_counter()
        crisis, product = prepare(env, args.n, args.order_lines, affected)
        print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)
        results = []
        for number in range(1, args.runs + 1):
            with contextlib.closing(env.cr.savepoint()):
                retention, churn, ordered = one_run(env, crisis.id, product.id)
                figures = crisis.read(
                    [
                        "retention_affected_pct",
                        "retention_control_pct",
                        "retention_diff_points",
                        "retention_affected_count",
                        "retention_control_count",
                        "sale_churn_count",
                    ]
                )[0]
            env.invalidate_all(flush=False)
            results.append((retention, churn, ordered))
            print(
                f"run {number} retention {fmt(retention)} | churn {fmt(churn)} | "
                f"ordered selection {fmt(ordered)} ({ordered['count']} customers)",
                flush=True,
            )
            if not figures["retention_affected_count"]:
                problems.append(f"run {number}: no affected customer compared")
        medians = [
            {
                k: statistics.median(result[i][k] for result in results)
                for k in ("seconds", "queries")
            }
            for i in range(3)
        ]
        print(f"\nMedians over {args.runs} runs, {args.n} customers, {args.order_lines} lines:")
        print(f"  retention         {fmt(medians[0])}")
        print(f"  churn warnings    {fmt(medians[1])}")
        print(f"  ordered selection {fmt(medians[2])}")
        print(
            f"Figures (last run): {figures['retention_affected_count']} affected customers "
            f"kept {figures['retention_affected_pct']:.1f} %, "
            f"{figures['retention_control_count']} comparable ones "
            f"{figures['retention_control_pct']:.1f} %: "
            f"{figures['retention_diff_points']:+.1f} points; "
            f"{figures['sale_churn_count']} customers stopped ordering"
        )
        if medians[0]["seconds"] > MAX_RETENTION_SECONDS:
            problems.append(f"the retention took {medians[0]['seconds']:.2f} s")
    if problems:
        print("\nFAIL:\n  " + "\n  ".join(problems))
        return 1
    print(f"\nPASS: the retention at most {MAX_RETENTION_SECONDS} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
