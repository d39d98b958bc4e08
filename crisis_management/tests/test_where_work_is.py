"""A crisis manager in a hurry: where the work is (My Crises, My Steps, the
open steps board), what the team does with the steps, what is pending, and
empty screens that say what to do."""

from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, tagged
from odoo.tools.safe_eval import safe_eval

from .common import CrisisCase


def _filter_domain(env, model, name, uid):
    """The domain of the search filter ``name`` of ``model``, as the web client
    evaluates it for ``uid``."""
    arch = etree.fromstring(env[model].get_view(view_type="search")["arch"])
    node = arch.xpath(f"//filter[@name='{name}']")[0]
    return safe_eval(node.get("domain"), {"uid": uid})


@tagged("post_install", "-at_install")
class TestWhereWorkIs(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # chatter as users see it: tracking on
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.outsider = cls.user_internal
        cls.team = cls._create_manager_team("Payments squad")

    # ------------------------------------------------------------------
    # My Crises, My Steps, the steps board
    # ------------------------------------------------------------------

    def test_my_crises_are_those_i_lead_or_whose_team_i_am_in(self):
        led = self._create_crisis(user=self.user_crisis, name="Led by Carol")
        member = self._create_crisis(name="Carol in the team", team_id=self.team.id)
        leader_team = self.env["crisis.team"].create(
            {"name": "Carol leads", "leader_id": self.user_crisis.id}
        )
        team_leader = self._create_crisis(name="Carol leads the team", team_id=leader_team.id)
        other_team = self.env["crisis.team"].create(
            {"name": "Not Carol's", "leader_id": self.user_manager.id}
        )
        others = self._create_crisis(name="Someone else's") | self._create_crisis(
            name="Another team's", team_id=other_team.id
        )
        # what the end of each request does: a many2many condition does not
        # flush the pending recomputation of the stored members
        self.env.flush_all()
        Crisis = self.env["crisis.crisis"].with_user(self.user_crisis)
        domain = _filter_domain(self.env, "crisis.crisis", "my_crises", self.user_crisis.id)
        everything = led | member | team_leader | others
        mine = Crisis.search([*domain, ("id", "in", everything.ids)])
        self.assertEqual(mine, led | member | team_leader)
        # leaving the team takes the crisis out of My Crises
        self.team.member_ids.filtered(lambda m: m.user_id == self.user_crisis).unlink()
        self.env.flush_all()
        mine = Crisis.search([*domain, ("id", "in", everything.ids)])
        self.assertEqual(mine, led | team_leader)
        # the My Crises menu opens on that filter
        action = self.env.ref("crisis_management.crisis_crisis_action_my")
        self.assertEqual(safe_eval(action.context).get("search_default_my_crises"), 1)

    def test_steps_board_opens_on_open_steps_by_crisis(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crisis_management.crisis_action_action"
        )
        context = safe_eval(action["context"])
        self.assertEqual(context.get("search_default_open"), 1)
        self.assertEqual(context.get("search_default_group_by_crisis"), 1)
        crisis = self._create_crisis(user=self.user_crisis)
        plan = self.env["crisis.action.plan"].create({"name": "Plan", "crisis_id": crisis.id})
        steps = self.env["crisis.action"].create(
            [{"name": state, "plan_id": plan.id, "state": state} for state in ("todo", "done")]
        )
        steps |= self.env["crisis.action"].create(
            [
                {"name": "started", "plan_id": plan.id},
                {"name": "dropped", "plan_id": plan.id},
            ]
        )
        steps[2].action_start()
        steps[3].action_cancel()
        domain = _filter_domain(self.env, "crisis.action", "open", self.user_crisis.id)
        found = self.env["crisis.action"].search([*domain, ("id", "in", steps.ids)])
        self.assertEqual(found, steps[0] | steps[2])
        # My Steps: the open steps assigned to me
        steps[0].user_id = self.user_crisis
        my_action = self.env.ref("crisis_management.crisis_action_action_my")
        self.assertEqual(safe_eval(my_action.context).get("search_default_my_steps"), 1)
        domain = _filter_domain(self.env, "crisis.action", "my_steps", self.user_crisis.id)
        self.assertEqual(
            self.env["crisis.action"].search([*domain, ("id", "in", steps.ids)]), steps[0]
        )

    def test_window_actions_say_what_to_do_when_empty(self):
        for xmlid in (
            "crisis_crisis_action",
            "crisis_crisis_action_my",
            "crisis_action_action",
            "crisis_action_action_my",
            "crisis_impact_action",
            "crisis_impact_action_my",
            "crisis_compensation_action",
            "crisis_compensation_action_to_approve",
            "crisis_update_action",
            "crisis_playbook_action",
            "crisis_team_action",
        ):
            with self.subTest(action=xmlid):
                action = self.env.ref(f"crisis_management.{xmlid}")
                self.assertIn("o_view_nocontent_", action.help or "")
                paragraphs = etree.fromstring(f"<div>{action.help}</div>").xpath("//p")
                self.assertGreaterEqual(len(paragraphs), 2, "a title and what to do")
                self.assertTrue(all("".join(p.itertext()).strip() for p in paragraphs))

    # ------------------------------------------------------------------
    # The response team
    # ------------------------------------------------------------------

    def test_quick_create_asks_for_the_team(self):
        view = self.env.ref("crisis_management.crisis_crisis_view_form_quick_create")
        arch = self.env["crisis.crisis"].get_views([(view.id, "form")])["views"]["form"]["arch"]
        self.assertTrue(etree.fromstring(arch).xpath("//field[@name='team_id']"))
        kanban = self.env["crisis.crisis"].get_view(view_type="kanban")["arch"]
        self.assertIn("crisis_crisis_view_form_quick_create", kanban)

    def test_team_tab_shows_the_team_leader(self):
        crisis = self._create_crisis(team_id=self.team.id)
        self.assertEqual(crisis.team_leader_id, self.user_manager)
        arch = etree.fromstring(self.env["crisis.crisis"].get_view(view_type="form")["arch"])
        self.assertTrue(arch.xpath("//page[@name='team']//field[@name='team_leader_id']"))
        crisis.team_id = False
        self.assertFalse(crisis.team_leader_id)

    def _plan_with_steps(self, crisis, assignee):
        plan = self.env["crisis.action.plan"].create({"name": "Response", "crisis_id": crisis.id})
        steps = [
            {"name": "Restart the servers", "role": "technical", "user_id": assignee.id},
            {"name": "Check the contracts", "role": "legal", "user_id": assignee.id},
            {"name": "Call the bank", "user_id": assignee.id},
            {"name": "Open the bridge", "role": "lead", "user_id": assignee.id},
            {"name": "Post the notice", "role": "communications", "user_id": assignee.id},
            {"name": "Already done", "role": "technical", "user_id": assignee.id},
            {"name": "Unassigned", "role": "technical"},
        ]
        return self.env["crisis.action"].create([dict(step, plan_id=plan.id) for step in steps])

    def test_new_team_takes_the_open_steps(self):
        """A crisis handed to another team: the form shows the open steps left
        with people outside it, and Reassign Open Steps gives each to the
        member holding its role, else to the crisis lead."""
        lead = self.user_crisis_2
        crisis = self._create_crisis(user=lead)
        steps = self._plan_with_steps(crisis, self.outsider)
        steps.filtered(lambda s: s.name == "Already done").action_done()
        self.assertEqual(crisis.steps_outside_team_count, 5, "open and assigned outside")
        # the end of the request: created steps are tracked from here on
        self.env.flush_all()
        self.env.cr.precommit.run()

        # the form tells it as soon as the team is chosen, before saving
        form = Form(crisis.with_user(lead))
        self.assertEqual(form.steps_outside_team_count, 5)
        form.team_id = self.team
        self.assertEqual(form.steps_outside_team_count, 5, "the outsider is not in the team")
        form.save()

        self.assertIs(crisis.with_user(lead).action_reassign_open_steps(), True)
        by_name = {step.name: step.user_id for step in steps}
        self.assertEqual(by_name["Restart the servers"], self.user_crisis_2, "the technical one")
        self.assertEqual(by_name["Post the notice"], self.user_crisis, "communications")
        self.assertEqual(by_name["Open the bridge"], self.user_manager, "the team leader")
        self.assertEqual(by_name["Check the contracts"], lead, "nobody is legal: the lead")
        self.assertEqual(by_name["Call the bank"], lead, "no role: the lead")
        self.assertEqual(by_name["Already done"], self.outsider, "done steps stay as they are")
        self.assertFalse(by_name["Unassigned"], "unassigned steps are left to assign")
        self.assertEqual(crisis.steps_outside_team_count, 0)
        self.assertIn("5 open steps reassigned", crisis.message_ids[0].body)
        # each step's new assignee is in its history
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.assertIn("user_id", steps[0].message_ids.tracking_value_ids.field_id.mapped("name"))

        # nothing left to reassign: nothing changes, still True
        messages = crisis.message_ids
        self.assertIs(crisis.with_user(lead).action_reassign_open_steps(), True)
        self.assertEqual(crisis.message_ids, messages)

    def test_reassign_open_steps_is_for_the_crisis_members(self):
        crisis = self._create_crisis(user=self.user_manager, team_id=self.team.id)
        self._plan_with_steps(crisis, self.outsider)
        self.team.member_ids.filtered(lambda m: m.user_id == self.user_crisis).unlink()
        with self.assertRaises(AccessError):
            crisis.with_user(self.user_crisis).action_reassign_open_steps()

    def test_team_role_of_the_crisis_lead(self):
        roles = dict(
            self.env["crisis.team.member"]._fields["role"]._description_selection(self.env)
        )
        self.assertEqual(roles["lead"], "Crisis Lead")
        self.assertEqual(self.env["crisis.crisis"]._fields["user_id"].string, "Crisis Lead")
        self.assertEqual(
            self.env.ref("crisis_management.crisis_team_action").name, "Response Teams"
        )
        self.assertEqual(self.env.ref("crisis_management.crisis_team_menu").name, "Response Teams")

    # ------------------------------------------------------------------
    # Playbook, compensations, access groups
    # ------------------------------------------------------------------

    def test_apply_playbook_says_when_nothing_is_added(self):
        self.company.crisis_auto_apply_playbook = False
        playbook = self.env["crisis.playbook"].create(
            {"name": "Outage", "step_ids": [Command.create({"name": "Open the bridge"})]}
        )
        crisis = self._create_crisis(user=self.user_crisis, playbook_id=playbook.id)
        crisis = crisis.with_user(self.user_crisis)
        self.assertIs(crisis.action_apply_playbook(), True)
        self.assertEqual(len(crisis.action_ids), 1)
        result = crisis.action_apply_playbook()
        self.assertEqual(result["type"], "ir.actions.client")
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("already in the action plan", result["params"]["message"])
        self.assertIn(crisis.reference, result["params"]["message"])
        self.assertEqual(len(crisis.action_ids), 1, "nothing added")
        # a caller's context cannot mark a plan applied on declaration
        forged = self._create_crisis(user=self.user_crisis, playbook_id=playbook.id)
        forged.with_user(self.user_crisis).with_context(
            crisis_declaring=True
        ).action_apply_playbook()
        self.assertEqual(len(forged.action_ids), 1)
        self.assertFalse(forged.action_plan_ids.applied_on_declaration)
        # applied by itself on declaration: the message says so
        self.company.crisis_auto_apply_playbook = True
        declared = self._create_crisis(user=self.user_crisis, playbook_id=playbook.id)
        self.assertEqual(len(declared.action_ids), 1)
        result = declared.with_user(self.user_crisis).action_apply_playbook()
        self.assertEqual(result["params"]["title"], "Already applied")
        self.assertIn(
            f"was applied when {declared.reference} was declared", result["params"]["message"]
        )
        self.assertEqual(len(declared.action_ids), 1, "nothing added")

    def test_compensation_pending_total(self):
        crisis = self._create_crisis(user=self.user_crisis)
        impacts = self.env["crisis.impact"].create(
            [{"crisis_id": crisis.id, "partner_id": partner.id} for partner in self.customers[:3]]
        )
        Compensation = self.env["crisis.compensation"].with_user(self.user_crisis)
        approved, pending, pending_2, draft = Compensation.create(
            [
                {"impact_id": impacts[0].id, "type": "refund", "amount": 100.0},
                {"impact_id": impacts[1].id, "type": "voucher", "amount": 40.0},
                {"impact_id": impacts[2].id, "type": "voucher", "amount": 5.0},
                {"impact_id": impacts[2].id, "type": "gift", "amount": 7.0},
            ]
        )
        (approved | pending | pending_2).action_submit()
        approved.with_user(self.user_manager).action_approve()
        self.assertAlmostEqual(crisis.compensation_total, 100.0)
        self.assertAlmostEqual(crisis.compensation_pending_total, 45.0, msg="drafts left out")
        pending.with_user(self.user_manager).action_approve()
        self.assertAlmostEqual(crisis.compensation_total, 140.0)
        self.assertAlmostEqual(crisis.compensation_pending_total, 5.0)
        pending_2.with_user(self.user_manager).action_reject()
        self.assertAlmostEqual(crisis.compensation_pending_total, 0.0)
        # the pending amount opens the compensations to approve of the crisis
        action = crisis.action_view_compensations_to_approve()
        self.assertEqual(action["context"].get("search_default_to_approve"), 1)
        self.assertEqual(
            self.env["crisis.compensation"].search(action["domain"]),
            approved | pending | pending_2 | draft,
        )
        arch = etree.fromstring(self.env["crisis.crisis"].get_view(view_type="form")["arch"])
        self.assertTrue(
            arch.xpath(
                "//button[@name='action_view_compensations_to_approve']"
                "//field[@name='compensation_pending_total']"
            )
        )

    def test_one_compensation_is_singular(self):
        crisis = self._create_crisis(user=self.user_crisis)
        self.env["crisis.impact"].create(
            {"crisis_id": crisis.id, "partner_id": self.customers[0].id}
        )
        wizard = (
            self.env["crisis.compensation.wizard"]
            .with_user(self.user_crisis)
            .create({"crisis_id": crisis.id, "type": "voucher", "amount": 10.0})
        )
        result = wizard.action_propose()
        self.assertIn("1 compensation proposed", result["params"]["message"])
        self.assertIn("1 compensation proposed", crisis.message_ids[0].body)

    def test_send_offer_dialog_has_a_title(self):
        crisis = self._create_crisis(user=self.user_crisis)
        crisis.public_statement = "<p>We are sorry.</p>"
        crisis.with_user(self.user_manager).action_approve_statement()
        impact = self.env["crisis.impact"].create(
            {"crisis_id": crisis.id, "partner_id": self.customers[0].id}
        )
        compensation = (
            self.env["crisis.compensation"]
            .with_user(self.user_crisis)
            .create({"impact_id": impact.id, "type": "voucher", "amount": 10.0})
        )
        compensation.action_submit()
        compensation.with_user(self.user_manager).action_approve()
        action = compensation.with_user(self.user_manager).action_send_offer()
        self.assertEqual(action["name"], "Send Offer")
        self.assertEqual(action["res_model"], "mail.compose.message")

    def test_access_groups_have_their_own_section(self):
        category = self.env.ref("crisis_management.module_category_crisis_management")
        self.assertEqual(category.name, "Crisis Management")
        user_group = self.env.ref("crisis_management.group_crisis_user")
        manager_group = self.env.ref("crisis_management.group_crisis_manager")
        self.assertEqual((user_group | manager_group).category_id, category)
        # on the user form: one "Crisis Management" choice, not two boxes under "Other"
        fields = self.env["res.users"].fields_get()
        choice = [
            name
            for name, field in fields.items()
            if name.startswith("sel_groups_")
            and {user_group.id, manager_group.id}
            <= {value for value, _label in field.get("selection", []) if value}
        ]
        self.assertEqual(len(choice), 1)
        self.assertEqual(fields[choice[0]]["string"], "Crisis Management")
        # in a section of its own, like an app's, not under "Other"
        arch = etree.fromstring(self.env.ref("base.user_groups_view").arch)
        sections = arch.xpath(f"//group[field[@name='{choice[0]}']]")
        self.assertEqual([section.get("string") for section in sections], ["Crisis Management"])


@tagged("post_install", "-at_install")
class TestWhereWorkIsApi(HttpCase, CrisisCase):
    def test_buttons_stay_xmlrpc_safe(self):
        """Apply Playbook with nothing to add and Reassign Open Steps answer
        values XML-RPC carries."""
        self.company.crisis_auto_apply_playbook = False
        user = self.user_crisis
        playbook = self.env["crisis.playbook"].create(
            {"name": "API plan", "step_ids": [Command.create({"name": "Assess"})]}
        )
        crisis = self._create_crisis(user=user, playbook_id=playbook.id)

        def call(method):
            return self.xmlrpc_object.execute_kw(
                self.env.cr.dbname, user.id, user.login, "crisis.crisis", method, [[crisis.id]]
            )

        self.assertIs(call("action_apply_playbook"), True)
        result = call("action_apply_playbook")
        self.assertEqual(result["tag"], "display_notification")
        self.assertIs(call("action_reassign_open_steps"), True)
