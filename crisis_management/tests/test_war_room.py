"""The war room of a crisis in Discuss, and its approved words as canned responses."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.base.controllers.rpc import dumps

from .common import CrisisCase

STATEMENT_TEXT = "Some kettles of lot L-2611 may leak. Stop using them: we replace them."
STATEMENT = f"<p>{STATEMENT_TEXT}</p>"
STATEMENT_ZH = "批次 L-2611 的部分水壶可能漏水。请停止使用：我们将为您更换。"


@tagged("post_install", "-at_install")
class TestWarRoom(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls._create_crisis_user_team()

    def _declare(self, severity="high", **values):
        return self._create_crisis(
            user=self.user_crisis, severity=severity, team_id=self.team.id, **values
        )

    def _posts(self, crisis):
        channel = crisis.war_room_channel_id
        return channel.message_ids.filtered(lambda m: m.message_type == "comment").sorted("id")

    def test_declared_high_opens_the_war_room_with_the_team(self):
        crisis = self._declare()
        channel = crisis.war_room_channel_id
        self.assertTrue(channel)
        self.assertEqual(channel.channel_type, "channel")
        self.assertIn(crisis.reference, channel.name)
        self.assertEqual(
            channel.channel_member_ids.partner_id,
            (self.user_crisis | self.user_crisis_2).partner_id,
        )
        self.assertEqual(
            channel.group_public_id, self.env.ref("crisis_management.group_crisis_user")
        )
        posts = self._posts(crisis)
        self.assertEqual(len(posts), 1)
        self.assertIn("War room of", posts.body)
        self.assertIn(f"/{crisis.id}", posts.body, "a link to the crisis")
        self.assertEqual(posts.author_id, self.env.ref("base.partner_root"))

    def test_below_the_setting_until_escalated(self):
        crisis = self._declare(severity="medium")
        self.assertFalse(crisis.war_room_channel_id)
        crisis.with_user(self.user_crisis).severity = "high"
        self.assertTrue(crisis.war_room_channel_id, "escalated to the company's severity")
        crisis.with_user(self.user_crisis).severity = "critical"
        self.assertIn("Escalated", self._posts(crisis)[-1].body)
        self.company.crisis_war_room_severity = False
        self.assertFalse(self._declare(severity="critical").war_room_channel_id)
        self.assertFalse(self._declare(is_drill=True).war_room_channel_id, "never for drills")

    def test_members_follow_the_team(self):
        crisis = self._declare()
        channel = crisis.war_room_channel_id
        self.team.member_ids = [Command.create({"user_id": self.user_manager.id, "role": "legal"})]
        self.assertIn(self.user_manager.partner_id, channel.channel_member_ids.partner_id)
        self.team.member_ids.filtered(lambda m: m.user_id == self.user_crisis_2).unlink()
        self.assertNotIn(self.user_crisis_2.partner_id, channel.channel_member_ids.partner_id)
        other = self._create_team("Other team", self.user_manager)
        crisis.sudo().team_id = other
        self.assertEqual(
            channel.channel_member_ids.partner_id,
            (self.user_crisis | self.user_manager).partner_id,
            "the lead and the new team",
        )

    def test_key_events_in_each_members_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.user_crisis_2.lang = "zh_CN"
        # declared ten hours ago: a high crisis is acknowledged within four
        crisis = self._declare(date_declared=fields.Datetime.now() - timedelta(hours=10))
        posts = self._posts(crisis)
        self.assertIn("War room of", posts.body)
        self.assertIn("作战室", posts.body, "the Chinese member reads it in Chinese")
        # the SLA breached: the escalation cron
        self.assertLess(crisis.sla_deadline, fields.Datetime.now())
        self.env["crisis.crisis"]._cron_escalate_sla()
        self.assertIn("SLA breached", self._posts(crisis)[-1].body)

    def test_statement_approved_becomes_canned_responses(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        # a medium crisis closes without a post-incident review
        self.company.crisis_war_room_severity = "medium"
        crisis = self._declare(
            severity="medium",
            public_statement=STATEMENT,
            public_title="Kettle recall",
            talking_points="<p>Never argue about the purchase date.</p>",
        )
        crisis.update_field_translations(
            "public_statement", {"zh_CN": {STATEMENT_TEXT: STATEMENT_ZH}}
        )
        crisis.with_user(self.user_manager).action_approve_statement()
        canned = crisis.sudo().canned_response_ids.sorted("id")
        code = crisis._crisis_canned_code()
        self.assertRegex(code, r"^cri\d{2}\d+$")
        self.assertEqual(canned.mapped("source"), [code, f"{code}-zh", f"{code}-points"])
        self.assertIn("may leak", canned[0].substitution)
        self.assertIn("可能漏水", canned[1].substitution)
        self.assertEqual(canned.group_ids, self.env.ref("crisis_management.group_crisis_user"))
        self.assertEqual(crisis.canned_response_codes, f":{code} :{code}-zh :{code}-points")
        self.assertIn(f":{code}", self._posts(crisis)[-1].body)
        # a crisis user finds them where they type
        found = (
            self.env["mail.canned.response"]
            .with_user(self.user_crisis_2)
            .search([("source", "=like", f"{code}%")])
        )
        self.assertEqual(len(found), 3)
        # each approval remakes them; closing the crisis removes them
        crisis.with_user(self.user_crisis).action_reset_statement()
        crisis.with_user(self.user_manager).action_approve_statement()
        self.assertFalse(canned.exists())
        self.assertEqual(len(crisis.sudo().canned_response_ids), 3)
        crisis.with_user(self.user_manager).write(
            {"stage_id": self.stage_closed.id, "root_cause": "<p>A faulty seal.</p>"}
        )
        self.assertFalse(crisis.sudo().canned_response_ids)

    def test_updates_compensations_and_closing(self):
        # a medium crisis closes without a post-incident review
        self.company.crisis_war_room_severity = "medium"
        crisis = self._declare(severity="medium", public_statement=STATEMENT)
        impacts = self.env["crisis.impact"]._link_partners(crisis, self.customers.ids)
        crisis.with_user(self.user_manager).action_approve_statement()
        # a wave of requests, heard of once
        for impact in impacts[:2]:
            self.env["crisis.compensation"].with_user(self.user_crisis).create(
                {"impact_id": impact.id, "amount": 10}
            ).action_submit()
        waiting = self._posts(crisis).filtered(lambda m: "await approval" in m.body)
        self.assertEqual(len(waiting), 1)
        self.assertIn("1 compensation(s)", waiting.body)
        # an update sent, with what the mail servers accepted
        self._send_update(crisis, user=self.user_crisis)
        self.env["mail.mail"].sudo().search([("model", "=", "crisis.impact")]).write(
            {"state": "sent"}
        )
        sent = self._posts(crisis).filtered(lambda m: "Customer update sent" in m.body)
        self.assertEqual(len(sent), 1)
        # resolved, then closed: the summary, the channel archived
        crisis.with_user(self.user_crisis).stage_id = self.stage_resolved
        self.assertIn("Resolved", self._posts(crisis)[-1].body)
        channel = crisis.war_room_channel_id
        crisis.with_user(self.user_manager).write(
            {"stage_id": self.stage_closed.id, "root_cause": "<p>A faulty seal.</p>"}
        )
        self.assertIn("Closed", channel.message_ids[0].body)
        self.assertIn("5 affected customer(s)", channel.message_ids[0].body)
        self.assertFalse(channel.active)

    def test_the_links_are_the_workflows(self):
        crisis = self._declare(severity="low")
        with self.assertRaisesRegex(UserError, "cannot be set directly"):
            crisis.with_user(self.user_crisis).write({"war_room_channel_id": 1})
        with self.assertRaisesRegex(UserError, "not by hand"):
            self.env["mail.canned.response"].with_user(self.user_crisis).create(
                {"source": "forged", "substitution": "x", "crisis_id": crisis.id}
            )
        # the team opens a war room by hand; the action crosses XML-RPC
        action = crisis.with_user(self.user_crisis).action_open_war_room()
        dumps((action,))
        self.assertEqual(
            action["params"]["active_id"], f"discuss.channel_{crisis.war_room_channel_id.id}"
        )
        with self.assertRaises(AccessError):
            self._declare(severity="low").with_user(self.user_outsider).action_open_war_room()


@tagged("post_install", "-at_install")
class TestWarRoomTour(HttpCase, CrisisCase):
    def test_war_room_and_canned_response_in_the_browser(self):
        """From the crisis to its war room, answered with the approved words."""
        crisis = self._create_crisis(
            user=self.user_crisis,
            severity="high",
            team_id=self._create_crisis_user_team().id,
            public_statement=STATEMENT,
        )
        crisis.with_user(self.user_manager).action_approve_statement()
        self.start_tour(
            f"/odoo/action-crisis_management.crisis_crisis_action/{crisis.id}",
            "crisis_management_war_room_tour",
            login=self.user_crisis.login,
        )
        posted = crisis.war_room_channel_id.message_ids.filtered(
            lambda m: m.author_id == self.user_crisis.partner_id
        )
        self.assertEqual(len(posted), 1)
        self.assertIn(STATEMENT_TEXT, posted.body)
