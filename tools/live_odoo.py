"""A real Odoo server and a real SMTP server, for the checks and benchmarks
that need more than one process: ``tools/multiworker_send.py`` (run by
``make test``) and ``benchmarks/bench_delivery.py``.

- ``CountingSink``: an SMTP server (``aiosmtpd``) on 127.0.0.1 that accepts
  every message and counts, per envelope recipient, what it accepted and
  when it accepted the last one; it keeps no message.
- ``OdooServer``: ``odoo-bin`` with workers and cron workers on a database,
  sending its emails to a sink (``--smtp``/``--smtp-port``), stopped with
  its whole process group.
- ``odoo_shell``: Python code run by ``odoo-bin shell`` on a database (to
  prepare one), its printed lines returned.
- ``login``: the external API (XML-RPC) as an integrator uses it.
"""

import collections
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import xmlrpc.client
from contextlib import closing

import psycopg2
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port(host=HOST):
    """A TCP port nobody listens on, on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class CountingSink:
    """An SMTP server that accepts everything and counts it.

    ``received[address]``: messages accepted for that envelope recipient;
    ``total``: envelopes recipients accepted; ``last_at``: ``time.time()`` of
    the last message accepted.
    """

    def __init__(self):
        self.received = collections.Counter()
        self.total = 0
        self.last_at = None
        self._lock = threading.Lock()
        self._controller = Controller(
            self, hostname=HOST, port=free_port(), server_hostname="sink.test"
        )

    @property
    def port(self):
        return self._controller.port

    def start(self):
        self._controller.start()
        return self

    def stop(self):
        self._controller.stop()

    def reset(self):
        with self._lock:
            self.received.clear()
            self.total = 0
            self.last_at = None

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        with self._lock:
            for address in envelope.rcpt_tos:
                self.received[address.lower()] += 1
            self.total += len(envelope.rcpt_tos)
            self.last_at = now
        return "250 2.0.0 Ok: queued"

    def duplicates(self):
        """{address: count} of the recipients who received more than one message."""
        with self._lock:
            return {address: count for address, count in self.received.items() if count > 1}

    def split(self):
        """({address: count} of the customers ``prepare_crisis`` made, and of
        everybody else: the crisis team's own notifications)."""
        with self._lock:
            received = dict(self.received)
        customers = {a: n for a, n in received.items() if CUSTOMER_ADDRESS.fullmatch(a)}
        others = {a: n for a, n in received.items() if a not in customers}
        return customers, others


def odoo_source():
    """The folder of Odoo's source this Python runs (``odoo-bin`` is in it)."""
    import odoo  # noqa: PLC0415 - only the benchmarks ask, and Odoo is long to import

    return os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))


def odoo_shell(odoo_bin, config, database, code, *options):
    """Run ``code`` in ``odoo-bin shell`` on ``database`` (with Odoo's command
    line ``options``); return its stdout lines.

    Raises ``SystemExit`` with Odoo's output when the shell fails.
    """
    result = subprocess.run(
        [sys.executable, odoo_bin, "shell", "-c", config, "-d", database, "--no-http"]
        + ["--log-level=warn", *options],
        input=code,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"odoo-bin shell failed on {database}")
    return result.stdout.splitlines()


# the addresses of the customers PREPARE makes
CUSTOMER_ADDRESS = re.compile(r"live\d+@example\.com")

PREPARE = """
import time
start = time.time()
env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
# the server's own SMTP settings (the sink) are the only ones
env["ir.mail_server"].search([]).active = False
env.company.crisis_send_background_threshold = 500
partners = env["res.partner"]
for offset in range(0, {customers}, 5000):
    partners |= env["res.partner"].create(
        [
            {{"name": f"Live customer {{i}}", "email": f"live{{i}}@example.com"}}
            for i in range(offset, min(offset + 5000, {customers}))
        ]
    )
    # written batch by batch: one flush of 100,000 contacts is very slow
    env.flush_all()
    env.cr.commit()
    env.invalidate_all()
crisis = env["crisis.crisis"].create(
    {{"name": "Live send", "public_statement": "<p>We are on it.</p>"}}
)
crisis.action_approve_statement()
env["crisis.impact"]._link_partners(crisis, partners.ids)
env.cr.commit()
print("PREPARED", crisis.id, len(crisis.impact_ids), round(time.time() - start, 1))
"""


def prepare_crisis(odoo_bin, config, database, customers):
    """Commit ``customers`` contacts with an email address each, and a crisis
    with an approved statement that affects them all, in ``database``;
    the only mail server is the one the server is started with.

    :return: (crisis id, number of affected customers)
    """
    lines = odoo_shell(odoo_bin, config, database, PREPARE.format(customers=customers))
    lines = [line for line in lines if line.startswith("PREPARED")]
    if not lines:
        raise SystemExit(f"preparing {database} failed")
    _tag, crisis_id, count, _seconds = lines[-1].split()
    return int(crisis_id), int(count)


def notify_all(call, crisis_id):
    """The crisis team's click: Notify Customers, every affected customer, the
    initial notice (through the external API, ``call`` of ``login``)."""
    values = {"crisis_id": crisis_id, "kind": "initial", "audience": "all"}
    wizard_id = call("crisis.notify.wizard", "create", values)
    call("crisis.notify.wizard", "action_send", [wizard_id])


class OdooServer:
    """``odoo-bin`` with ``workers`` HTTP workers and ``cron_threads`` cron
    workers on ``database``, its emails to ``smtp_port`` on 127.0.0.1."""

    def __init__(self, odoo_bin, config, database, logfile, workers=2, cron_threads=2, **opts):
        self.port = opts.get("port") or free_port()
        command = [
            sys.executable,
            odoo_bin,
            "-c",
            config,
            "-d",
            database,
            f"--http-port={self.port}",
            # a second server on the same machine: its own long-polling port
            f"--gevent-port={opts.get('gevent_port') or free_port()}",
            f"--workers={workers}",
            f"--max-cron-threads={cron_threads}",
            # the one request that builds Odoo's mass mailing is long
            "--limit-time-real=1800",
            "--limit-time-cpu=1800",
            f"--logfile={logfile}",
            "--log-level=info",
        ]
        if opts.get("smtp_port"):
            command += [f"--smtp={HOST}", f"--smtp-port={opts['smtp_port']}"]
        self.process = subprocess.Popen(command, start_new_session=True)
        proxy = xmlrpc.client.ServerProxy(f"http://{HOST}:{self.port}/xmlrpc/2/common")
        for _try in range(240):
            try:
                proxy.version()
                return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise SystemExit("the Odoo server did not start")

    @property
    def pid(self):
        return self.process.pid

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def login(port, database, user="admin", password="admin"):
    """(call, uid): ``call(model, method, *args, **kwargs)`` through XML-RPC as ``user``."""
    common = xmlrpc.client.ServerProxy(f"http://{HOST}:{port}/xmlrpc/2/common")
    uid = common.authenticate(database, user, password, {})
    models = xmlrpc.client.ServerProxy(f"http://{HOST}:{port}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *args, **kwargs):
        return models.execute_kw(database, uid, password, model, method, list(args), kwargs)

    return call, uid


def connect(dsn, **params):
    """An autocommit connection to PostgreSQL (``params`` override ``dsn``'s)."""
    connection = psycopg2.connect(dsn, **params)
    connection.autocommit = True
    return connection


def trigger_cron(dsn, xmlid):
    """Run the scheduled action ``xmlid`` now, as Odoo's ``ir.cron._trigger``
    does: a trigger row, and a notification on the ``postgres`` database, where
    the cron workers listen."""
    module, name = xmlid.split(".")
    with closing(connect(dsn)) as connection, connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ir_cron_trigger (cron_id, call_at, create_date, write_date)
            SELECT res_id, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC',
                   now() AT TIME ZONE 'UTC'
              FROM ir_model_data WHERE module = %s AND name = %s
            """,
            [module, name],
        )
        database = connection.info.dbname
    with closing(connect(dsn, dbname="postgres")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify('cron_trigger', %s)", [database])


def verdict(log, failures):
    """Log each of ``failures``, then PASS or FAIL: the exit status (0 or 1)."""
    for failure in failures:
        log(f"FAIL: {failure}")
    log("PASS" if not failures else "FAIL")
    return 1 if failures else 0
