"""A large customer update on a real multi-worker Odoo, with a cron worker killed.

Run by tools/multiworker_send.sh (``make test`` calls it after the unit tests):
an Odoo server with ``--workers 2 --max-cron-threads 2`` serves a database
holding one crisis with N affected customers (20,000 by default). The send is
queued through Odoo's external API (XML-RPC) as an integrator would; while the
cron workers email it in batches, the one in the middle of a batch is killed
with SIGKILL. The server starts a new worker; the send must complete with each
customer emailed exactly once and the update *Sent* with the right counts.

Prints its figures, then PASS or FAIL (exit status 1).
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import xmlrpc.client

import psycopg2


def log(message):
    print(f"[multiworker] {message}", flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--odoo-bin", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--timeout", type=int, default=900, help="seconds for the whole send")
    parser.add_argument("--logfile", required=True)
    parser.add_argument("--cron-threads", type=int, default=2, help="cron workers (default 2)")
    parser.add_argument("--no-kill", action="store_true", help="measure only: kill no cron worker")
    parser.add_argument("--dsn", required=True, help="libpq connection string of the database")
    return parser.parse_args()


PREPARE = """
import time
start = time.time()
env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
# the emails stay in the queue: this measures making them, not an SMTP server
env.ref("mail.ir_cron_mail_scheduler_action").active = False
company = env.company
company.crisis_send_background_threshold = 500
partners = env["res.partner"]
for offset in range(0, {customers}, 5000):
    partners |= env["res.partner"].create(
        [
            {{"name": f"Multiworker customer {{i}}", "email": f"mw{{i}}@example.com"}}
            for i in range(offset, min(offset + 5000, {customers}))
        ]
    )
    # written batch by batch: one flush of 100,000 contacts is very slow
    env.flush_all()
    env.cr.commit()
    env.invalidate_all()
crisis = env["crisis.crisis"].create(
    {{"name": "Multi-worker send", "public_statement": "<p>We are on it.</p>"}}
)
crisis.action_approve_statement()
env["crisis.impact"]._link_partners(crisis, partners.ids)
env.cr.commit()
print("PREPARED", crisis.id, len(crisis.impact_ids), round(time.time() - start, 1))
"""


def prepare(args):
    started = time.time()
    result = subprocess.run(
        [
            sys.executable,
            args.odoo_bin,
            "shell",
            "-c",
            args.config,
            "-d",
            args.db,
            "--no-http",
            "--log-level=warn",
        ],
        input=PREPARE.format(customers=args.customers),
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("PREPARED")]
    if result.returncode or not lines:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit("preparing the database failed")
    _tag, crisis_id, count, _seconds = lines[-1].split()
    log(f"prepared {count} affected customers in {time.time() - started:.1f} s")
    return int(crisis_id)


def start_server(args):
    command = [
        sys.executable,
        args.odoo_bin,
        "-c",
        args.config,
        "-d",
        args.db,
        f"--http-port={args.port}",
        "--workers=2",
        f"--max-cron-threads={args.cron_threads}",
        "--limit-time-real=600",
        "--limit-time-cpu=600",
        f"--logfile={args.logfile}",
        "--log-level=info",
    ]
    server = subprocess.Popen(command, start_new_session=True)
    proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{args.port}/xmlrpc/2/common")
    for _try in range(120):
        try:
            proxy.version()
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("the Odoo server did not start")


def queue_send(args, crisis_id):
    """Notify every customer, through the external API, as the administrator."""
    common = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{args.port}/xmlrpc/2/common")
    uid = common.authenticate(args.db, "admin", "admin", {})
    models = xmlrpc.client.ServerProxy(
        f"http://127.0.0.1:{args.port}/xmlrpc/2/object", allow_none=True
    )
    started = time.time()
    wizard_id = models.execute_kw(
        args.db,
        uid,
        "admin",
        "crisis.notify.wizard",
        "create",
        [{"crisis_id": crisis_id, "kind": "initial", "audience": "all"}],
    )
    models.execute_kw(args.db, uid, "admin", "crisis.notify.wizard", "action_send", [[wizard_id]])
    return time.time() - started


def progress(cursor, crisis_id):
    cursor.execute(
        """
        SELECT update.id, update.state, update.total_count,
               -- emails made and handed to Odoo's mail queue (whatever the mail
               -- server answered since: this check runs no mail server)
               COUNT(*) FILTER (WHERE recipient.email_state IS NOT NULL),
               COUNT(*) FILTER (WHERE recipient.state = 'pending')
          FROM crisis_update update
          JOIN crisis_update_recipient recipient ON recipient.update_id = update.id
         WHERE update.crisis_id = %s
      GROUP BY update.id
        """,
        [crisis_id],
    )
    return cursor.fetchone()


def worker_in_a_batch(cursor, server_pid):
    """The pid of a cron worker of this server holding a batch of recipients.

    PostgreSQL tells which connection holds the batch (``pg_locks``) and its
    client port; ``ss`` tells which local process owns that port (Odoo's
    workers inherit the server's ``application_name``, so it cannot tell).
    """
    cursor.execute(
        """
        SELECT DISTINCT activity.client_port
          FROM pg_locks lock
          JOIN pg_stat_activity activity ON activity.pid = lock.pid
         WHERE lock.relation = 'crisis_update_recipient'::regclass
           AND lock.mode = 'RowShareLock'
           AND activity.client_port IS NOT NULL
        """
    )
    ports = {row[0] for row in cursor.fetchall()}
    if not ports:
        return None
    sockets = subprocess.run(
        ["ss", "-tnpH"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    for line in sockets:
        parts = line.split()
        if len(parts) < 6 or "pid=" not in line:
            continue
        local_port = int(parts[3].rsplit(":", 1)[1])
        if local_port in ports:
            pid = int(line.split("pid=", 1)[1].split(",", 1)[0])
            if pid != server_pid:
                return pid
    return None


def check(cursor, crisis_id, customers):
    cursor.execute(
        """
        SELECT COUNT(*), MIN(count), MAX(count)
          FROM (SELECT message.res_id, COUNT(*) AS count
                  FROM mail_mail mail
                  JOIN mail_message message ON message.id = mail.mail_message_id
                  JOIN crisis_impact impact ON impact.id = message.res_id
                 WHERE message.model = 'crisis.impact' AND impact.crisis_id = %s
              GROUP BY message.res_id) AS per_line
        """,
        [crisis_id],
    )
    lines, least, most = cursor.fetchone()
    failures = []
    if lines != customers:
        failures.append(f"{lines} customers emailed, {customers} expected")
    if (least, most) != (1, 1):
        failures.append(f"emails per customer between {least} and {most}, 1 expected")
    return failures


def main():
    args = parse_args()
    crisis_id = prepare(args)
    server = start_server(args)
    failures = []
    killed = None
    try:
        click = queue_send(args, crisis_id)
        log(f"Send clicked: the call returned in {click:.2f} s")
        started = time.time()
        connection = psycopg2.connect(args.dsn)
        connection.autocommit = True
        cursor = connection.cursor()
        state = None
        while time.time() - started < args.timeout:
            row = progress(cursor, crisis_id)
            if row:
                _update_id, state, total, _sent, pending = row
                if state == "sent":
                    break
                if not args.no_kill and killed is None and total and pending < total * 0.8:
                    pid = worker_in_a_batch(cursor, server.pid)
                    if pid:
                        os.kill(pid, signal.SIGKILL)
                        killed = pid
                        log(f"killed cron worker {pid} mid-batch ({pending} pending)")
            time.sleep(0.01 if killed is None else 0.5)
        elapsed = time.time() - started
        row = progress(cursor, crisis_id)
        _update_id, state, total, sent, pending = row
        log(
            f"update: {state}, {sent} emails queued of {total}, {pending} pending, "
            f"{elapsed:.1f} s after the click ({total / elapsed:.0f} customers/s,"
            f" {args.cron_threads} cron worker(s))"
        )
        if killed is None and not args.no_kill:
            failures.append("no cron worker was caught in the middle of a batch")
        if state != "sent" or sent != args.customers or total != args.customers:
            failures.append(f"the update is {state} with {sent} emails queued of {total}")
        failures += check(cursor, crisis_id, args.customers)
        connection.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    for failure in failures:
        log(f"FAIL: {failure}")
    log("PASS" if not failures else "FAIL")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
