"""A real SMTP server for the tests: Odoo's own sending code delivers to it.

In tests, Odoo neither connects to an SMTP server nor sends
(``odoo.modules.module.current_test`` short-circuits ``ir.mail_server``'s
``connect`` and ``send_email``), and ``MockEmail`` replaces both. A test
that must see the bytes a mail server receives uses ``SMTPSinkCase``
instead: an SMTP server (``aiosmtpd``) listens on 127.0.0.1 and a free port,
an ``ir.mail_server`` points at it, and ``send_mail_queue`` runs Odoo's mail
queue with its real SMTP code (``mail.mail`` → ``build_email`` →
``send_email`` → ``smtplib``). Every envelope is kept as a ``CapturedEmail``:
its SMTP sender and recipients and the raw bytes, parsed on demand with
Python's strict email policy.

``CapturedEmail.bounce`` and ``CapturedEmail.auto_reply`` build what a mail
server or a mailbox sends back (an RFC 3464 delivery status notification, an
out-of-office reply) for ``SMTPSinkCase.feed``, Odoo's mail gateway.

Usage::

    class TestSomething(SMTPSinkCase, CrisisCase):
        def test_it(self):
            ...  # queue emails
            captured = self.send_mail_queue()
            self.assertEqual(captured[0].rcpt_tos, ["alice@example.com"])
            self.assertEqual(captured[0].message["Subject"], "...")
            self.feed(captured[0].bounce())
"""

import email
import email.policy
import email.utils
import logging
import re
import socket
import threading
import unittest
from dataclasses import dataclass, field
from functools import cached_property
from unittest.mock import patch

from odoo import modules
from odoo.tests import TransactionCase

try:
    from aiosmtpd.controller import Controller
except ImportError:  # a development dependency (requirements-dev.txt)
    Controller = None

SINK_HOST = "127.0.0.1"
SINK_NAME = "smtp-sink.test"


def free_port(host=SINK_HOST):
    """A TCP port nobody listens on, on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class CapturedEmail:
    """One message the sink accepted: its envelope and its bytes as received."""

    mail_from: str
    rcpt_tos: list
    data: bytes = field(repr=False)

    @cached_property
    def message(self):
        """The message, parsed with Python's strict policy (a defect raises)."""
        return email.message_from_bytes(self.data, policy=email.policy.strict)

    @property
    def raw_headers(self):
        """The header block as sent (folded, RFC 2047-encoded), as text."""
        head = re.split(rb"\r?\n\r?\n", self.data, maxsplit=1)[0]
        return head.decode("ascii", errors="replace")

    def header(self, name):
        """The decoded value of header ``name`` (``None`` when absent)."""
        value = self.message[name]
        return None if value is None else str(value)

    def bodies(self):
        """{content type: decoded text} of the text parts (``text/plain``,
        ``text/html``)."""
        return {
            part.get_content_type(): part.get_content()
            for part in self.message.walk()
            if part.get_content_maintype() == "text" and not part.is_attachment()
        }

    def text(self):
        """Everything a reader may see of the message, decoded: the headers
        and the text parts."""
        headers = "\n".join(f"{name}: {value}" for name, value in self.message.items())
        return "\n".join([headers, *self.bodies().values()])

    def bounce(
        self,
        recipient=None,
        status="5.1.1",
        diagnostic="550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table",
        headers_only=True,
    ):
        """The delivery status notification (RFC 3464) a mail server sends
        back to the envelope sender when ``recipient`` (the first envelope
        recipient by default) cannot be delivered, as bytes.

        :param headers_only: attach the original headers only
            (``text/rfc822-headers``, as Postfix does), else the whole message
            (``message/rfc822``)
        """
        recipient = recipient or self.rcpt_tos[0]
        boundary = email.utils.make_msgid(domain=SINK_NAME)[1:-1].replace("@", ".")
        if headers_only:
            original_type = "text/rfc822-headers"
            original = self.raw_headers.replace("\r\n", "\n").rstrip("\n") + "\n"
        else:
            original_type = "message/rfc822"
            original = self.data.decode("ascii", errors="replace").replace("\r\n", "\n")
        report = f"""\
From: Mail Delivery System <MAILER-DAEMON@{SINK_NAME}>
To: {self.mail_from}
Subject: Undelivered Mail Returned to Sender
Date: {email.utils.formatdate(localtime=False)}
Message-ID: {email.utils.make_msgid(domain=SINK_NAME)}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="{boundary}"

This is a MIME-encapsulated message.

--{boundary}
Content-Type: text/plain; charset=us-ascii
Content-Description: Notification

This is the mail system at host {SINK_NAME}.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: {diagnostic}

--{boundary}
Content-Type: message/delivery-status
Content-Description: Delivery report

Reporting-MTA: dns; {SINK_NAME}
Arrival-Date: {email.utils.formatdate(localtime=False)}

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--{boundary}
Content-Type: {original_type}
Content-Description: Undelivered Message{" Headers" if headers_only else ""}

{original}
--{boundary}--
"""
        return report.replace("\n", "\r\n").encode("ascii")

    def auto_reply(
        self,
        body="I am out of the office until Monday.",
        subject_prefix="Automatic reply: ",
        headers=None,
    ):
        """The reply a mailbox sends by itself (an out-of-office message) to
        this message, as bytes: from its first envelope recipient, to its
        ``Reply-To`` (else ``From``), answering its ``Message-Id``.

        :param headers: {name: value} added or replacing the defaults
            (``Auto-Submitted: auto-replied``); ``None`` values remove one
        """
        original = self.message
        reply = email.message.EmailMessage(policy=email.policy.SMTP)
        values = {
            "From": self.rcpt_tos[0],
            "To": str(original["Reply-To"] or original["From"]),
            "Subject": f"{subject_prefix}{original['Subject'] or ''}",
            "Date": email.utils.formatdate(localtime=False),
            "Message-ID": email.utils.make_msgid(domain=SINK_NAME),
            "In-Reply-To": str(original["Message-Id"]),
            "References": " ".join(
                str(value)
                for value in (original["References"], original["Message-Id"])
                if value is not None
            ),
            "Auto-Submitted": "auto-replied",
            **(headers or {}),
        }
        for name, value in values.items():
            if value is not None:
                reply[name] = value
        reply.set_content(body)
        return reply.as_bytes()


class SMTPSink:
    """An SMTP server in a thread, on 127.0.0.1 and a free port: it accepts
    every message, keeps each as a ``CapturedEmail`` (``messages``) and
    refuses the recipients of ``refuse`` at ``RCPT TO`` (550, user unknown),
    as a real server refuses an unknown mailbox.

    :param smtputf8: advertise SMTPUTF8 (RFC 6531); off by default: a message
        must then be plain ASCII on the wire, which most servers expect
    """

    def __init__(self, refuse=(), smtputf8=False):
        self.refuse = {address.lower() for address in refuse}
        self.smtputf8 = smtputf8
        self.messages = []
        self.refused = []
        self._lock = threading.Lock()
        self._controller = None

    @property
    def port(self):
        return self._controller.port

    def start(self):
        if Controller is None:
            raise unittest.SkipTest("aiosmtpd is not installed (requirements-dev.txt)")
        self._controller = Controller(
            self,
            hostname=SINK_HOST,
            port=free_port(),
            server_hostname=SINK_NAME,
            enable_SMTPUTF8=self.smtputf8,
            # no client sends this much: one limit less to think of
            data_size_limit=None,
        )
        self._controller.start()
        return self

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def clear(self):
        with self._lock:
            self.messages.clear()
            self.refused.clear()

    # aiosmtpd's handler hooks (run in the server's thread)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            with self._lock:
                self.refused.append(address)
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        captured = CapturedEmail(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            data=envelope.original_content or envelope.content,
        )
        with self._lock:
            self.messages.append(captured)
        return "250 2.0.0 Ok: queued"


class SMTPSinkCase(TransactionCase):
    """Tests whose emails go through Odoo's real SMTP code to an ``SMTPSink``.

    The sink runs for the whole class; each test starts with no message
    captured. The class's ``ir.mail_server`` points at the sink, and is the
    only active one. Never combine with ``MockEmail``: it replaces the code
    this class runs.
    """

    smtp_sink_refuse = ()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if Controller is None:
            raise unittest.SkipTest("aiosmtpd is not installed (requirements-dev.txt)")
        # aiosmtpd logs each command at INFO: as much as Odoo logs at DEBUG
        logger = logging.getLogger("mail.log")
        cls.addClassCleanup(logger.setLevel, logger.level)
        logger.setLevel(logging.WARNING)
        cls.smtp_sink = SMTPSink(refuse=cls.smtp_sink_refuse).start()
        cls.addClassCleanup(cls.smtp_sink.stop)
        # the only server Odoo may choose
        MailServer = cls.env["ir.mail_server"].sudo()
        MailServer.search([]).active = False
        cls.smtp_mail_server = MailServer.create(
            {
                "name": "Test SMTP sink",
                "smtp_host": SINK_HOST,
                "smtp_port": cls.smtp_sink.port,
                "smtp_encryption": "none",
                "smtp_authentication": "login",
                "sequence": 0,
            }
        )

    def setUp(self):
        super().setUp()
        self.smtp_sink.clear()

    def send_mail_queue(self, mails=None):
        """Odoo's mail queue (its scheduled action), sending for real: the
        outgoing ``mails`` (all outgoing emails by default) are delivered to
        the sink.

        :return: the messages the sink received
        """
        Mail = self.env["mail.mail"].sudo()
        self.env.flush_all()
        with patch.object(modules.module, "current_test", False):
            Mail.process_email_queue(ids=mails.ids if mails is not None else None)
        self.env.invalidate_all()
        return list(self.smtp_sink.messages)

    def feed(self, raw, model=None, thread_id=None):
        """Give ``raw`` (bytes of a received email) to Odoo's mail gateway, as
        its fetchmail would: ``mail.thread.message_process``."""
        return self.env["mail.thread"].sudo().message_process(model, raw, thread_id=thread_id)
