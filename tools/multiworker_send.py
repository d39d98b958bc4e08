"""A large customer update on a real multi-worker Odoo, with a cron worker killed.

Run by tools/multiworker_send.sh (``make test`` calls it after the unit tests):
an Odoo server with ``--workers 2 --max-cron-threads 2`` (or, with
``--servers 2 --cron-threads 1``, two servers as on two machines: separate
processes and ports, one database and filestore) serves a database holding
one crisis with N affected customers (20,000 by default), and sends
its emails to a real SMTP server (``live_odoo.CountingSink``). The send is
queued through Odoo's external API (XML-RPC) as an integrator would; while the
cron workers email it in batches, each delivering its own, the one in the
middle of a batch is killed with SIGKILL. The server starts a new worker; the
send must complete with each customer emailed exactly once, as the SMTP
server counts, and the update *Sent* with the right counts.

An email whose worker was killed after committing its batch but before
delivering it waits in Odoo's mail queue for its grace period; the check then
runs Odoo's mail queue for it, as the scheduler will, and counts again.

Prints its figures, then PASS or FAIL (exit status 1).
"""

import argparse
import os
import signal
import subprocess
import sys
import time

import live_odoo


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
    parser.add_argument(
        "--cron-threads", type=int, default=2, help="cron workers per server (default 2)"
    )
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="odoo-bin servers on the database, as on separate machines (default 1)",
    )
    parser.add_argument("--no-kill", action="store_true", help="measure only: kill no cron worker")
    parser.add_argument("--dsn", required=True, help="libpq connection string of the database")
    return parser.parse_args()


def prepare(args):
    started = time.time()
    crisis_id, count = live_odoo.prepare_crisis(
        args.odoo_bin, args.config, args.db, args.customers
    )
    log(f"prepared {count} affected customers in {time.time() - started:.1f} s")
    return crisis_id


def queue_send(port, db, crisis_id):
    """Notify every customer, through the external API, as the administrator."""
    call, _uid = live_odoo.login(port, db)
    started = time.time()
    live_odoo.notify_all(call, crisis_id)
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


def worker_in_a_batch(cursor, server_pids):
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
            if pid not in server_pids:
                return pid
    return None


def check(cursor, crisis_id, customers):
    """What the database says: one email notification per customer."""
    cursor.execute(
        """
        SELECT COUNT(*), MIN(count), MAX(count)
          FROM (SELECT message.res_id, COUNT(*) AS count
                  FROM mail_notification notification
                  JOIN mail_message message ON message.id = notification.mail_message_id
                  JOIN crisis_impact impact ON impact.id = message.res_id
                 WHERE message.model = 'crisis.impact' AND impact.crisis_id = %s
                   AND notification.notification_type = 'email'
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


def waiting(cursor, crisis_id):
    """The ids of the emails of this crisis still in Odoo's mail queue."""
    cursor.execute(
        """
        SELECT mail.id FROM mail_mail mail
          JOIN mail_message message ON message.id = mail.mail_message_id
          JOIN crisis_impact impact ON impact.id = message.res_id
         WHERE message.model = 'crisis.impact' AND impact.crisis_id = %s
           AND mail.state = 'outgoing'
        """,
        [crisis_id],
    )
    return [row[0] for row in cursor.fetchall()]


def wait_for_delivery(sink, cursor, crisis_id, customers, timeout):
    """Wait until every email is accepted by the sink or waits in the queue,
    and nothing moved for 5 seconds; return the ids of those waiting."""
    last, still_since = None, time.time()
    deadline = time.time() + timeout
    while time.time() < deadline:
        left = waiting(cursor, crisis_id)
        now = (sink.total, len(left))
        if now != last:
            last, still_since = now, time.time()
        elif sink.total + len(left) >= customers and time.time() - still_since > 5:
            return left
        time.sleep(0.5)
    return waiting(cursor, crisis_id)


SEND_LEFT = """
env["mail.mail"].browse({ids}).exists().send()
env.cr.commit()
"""


def main():
    args = parse_args()
    crisis_id = prepare(args)
    sink = live_odoo.CountingSink().start()
    servers = []
    for number in range(args.servers):
        # the first on the given port; the others, other machines, on their own
        servers.append(
            live_odoo.OdooServer(
                args.odoo_bin,
                args.config,
                args.db,
                args.logfile if not number else f"{args.logfile}.{number + 1}",
                cron_threads=args.cron_threads,
                port=args.port if not number else None,
                smtp_port=sink.port,
            )
        )
    server = servers[0]
    failures = []
    killed = None
    connection = live_odoo.connect(args.dsn)
    try:
        click = queue_send(server.port, args.db, crisis_id)
        log(f"Send clicked: the call returned in {click:.2f} s")
        started = time.time()
        cursor = connection.cursor()
        state = None
        while time.time() - started < args.timeout:
            row = progress(cursor, crisis_id)
            if row:
                _update_id, state, total, _made, pending = row
                if state == "sent":
                    break
                if not args.no_kill and killed is None and total and pending < total * 0.8:
                    pid = worker_in_a_batch(cursor, {server.pid for server in servers})
                    if pid:
                        os.kill(pid, signal.SIGKILL)
                        killed = pid
                        log(f"killed cron worker {pid} mid-batch ({pending} pending)")
            time.sleep(0.01 if killed is None else 0.5)
        left = wait_for_delivery(
            sink, cursor, crisis_id, args.customers, args.timeout - (time.time() - started)
        )
        elapsed = (sink.last_at or time.time()) - started
        _update_id, state, total, made, pending = progress(cursor, crisis_id)
        log(
            f"update: {state}, {made} emails made of {total}, {pending} pending;"
            f" {sink.total} accepted by the SMTP server, the last {elapsed:.1f} s after"
            f" the click ({sink.total / elapsed:.0f} emails/s, {len(servers)} server(s) with"
            f" {args.cron_threads} cron worker(s) each); {len(left)} waiting in Odoo's mail queue"
        )
        if left:
            # as Odoo's mail queue will once their grace period is over
            live_odoo.odoo_shell(
                args.odoo_bin,
                args.config,
                args.db,
                SEND_LEFT.format(ids=left),
                f"--smtp={live_odoo.HOST}",
                f"--smtp-port={sink.port}",
            )
            log(f"Odoo's mail queue sent the {len(left)} left: {sink.total} accepted")
        if killed is None and not args.no_kill:
            failures.append("no cron worker was caught in the middle of a batch")
        if state != "sent" or made != args.customers or total != args.customers:
            failures.append(f"the update is {state} with {made} emails made of {total}")
        failures += check(cursor, crisis_id, args.customers)
        if sink.total != args.customers or len(sink.received) != args.customers:
            failures.append(
                f"the SMTP server accepted {sink.total} emails for {len(sink.received)}"
                f" customers, {args.customers} expected"
            )
        if duplicates := sink.duplicates():
            failures.append(f"{len(duplicates)} customers received the update twice or more")
    finally:
        connection.close()
        for running in servers:
            running.stop()
        sink.stop()
    return live_odoo.verdict(log, failures)


if __name__ == "__main__":
    sys.exit(main())
