"""pytest plugin: a test fails when it logs a WARNING, ERROR or CRITICAL record.

Odoo's own test runner does the same for errors. Records a test expects, caught
with ``assertLogs``, do not reach this handler. The expressions that
``checklog-odoo`` ignores in the logs of ``make test`` (``checklog-odoo.cfg``)
apply here too.

Each test also runs with ``odoo.modules.module.current_test`` naming its addon,
as under Odoo's own runner (``odoo-bin --test-enable``): Odoo then neither
connects to an SMTP server nor sends (``ir.mail_server``), nor calls other
outside services. A test that must reach a real server (``SMTPSinkCase``)
turns it off around that call.
"""

import logging
import re
from pathlib import Path

import pytest
from checklog_odoo.config import ChecklogConfig

CONFIG = Path(__file__).resolve().parent.parent / "checklog-odoo.cfg"
IGNORED = [
    re.compile(expression)
    for expression in ChecklogConfig(str(CONFIG)).getlist("checklog-odoo", "ignore")
    if not expression.startswith("#")
]


def is_ignored(logger_name, message):
    text = f"{logger_name}: {message}"
    return any(pattern.search(text) for pattern in IGNORED)


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        if not is_ignored(record.name, record.getMessage()):
            self.records.append(record)


_collector = _Collector()


def _not_the_import_warning(record):
    # pytest-odoo imports odoo.tests before it turns Odoo's test mode on (it
    # must: test mode at registry load would run every addon's tests), so Odoo
    # logs that its test framework is imported outside test mode. It is.
    return not record.getMessage().startswith("Importing test framework, avoid importing")


logging.getLogger("odoo.tests.common").addFilter(_not_the_import_warning)


def pytest_sessionstart(session):
    logging.getLogger().addHandler(_collector)


def pytest_sessionfinish(session, exitstatus):
    logging.getLogger().removeHandler(_collector)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    _collector.records.clear()
    result = yield
    records, _collector.records = _collector.records, []
    if records:
        lines = "\n".join(f"  {r.levelname} {r.name}: {r.getMessage()}" for r in records)
        raise AssertionError(f"warnings or errors were logged during the test:\n{lines}")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    # imported here: the plugin loads before pytest-odoo has set Odoo up
    from odoo.modules import module as odoo_module  # noqa: PLC0415

    previous = odoo_module.current_test
    # odoo.addons.<addon>.tests.test_x: the addon, as Odoo's runner names it
    parts = item.module.__name__.split(".")
    odoo_module.current_test = parts[2] if parts[:2] == ["odoo", "addons"] else parts[0]
    try:
        return (yield)
    finally:
        odoo_module.current_test = previous
