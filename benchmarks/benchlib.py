"""What the benchmark scripts share: a database environment rolled back at the end,
a measure of wall time and SQL queries, and the options of the scripts that
compare our way with Odoo's."""

import argparse
import contextlib
import statistics
import time

import odoo
from odoo.modules.registry import Registry


@contextlib.contextmanager
def rolled_back_env(config, database):
    """A superuser environment on ``database``; nothing it writes is kept."""
    odoo.tools.config.parse_config(["-c", config, "-d", database], setup_logging=True)
    with Registry(database).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        try:
            yield env
        finally:
            # leave the database as it was: nothing of the benchmark is kept
            cr.rollback()
            env.invalidate_all(flush=False)


@contextlib.contextmanager
def own_transaction(env):
    """A superuser environment on a new cursor of ``env``'s database, rolled back.

    For measures that must not follow each other in one transaction: rows
    rolled back to a savepoint stay in the tables and indexes until the
    transaction ends, and slow down the next measure.
    """
    with env.registry.cursor() as cr:
        try:
            yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        finally:
            cr.rollback()


@contextlib.contextmanager
def measure(cr, result):
    """Adds the wall seconds and SQL queries of the block to ``result``."""
    queries = cr.sql_log_count
    start = time.perf_counter()
    yield
    result["seconds"] = result.get("seconds", 0) + time.perf_counter() - start
    result["queries"] = result.get("queries", 0) + cr.sql_log_count - queries


def base_parser(description, customers=10000):
    """The options every benchmark takes: the Odoo configuration file, the
    database, the number of customers and of runs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", default="crisis_bench", help="database to use")
    parser.add_argument(
        "--n", type=int, default=customers, help=f"customers (default {customers})"
    )
    parser.add_argument("--runs", type=int, default=3, help="measurements of each (default 3)")
    return parser


def comparison_args(argv, description, unit, max_ratio):
    """The options of a benchmark of ours against Odoo's own way, parsed.

    :param unit: what is sent (``email``, ``sms``): the option
        ``--max-queries-per-<unit>`` (``args.max_queries_per_<unit>``)
    :param max_ratio: the default target of ``--max-ratio`` (ours / Odoo's time)
    """
    parser = base_parser(description)
    parser.add_argument(
        "--max-ratio",
        type=float,
        default=max_ratio,
        help="target: time of ours / Odoo's composer",
    )
    parser.add_argument(
        f"--max-queries-per-{unit}",
        type=float,
        default=0.5,
        help=f"target: SQL queries of ours per {unit} queued",
    )
    parser.add_argument(
        "--profile", action="store_true", help="one extra cProfile run of each way"
    )
    parser.add_argument("--top", type=int, default=25, help="functions listed by --profile")
    args = parser.parse_args(argv)
    if args.n < 1 or args.runs < 1:
        parser.error("--n and --runs must be at least 1")
    return args


def fmt(result, count, unit):
    """A measure's seconds and queries, and its queries per ``unit``."""
    return (
        f"{result['seconds']:8.3f} s {result['queries']:7g} queries"
        f" ({result['queries'] / count:6.3f}/{unit})"
    )


def median_of(results, index, key):
    """The median of ``key`` of the ``index``-th measure of each run of ``results``."""
    return statistics.median(result[index][key] for result in results)


def medians(results, index):
    """{"seconds", "queries": median} of the ``index``-th measure of each run."""
    return {key: median_of(results, index, key) for key in ("seconds", "queries")}
