"""The customer emails in batch write exactly the rows Odoo's own API writes.

``crisis.mail.batch`` posts a template on many affected-customer lines with
one ``create()`` per model instead of one ``message_post`` per line. Here the
same lines get the same template both ways, each in a savepoint rolled back
afterwards: Odoo's composer in comment mode (``message_post`` per line), and
ours. Every row either way writes (``mail.message``, ``mail.mail``,
``mail.notification``, ``mail.followers``, ``ir.attachment`` and their
relations) is compared column by column, less ids, timestamps and the random
Message-Id. The lines cover a template with an attachment, a report, a cc
address and an extra recipient without email; an English and a Chinese
customer; two companies; a follower of the customer-email subtype notified by
email, and one notified in Odoo (inbox), whom Odoo notifies itself.
"""

import base64
import contextlib
import re

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from ..models.crisis_impact import CUSTOMER_EMAIL_LAYOUT, CUSTOMER_EMAIL_SUBTYPE
from .common import CrisisCase

STATEMENT = "<p>Payments failed for six hours; every refused payment can be made again.</p>"

# columns that differ between two runs whatever the code: ids, times, and the
# random Message-Id (and what is made of it)
SKIPPED = {"id", "create_date", "write_date", "date", "message_id", "read_date"}


def ordered(rows):
    """``rows`` in a fixed order, whatever their values' types."""
    return sorted(rows, key=repr)


@tagged("post_install", "-at_install")
class TestMailBatch(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["res.lang"]._activate_lang("zh_CN")
        env["ir.module.module"]._load_module_terms(["crisis_management"], ["zh_CN"])
        cls.customers[1].lang = "zh_CN"
        cls.crisis = cls._create_crisis(public_statement=STATEMENT)
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.crisis_2 = cls._create_crisis(
            user=cls.user_manager_2, name="Terminals down", public_statement=STATEMENT
        )
        cls.crisis_2.sudo().statement_state = "approved"
        Impact = env["crisis.impact"]
        Impact._link_partners(cls.crisis, cls.customers[:4].ids, user=cls.user_crisis)
        Impact._link_partners(cls.crisis_2, cls.customers[4:].ids)
        cls.lines = (cls.crisis | cls.crisis_2).impact_ids.sorted("id")
        # one line followed by a partner (email) and an internal user (inbox)
        # who both follow the emails to customers
        subtype = env.ref(CUSTOMER_EMAIL_SUBTYPE)
        cls.watcher = env["res.partner"].create({"name": "Watcher", "email": "w@example.com"})
        followed = cls.lines[2]
        followed.message_subscribe(partner_ids=cls.watcher.ids, subtype_ids=subtype.ids)
        cls.lines[3].message_subscribe(
            partner_ids=cls.user_manager.partner_id.ids, subtype_ids=subtype.ids
        )
        cls.user_manager.notification_type = "inbox"
        # a template with everything Odoo's composer handles
        cls.no_email = env["res.partner"].create({"name": "Back Office (no email)"})
        # the cc address, a known contact (else each way creates its own)
        cls.cc = env["res.partner"].create(
            {"name": "Recall Desk", "email": "recall.desk@example.com"}
        )
        view = env["ir.ui.view"].create(
            {
                "name": "crisis_impact_test_report",
                "type": "qweb",
                "key": "crisis_management.crisis_impact_test_report",
                "arch": '<t t-name="crisis_management.crisis_impact_test_report">'
                "<t t-foreach='docs' t-as='o'><p>Case of <t t-out='o.partner_id.name'/></p>"
                "</t></t>",
            }
        )
        report = env["ir.actions.report"].create(
            {
                "name": "Customer case",
                "model": "crisis.impact",
                "report_type": "qweb-pdf",
                "report_name": view.key,
                "print_report_name": "'Case %s' % object.partner_id.name",
            }
        )
        attachment = env["ir.attachment"].create(
            {
                "name": "recall-form.txt",
                "datas": base64.b64encode(b"Fill in and send back."),
                "res_model": "mail.template",
            }
        )
        cls.template = env.ref("crisis_management.mail_template_impact_progress")
        cls.template.write(
            {
                "attachment_ids": [(6, 0, attachment.ids)],
                "report_template_ids": [(6, 0, report.ids)],
                "email_cc": "recall.desk@example.com",
                "partner_to": "{{ object.partner_id.id }},%s" % cls.no_email.id,
            }
        )

    def _composer(self, lines):
        return (
            self.env["mail.compose.message"]
            .with_user(self.user_crisis)
            .sudo()  # as the sending job: with the rights the sender had at the click
            .with_context(
                default_composition_mode="comment",
                default_model="crisis.impact",
                default_res_ids=lines.ids,
                default_template_id=self.template.id,
            )
            .create(
                {
                    "email_layout_xmlid": CUSTOMER_EMAIL_LAYOUT,
                    "force_send": False,
                    "message_type": "comment",
                    "subtype_id": self.env.ref(CUSTOMER_EMAIL_SUBTYPE).id,
                }
            )
        )

    def _odoo(self, lines):
        """Odoo's way: the composer, message_post per line."""
        self._composer(lines)._action_send_mail()

    def _ours(self, lines):
        lines.with_user(self.user_crisis).sudo()._crisis_email_template(self.template)

    def _rows(self, table, where, params, keys=()):
        """The rows of ``table``, without the columns that differ between runs."""
        self.env.flush_all()
        self.env.cr.execute(f"SELECT * FROM {table} WHERE {where}", params)
        columns = [d.name for d in self.env.cr.description]
        rows = []
        for values in self.env.cr.fetchall():
            row = dict(zip(columns, values, strict=True))
            rows.append(row)
        return rows

    def _snapshot(self, lines, since):
        """Everything written about ``lines`` since message id ``since``, comparable."""
        messages = self._rows(
            "mail_message",
            "model = 'crisis.impact' AND res_id IN %s AND id > %s",
            (tuple(lines.ids), since),
        )
        message_keys = {m["id"]: ("message", m["res_id"]) for m in messages}
        message_ids = tuple(message_keys) or (0,)
        mails = self._rows("mail_mail", "mail_message_id IN %s", (message_ids,))
        mail_recipients = self._rows(
            "mail_mail_res_partner_rel",
            "mail_mail_id IN %s",
            (tuple(m["id"] for m in mails) or (0,),),
        )
        by_mail = {}
        for rel in mail_recipients:
            by_mail.setdefault(rel["mail_mail_id"], []).append(rel["res_partner_id"])
        mail_keys = {
            m["id"]: (message_keys[m["mail_message_id"]], tuple(sorted(by_mail.get(m["id"], []))))
            for m in mails
        }
        attachments = self._rows(
            "ir_attachment",
            "id IN (SELECT attachment_id FROM message_attachment_rel WHERE message_id IN %s)",
            (message_ids,),
        )
        attachment_links = self._rows("message_attachment_rel", "message_id IN %s", (message_ids,))
        attachment_keys = {a["id"]: (a["name"], a["res_id"], a["checksum"]) for a in attachments}

        def clean(row, **refs):
            values = {}
            for column, value in row.items():
                if column in SKIPPED or column.endswith("_uid") and column != "create_uid":
                    continue
                if column in refs:
                    value = refs[column].get(value, value)
                if column == "references" and value:
                    value = re.sub(r"<[^>]+>", "<message-id>", value)
                values[column] = value
            return tuple(sorted(values.items(), key=lambda item: item[0]))

        snapshot = {
            "mail_message": ordered(clean(m, id=message_keys) for m in messages),
            "mail_message_res_partner_rel": ordered(
                (message_keys[r["mail_message_id"]], r["res_partner_id"])
                for r in self._rows(
                    "mail_message_res_partner_rel", "mail_message_id IN %s", (message_ids,)
                )
            ),
            "mail_mail": ordered(
                clean(m, mail_message_id=message_keys) + (("key", mail_keys[m["id"]]),)
                for m in mails
            ),
            "mail_notification": ordered(
                clean(n, mail_message_id=message_keys, mail_mail_id=mail_keys)
                + (("read", bool(n["read_date"])),)
                for n in self._rows("mail_notification", "mail_message_id IN %s", (message_ids,))
            ),
            "ir_attachment": ordered(
                clean(a, access_token={a["access_token"]: bool(a["access_token"])})
                for a in attachments
            ),
            "message_attachment_rel": ordered(
                (message_keys[r["message_id"]], attachment_keys[r["attachment_id"]])
                for r in attachment_links
            ),
            "mail_followers": ordered(
                (f["res_id"], f["partner_id"])
                for f in self._rows(
                    "mail_followers",
                    "res_model = 'crisis.impact' AND res_id IN %s",
                    (tuple(lines.ids),),
                )
            ),
        }
        return snapshot

    def _both_ways(self, lines):
        """The snapshot of Odoo's way and of ours, each rolled back."""
        self.env.flush_all()
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_message")
        since = self.env.cr.fetchone()[0]
        snapshots = []
        # one instant for both: the portal's signed links in the emails carry
        # their time (a second apart, they would differ)
        now = fields.Datetime.now()
        for way in (self._odoo, self._ours):
            with freeze_time(now), contextlib.closing(self.env.cr.savepoint()) as savepoint:
                way(lines)
                snapshots.append(self._snapshot(lines, since))
                savepoint.rollback()
            self.env.invalidate_all()
        return snapshots

    def _assert_same(self, odoo, ours):
        for table in odoo:
            self.assertEqual(ours[table], odoo[table], f"{table} differs from Odoo's")

    def test_same_rows_as_message_post(self):
        odoo, ours = self._both_ways(self.lines)
        self._assert_same(odoo, ours)
        # what was compared: one message per line, the customer, the cc and the
        # partner without email as recipients, both attachments on each
        self.assertEqual(len(odoo["mail_message"]), len(self.lines))
        recipients = {pid for _key, pid in odoo["mail_message_res_partner_rel"]}
        self.assertIn(self.no_email.id, recipients)
        self.assertIn(self.cc.id, recipients)
        self.assertEqual(len(odoo["message_attachment_rel"]), 2 * len(self.lines))
        # the layout, in each customer's language, the company of each line
        bodies = {dict(m)["key"][0][1]: dict(m)["body_html"] for m in odoo["mail_mail"]}
        self.assertIn("尊敬的", bodies[self.lines[1].id])
        self.assertIn(self.company_2.name, bodies[self.lines[4].id])
        self.assertIn(self.company.name, bodies[self.lines[0].id])
        # the watcher by email, the manager in Odoo's inbox
        notifications = [dict(n) for n in odoo["mail_notification"]]
        self.assertIn(
            ("email", self.watcher.id),
            {(n["notification_type"], n["res_partner_id"]) for n in notifications},
        )
        self.assertIn(
            ("inbox", self.user_manager.partner_id.id),
            {(n["notification_type"], n["res_partner_id"]) for n in notifications},
        )
        # the agent follows every line but not the emails to customers
        self.assertNotIn(
            self.user_crisis.partner_id.id,
            {n["res_partner_id"] for n in notifications},
        )

    def test_shipped_templates_keep_their_translations(self):
        """Odoo's composer uses a template's translations only when its body is
        what the composer's sanitizer keeps: each shipped template's is."""
        for xmlid in (
            "mail_template_impact_initial",
            "mail_template_impact_progress",
            "mail_template_impact_resolution",
            "mail_template_impact_satisfaction",
            "mail_template_compensation_offer",
        ):
            template = self.env.ref(f"crisis_management.{xmlid}")
            composer = (
                self.env["mail.compose.message"]
                .with_context(
                    default_composition_mode="comment",
                    default_model=template.model,
                    default_res_ids=[1, 2],
                    default_template_id=template.id,
                )
                .create({"message_type": "comment"})
            )
            self.assertTrue(composer.composition_batch)
            self.assertTrue(composer.body_has_template_value, xmlid)

    def test_a_difference_is_seen(self):
        """The comparison fails when a row differs (here: one subject changed)."""
        odoo, _ours = self._both_ways(self.lines[:1])
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_message")
        since = self.env.cr.fetchone()[0]
        with contextlib.closing(self.env.cr.savepoint()) as savepoint:
            self._ours(self.lines[:1])
            message = self.lines[0].message_ids.filtered(lambda m: m.id > since)
            message.sudo().subject = "Something else"
            changed = self._snapshot(self.lines[:1], since)
            savepoint.rollback()
        self.assertNotEqual(changed["mail_message"], odoo["mail_message"])
        with self.assertRaises(AssertionError):
            self._assert_same(odoo, changed)
