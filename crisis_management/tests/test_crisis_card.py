from freezegun import freeze_time
from lxml import etree

from odoo import fields
from odoo.tests import tagged, users

from .common import CrisisCase

DECLARED = fields.Datetime.to_datetime("2026-05-04 10:00:00")


def at(value):
    return fields.Datetime.to_datetime(value)


@tagged("post_install", "-at_install")
class TestCrisisCard(CrisisCase):
    """What a crisis manager in a hurry reads on the card: what is due, by when."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"crisis_sla_critical_hours": 1, "crisis_update_critical_hours": 4})
        # acknowledge before 11:00, first customer update due at 14:00
        cls.crisis = cls._create_crisis(severity="critical", date_declared=DECLARED)

    def _read(self, crisis, field_name):
        crisis.invalidate_recordset([field_name])
        return crisis[field_name]

    def test_ack_countdown(self):
        self.assertEqual(self.crisis.sla_deadline, at("2026-05-04 11:00:00"))
        expected = {
            "2026-05-04 10:00:00": "Ack due in 1 h",
            "2026-05-04 10:40:00": "Ack due in 20 min",
            "2026-05-04 10:59:30": "Ack due now",
            "2026-05-04 13:00:00": "Ack 2 h late",
            "2026-05-06 10:00:00": "Ack 47 h late",
            "2026-05-07 12:00:00": "Ack 3 days late",
        }
        for now, text in expected.items():
            with freeze_time(now):
                self.assertEqual(self._read(self.crisis, "ack_countdown"), text, now)
        with freeze_time("2026-05-04 13:00:00"):
            self.crisis.with_user(self.user_manager).action_acknowledge()
            self.assertFalse(self._read(self.crisis, "ack_countdown"))

    def test_ack_countdown_ends_with_resolution(self):
        with freeze_time("2026-05-04 13:00:00"):
            self.crisis.stage_id = self.stage_resolved
            self.assertFalse(self._read(self.crisis, "ack_countdown"))
            self.assertFalse(self._read(self.crisis, "update_countdown"))

    def test_update_countdown(self):
        self.assertEqual(self.crisis.date_next_update, at("2026-05-04 14:00:00"))
        with freeze_time("2026-05-04 11:00:00"):
            self.assertEqual(self._read(self.crisis, "update_countdown"), "Update due in 3 h")
        with freeze_time("2026-05-04 15:10:00"):
            self.assertEqual(self._read(self.crisis, "update_countdown"), "Update 1 h late")
        # a drill has no customer update cadence
        drill = self._create_crisis(severity="critical", date_declared=DECLARED, is_drill=True)
        with freeze_time("2026-05-04 11:00:00"):
            self.assertFalse(self._read(drill, "update_countdown"))
            self.assertEqual(self._read(drill, "ack_countdown"), "Ack due now")

    def test_not_contacted_count(self):
        impacts = self.env["crisis.impact"].create(
            [{"crisis_id": self.crisis.id, "partner_id": partner.id} for partner in self.customers]
        )
        self.assertEqual(self.crisis.to_contact_count, 5)
        impacts[:2].contact_status = "notified"
        impacts[2].contact_status = "lost"
        self.assertEqual(self.crisis.to_contact_count, 2)
        self.assertEqual(self.crisis.contacted_count, 3)
        self.assertEqual(self.crisis.affected_count, 5)
        impacts[3].unlink()
        self.assertEqual(self.crisis.to_contact_count, 1)

    def test_calendar_span(self):
        Crisis = self.env["crisis.crisis"]
        with freeze_time("2026-04-10 09:00:00"):
            resolved = self._create_crisis(date_declared=at("2026-04-01 08:00:00"))
            resolved.stage_id = self.stage_resolved
            self.assertEqual(resolved.date_resolved, at("2026-04-10 09:00:00"))
        with freeze_time("2026-05-20 12:00:00"):
            still_open = self._create_crisis(date_declared=at("2026-04-15 08:00:00"))
            ahead = self._create_crisis(date_declared=at("2026-06-10 08:00:00"))
            crises = resolved | still_open | ahead
            crises.invalidate_recordset(["date_span_end"])
            self.assertEqual(resolved.date_span_end, at("2026-04-10 09:00:00"))
            self.assertEqual(still_open.date_span_end, at("2026-05-20 12:00:00"))
            self.assertEqual(ahead.date_span_end, at("2026-06-10 08:00:00"))

            def shown(start, stop):
                # the calendar's range domain
                return crises & Crisis.search(
                    [("date_declared", "<=", stop), ("date_span_end", ">=", start)]
                )

            self.assertEqual(shown("2026-04-01", "2026-04-30 23:59:59"), resolved | still_open)
            self.assertEqual(shown("2026-05-01", "2026-05-31 23:59:59"), still_open)
            self.assertEqual(shown("2026-06-01", "2026-06-30 23:59:59"), ahead)
            self.assertEqual(
                crises & Crisis.search([("date_span_end", "<", "2026-05-01")]), resolved
            )
            self.assertEqual(
                crises & Crisis.search([("date_span_end", "<=", "2026-06-30")]),
                resolved | still_open | ahead,
            )

    def test_calendar_colour_by_severity(self):
        colours = {}
        for severity in ("critical", "high", "medium", "low"):
            self.crisis.severity = severity
            colours[severity] = self.crisis.severity_color
        # red, orange, yellow, green in Odoo's colour palette
        self.assertEqual(colours, {"critical": 1, "high": 2, "medium": 3, "low": 10})

    @users("crisis_user")
    def test_views_render(self):
        Crisis = self.env["crisis.crisis"]
        views = Crisis.get_views([(False, "kanban"), (False, "form"), (False, "calendar")])
        kanban = etree.fromstring(views["views"]["kanban"]["arch"])
        card = kanban.xpath("//t[@t-name='card']")[0]
        self.assertEqual(
            {node.get("name"): node.get("title") for node in card.xpath(".//field[@title]")},
            {"action_progress": "Plan", "contacted_rate": "Contacted"},
        )
        for name in ("ack_countdown", "update_countdown", "to_contact_count"):
            self.assertTrue(card.xpath(f".//field[@name='{name}']"), name)
        self.assertTrue(card.xpath(".//button[@name='action_acknowledge'][@type='object']"))
        form = etree.fromstring(views["views"]["form"]["arch"])
        small = form.xpath("//sheet//div[contains(@class, 'd-md-none')]")
        self.assertTrue(small[0].xpath(".//button[@name='action_acknowledge']"))
        self.assertFalse(form.xpath("//field[@widget='float_time']"))
        self.assertTrue(form.xpath("//div[field[@name='update_interval_hours']]/span"))
        calendar = etree.fromstring(views["views"]["calendar"]["arch"])
        self.assertEqual(calendar.get("date_stop"), "date_span_end")
        self.assertEqual(calendar.get("color"), "severity_color")
        self.assertIn("date_span_end", views["models"]["crisis.crisis"]["fields"])
        playbook = self.env["crisis.playbook"].get_views([(False, "form")])
        self.assertFalse(
            etree.fromstring(playbook["views"]["form"]["arch"]).xpath(
                "//field[@widget='float_time']"
            )
        )

    @users("crisis_manager")
    def test_settings_hours_read_as_hours(self):
        views = self.env["crisis.config.settings"].get_views([(False, "form")])
        arch = etree.fromstring(views["views"]["form"]["arch"])
        self.assertFalse(arch.xpath("//field[@widget='float_time']"))
        hours = arch.xpath("//div[field[contains(@name, '_hours')]]/span")
        self.assertEqual(len(hours), 8)
        self.assertEqual({span.text for span in hours}, {"hours"})

    @users("crisis_user")
    def test_card_acknowledge(self):
        crisis = self._create_crisis(user=self.user_crisis, severity="critical")
        crisis = crisis.with_user(self.user_crisis)
        self.assertTrue(crisis.ack_countdown)
        self.assertIs(crisis.action_acknowledge(), True)
        crisis.invalidate_recordset(["ack_countdown"])
        self.assertFalse(crisis.ack_countdown)
        self.assertTrue(crisis.date_acknowledged)
