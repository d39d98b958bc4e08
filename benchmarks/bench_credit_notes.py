"""Benchmark: deliver N approved refunds as customer credit notes.

Creates N contacts, a crisis (not a drill) with each of them as an affected
customer, and an approved refund of 20.00 (company currency) for each
(``crisis.compensation._propose_to``, then approved). The company's credit
note product is a service with the company's default sales tax, so that
each line has a tax. Then, R times, each inside a savepoint rolled back
afterwards, as the administrator (their own invoicing rights, no sudo):

- draft: ``_crisis_make_credit_notes(post=False)``: one draft credit note
  per compensation, made by ``create()`` in batches, with the compensation's
  message; then ``env.flush_all()``;
- posted: ``_crisis_make_credit_notes(post=True)``: the same, posted
  (``action_post``), which delivers the compensations;
- grouped: ``group=True``, draft: one credit note per customer (here a
  compensation each: the same count, to compare the cost of the grouping).

That is what the Deliver button of the list, and each batch of the
background job, does. It prints wall seconds and SQL queries (per run, then
medians) and per compensation, and checks each run made N credit notes whose
total is the compensation's amount (within a cent a line: the tax is not
included in the price). Nothing is kept.

Run it on a database where ``crisis_management_account`` is installed with an
accounting (a chart of accounts for the main company):

    .venv/bin/python benchmarks/bench_credit_notes.py -c /tmp/odoo_NAME.conf \\
        -d crisis_dev_NAME --n 1000 --runs 3
"""

import argparse
import contextlib
import statistics
import sys
import time

import benchlib

from odoo import Command, fields

AMOUNT = 20.0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", default="crisis_bench", help="database to use")
    parser.add_argument("--n", type=int, default=1000, help="compensations (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="measurements of each (default 3)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.runs < 1:
        parser.error("--n and --runs must be at least 1")
    return args


def prepare(env, n):
    """N approved refunds of a crisis of the main company; returns them."""
    company = env.ref("base.main_company")
    journal = env["account.journal"].search(
        [*env["account.journal"]._check_company_domain(company), ("type", "=", "sale")], limit=1
    )
    if not journal:
        sys.exit("The main company has no sales journal: install a chart of accounts first.")
    tax = company.account_sale_tax_id
    product = env["product.product"].create(
        {
            "name": "Crisis refund (benchmark)",
            "type": "service",
            "list_price": 0.0,
            "taxes_id": [Command.set(tax.ids)],
        }
    )
    company.write(
        {
            "crisis_credit_note_product_id": product.id,
            "crisis_credit_note_journal_id": journal.id,
        }
    )
    partners = (
        env["res.partner"]
        .with_context(tracking_disable=True)
        .create([{"name": f"Refunded Customer {i:05d}"} for i in range(1, n + 1)])
    )
    crisis = env["crisis.crisis"].create({"name": "Billing run charged twice", "severity": "high"})
    impacts = env["crisis.impact"]._link_partners(crisis, partners.ids)
    compensations = env["crisis.compensation"]._propose_to(
        impacts, {"type": "refund", "amount": AMOUNT, "currency_id": company.currency_id.id}
    )
    # the superuser's environment: approved directly, as the workflow would
    compensations.write(
        {
            "state": "approved",
            "approved_by_id": env.uid,
            "date_approved": fields.Datetime.now(),
        }
    )
    env.flush_all()
    return compensations, tax


def run(compensations, **options):
    compensations.env.invalidate_all()
    moves = compensations._crisis_make_credit_notes(**options)
    compensations.env.flush_all()
    return moves


def check(moves, compensations, posted, problems, label):
    if len(moves) != len(compensations):
        problems.append(f"{label}: {len(moves)} credit notes for {len(compensations)}")
    wrong = [m for m in moves if abs(m.amount_total - AMOUNT) > 0.011]
    if wrong:
        problems.append(f"{label}: {len(wrong)} credit notes of another total than {AMOUNT}")
    states = set(compensations.mapped("state"))
    expected = {"delivered"} if posted else {"approved"}
    if states != expected:
        problems.append(f"{label}: compensations {states}, expected {expected}")


def fmt(result, n):
    return (
        f"{result['seconds']:8.3f} s {result['queries']:7g} queries"
        f" ({result['seconds'] * 1000 / n:6.2f} ms, {result['queries'] / n:5.2f} queries"
        " per compensation)"
    )


def main(argv=None):
    args = parse_args(argv)
    n = args.n
    problems = []
    ways = {
        "draft": {"post": False, "group": False},
        "posted": {"post": True, "group": False},
        "grouped": {"post": False, "group": True},
    }
    with benchlib.rolled_back_env(args.config, args.database) as env:
        cr = env.cr
        print(f"Creating {n} customers, a crisis and {n} approved refunds", flush=True)
        start = time.perf_counter()
        compensations, tax = prepare(env, n)
        print(
            f"  done in {time.perf_counter() - start:.1f} s (tax on each line: "
            f"{tax.display_name or 'none'})",
            flush=True,
        )
        admin = env.ref("base.user_admin")
        as_admin = compensations.with_user(admin)
        results = {way: [] for way in ways}
        for number in range(1, args.runs + 1):
            for way, options in ways.items():
                result = {}
                # closing() rolls the savepoint back: each run starts from the same data
                with contextlib.closing(cr.savepoint()):
                    with benchlib.measure(cr, result):
                        moves = run(as_admin, **options)
                    check(moves, as_admin, options["post"], problems, f"{way} run {number}")
                env.invalidate_all(flush=False)
                results[way].append(result)
                print(f"run {number} {way:8s} {fmt(result, n)}", flush=True)
        print(f"\nMedians over {args.runs} runs, {n} compensations:")
        for way, runs in results.items():
            median = {
                "seconds": statistics.median(r["seconds"] for r in runs),
                "queries": statistics.median(r["queries"] for r in runs),
            }
            print(f"  {way:8s} {fmt(median, n)}")
    if problems:
        print("\nFAIL:\n  " + "\n  ".join(problems))
        return 1
    print("\nPASS: every run made one credit note per compensation, of its amount")
    return 0


if __name__ == "__main__":
    sys.exit(main())
