"""What the benchmark scripts share: a database environment rolled back at the end,
and a measure of wall time and SQL queries."""

import contextlib
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
def measure(cr, result):
    """Adds the wall seconds and SQL queries of the block to ``result``."""
    queries = cr.sql_log_count
    start = time.perf_counter()
    yield
    result["seconds"] = result.get("seconds", 0) + time.perf_counter() - start
    result["queries"] = result.get("queries", 0) + cr.sql_log_count - queries
