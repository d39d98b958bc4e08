"""The workflow's promises hold at the model layer, whatever the caller writes.

Everything here goes through ``create``/``write``/one2many commands/``load``
as the user who tries, the way Odoo's external API (and so the browser
console) would call them.
"""

import base64
from datetime import date, datetime

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.models import MAGIC_COLUMNS
from odoo.tests import tagged

from .common import CrisisCase

GUARD_MESSAGE = "cannot be set directly"

# Stored fields that are readonly in their model and yet written freely by
# the people who may edit the record. Each with its reason; a new readonly
# field must be guarded or added here on purpose.
FREE_READONLY_FIELDS = {}

# Selection fields holding a state that people move by hand on purpose.
FREE_STATE_FIELDS = {
    # steps move on their kanban board, by drag and drop
    ("crisis.action", "state"),
    # agents set how far they got with a customer
    ("crisis.impact", "contact_status"),
}


def has_guard(env, model_name):
    """Whether the model has the workflow guard, itself or through an abstract
    model (the jobs: ``crisis.job``); ``_inherit`` of the registry's class is
    only its last extension's."""
    return model_name in env.registry.descendants(["crisis.workflow.mixin"], "_inherit")


def crisis_models(env):
    return sorted(
        name
        for name, model in env.registry.items()
        if name.startswith("crisis.")
        and not model._transient
        and not model._abstract
        and model._original_module == "crisis_management"
    )


def sample_value(env, field, current):
    """A value of the field's type that differs from ``current``."""
    if field.type == "many2one":
        records = env[field.comodel_name].search([], limit=2, order="id desc")
        return (records - current)[:1].id
    if field.type == "selection":
        values = [v for v, _label in field._description_selection(env) if v != current]
        return values[-1]
    if field.type == "datetime":
        return fields.Datetime.to_string(datetime(2020, 1, 2, 3, 4, 5))
    if field.type == "date":
        return "2020-01-02"
    if field.type in ("integer", "float", "monetary"):
        return (current or 0) + 7
    if field.type == "boolean":
        return not current
    if field.type in ("char", "text", "html"):
        return "forged"
    if field.type == "binary":
        return base64.b64encode(b"forged")
    if field.type == "many2many":
        records = env[field.comodel_name].search([], limit=3, order="id desc")
        return [Command.set((records - current)[:1].ids)]
    if field.type == "json":
        return {"forged": True}
    if field.type == "one2many":
        # documents linked by the workflow (a bridge's transfers): any command is refused
        return [Command.clear()]
    raise AssertionError(f"no sample value for {field}")


@tagged("post_install", "-at_install")
class TestWorkflowGuard(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls._create_crisis_user_team()
        cls.crisis = cls._create_crisis(user=cls.user_crisis, team_id=cls.team.id)
        cls.crisis.public_statement = "<p>We are on it.</p>"
        cls.impacts = cls.env["crisis.impact"].create(
            [{"crisis_id": cls.crisis.id, "partner_id": p.id} for p in cls.customers]
        )
        # a crisis the crisis user may not edit
        cls.other_crisis = cls._create_crisis(user=cls.user_manager, name="Not theirs")
        cls.other_impact = cls.env["crisis.impact"].create(
            {
                "crisis_id": cls.other_crisis.id,
                "partner_id": cls.env["res.partner"].create({"name": "Their customer"}).id,
            }
        )
        cls.other_plan = cls.env["crisis.action.plan"].create(
            {"name": "Their plan", "crisis_id": cls.other_crisis.id}
        )
        cls.plan = cls.env["crisis.action.plan"].create(
            {"name": "Our plan", "crisis_id": cls.crisis.id}
        )
        cls.step = cls.env["crisis.action"].create({"name": "Call", "plan_id": cls.plan.id})
        cls.playbook = cls.env["crisis.playbook"].create(
            {"name": "Recall", "step_ids": [(0, 0, {"name": "Assess", "deadline_hours": 2})]}
        )
        cls.team_member = cls.team.member_ids
        cls.currency = cls.company.currency_id

    def _compensation(self, user=None, amount=20.0, **values):
        user = user or self.user_crisis
        return (
            self.env["crisis.compensation"]
            .with_user(user)
            .create({"impact_id": self.impacts[0].id, "amount": amount, **values})
        )

    def _approved(self, amount=20.0):
        compensation = self._compensation(amount=amount)
        compensation.action_submit()
        compensation.with_user(self.user_manager).action_approve()
        self.assertEqual(compensation.state, "approved")
        return compensation

    def _records(self):
        """One record of every crisis model, for the walk."""
        compensation = self._compensation()
        records = {
            "crisis.crisis": self.crisis,
            "crisis.impact": self.impacts[1],
            "crisis.compensation": compensation.with_env(self.env),
            "crisis.action.plan": self.plan,
            "crisis.action": self.step,
            "crisis.playbook": self.playbook,
            "crisis.playbook.step": self.playbook.step_ids,
            "crisis.team": self.team,
            "crisis.team.member": self.team_member,
            "crisis.stage": self.stage_new,
            "crisis.type": self.type_outage,
            "crisis.tag": self.env["crisis.tag"].create({"name": "Recall"}),
        }
        update = self.env["crisis.update"].create(
            {"crisis_id": self.crisis.id, "name": "Subject", "kind": "initial"}
        )
        records["crisis.update"] = update
        records["crisis.impact.job"] = self.env["crisis.impact.job"]._crisis_queue(
            self.crisis, [("id", "in", self.customers.ids)], 5, "medium", False, self.user_crisis
        )
        records["crisis.compensation.bulk.job"] = self.env[
            "crisis.compensation.bulk.job"
        ]._crisis_queue(compensation, action="deliver", company_id=self.company.id)
        records["crisis.compensation.propose.job"] = self.env[
            "crisis.compensation.propose.job"
        ]._crisis_queue(
            self.crisis,
            self.impacts,
            {"type": "voucher", "amount": 5.0, "currency_id": self.currency.id},
            True,
        )
        records["crisis.update.recipient"] = self.env["crisis.update.recipient"].create(
            {"update_id": update.id, "impact_id": self.impacts[1].id}
        )
        # written in SQL by the deliveries only (administrators may read it)
        records["crisis.mail.accepted"] = (
            self.env["crisis.mail.accepted"]
            .sudo()
            .create({"mail_id": 1, "date": fields.Datetime.now()})
            .with_env(self.env)
        )
        # the feature modules' models, when they are installed
        if "crisis.signal.rule" in self.env:
            records["crisis.signal.rule"] = self.env["crisis.signal.rule"].create(
                {
                    "name": "Low ratings",
                    "model_id": self.env.ref("rating.model_rating_rating").id,
                    "domain": "[('rating', '<=', 1)]",
                    "type_id": self.type_outage.id,
                }
            )
        if "crisis.review" in self.env:
            # another crisis' review first: a value to forge the crisis' review with
            self.env["crisis.review"].create(
                {"crisis_id": self._create_crisis(user=self.user_manager).id}
            )
            records["crisis.review"] = self.env["crisis.review"].create(
                {"crisis_id": self.crisis.id}
            )
        if "crisis.subscription" in self.env:
            # nobody but the status page's controller makes subscription requests
            records["crisis.subscription"] = (
                self.env["crisis.subscription"]
                .sudo()
                .create({"crisis_id": self.crisis.id, "email": "walk@example.com"})
                .with_env(self.env)
            )
        return records

    # ------------------------------------------------------------------
    # The walk: every model, every guarded field
    # ------------------------------------------------------------------

    def test_every_workflow_field_is_guarded(self):
        """A new readonly or state-like field cannot slip through unguarded."""
        unguarded = []
        for model_name in crisis_models(self.env):
            Model = self.env[model_name]
            guarded = Model._crisis_guarded_fields() if has_guard(self.env, model_name) else {}
            for name, field in Model._fields.items():
                if not field.store or name in MAGIC_COLUMNS or name in guarded:
                    continue
                computed = field.compute and field.readonly and not field.inverse
                workflow_like = (
                    field.type == "selection"
                    and (name == "state" or name.endswith("_state"))
                    and (model_name, name) not in FREE_STATE_FIELDS
                ) or "approved" in name
                readonly = field.readonly and not field.compute
                if (computed or workflow_like or readonly) and (
                    model_name,
                    name,
                ) not in FREE_READONLY_FIELDS:
                    unguarded.append(f"{model_name}.{name}")
        self.assertEqual(unguarded, [], "guard these fields or list them with a reason")

    def test_walk_guarded_fields_refused_to_write_and_create(self):
        records = self._records()
        manager_env = self.env(user=self.user_manager)
        roles = iter(["legal", "technical", "management", "communications", "lead"] * 5)

        def unique_values(model_name):
            if model_name == "crisis.impact":
                return {"partner_id": self.env["res.partner"].create({"name": "New"}).id}
            if model_name == "crisis.team.member":
                return {"role": next(roles)}
            if model_name == "crisis.review":
                # one review per crisis
                return {"crisis_id": self._create_crisis(user=self.user_manager).id}
            return {}

        walked = 0
        for model_name in crisis_models(self.env):
            Model = self.env[model_name]
            if not has_guard(self.env, model_name):
                continue
            record = records[model_name]
            for name, is_workflow in Model._crisis_guarded_fields().items():
                field = Model._fields[name]
                value = sample_value(self.env, field, record[name])
                # write, as the most powerful ordinary user
                with self.subTest(model=model_name, field=name, path="write"):
                    with self.assertRaises(UserError) as error:
                        record.with_env(manager_env).write({name: value})
                    if not isinstance(error.exception, AccessError):
                        self.assertIn(GUARD_MESSAGE, str(error.exception))
                    walked += 1
                # create with the field, and through the context's defaults
                with self.subTest(model=model_name, field=name, path="create"):
                    vals = record.copy_data()[0] if model_name != "crisis.crisis" else {}
                    vals = {k: v for k, v in vals.items() if k in Model._fields}
                    if model_name == "crisis.crisis":
                        vals = {"name": "Forged"}
                    # not another copy of a unique pair
                    vals.update(unique_values(model_name))
                    with self.assertRaises(UserError) as error:
                        Model.with_env(manager_env).create({**vals, name: value})
                    if not isinstance(error.exception, AccessError):
                        self.assertIn(GUARD_MESSAGE, str(error.exception))
                    Forging = Model.with_env(manager_env).with_context(
                        **{f"default_{name}": value}
                    )
                    if is_workflow:
                        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
                            Forging.create(vals)
                    else:
                        # Odoo computes it: the context's default is dropped
                        try:
                            with self.env.cr.savepoint():
                                created = Forging.create(vals)
                                created.flush_recordset()
                                self.assertNotEqual(
                                    created[name],
                                    created._fields[name].convert_to_record(
                                        created._fields[name].convert_to_cache(value, created),
                                        created,
                                    ),
                                )
                        except UserError:
                            continue  # refused for another reason: not created either
        self.assertGreater(walked, 30)

    def test_walk_guarded_fields_refused_through_one2many_commands(self):
        records = self._records()
        manager_env = self.env(user=self.user_manager)
        walked = 0
        for model_name in crisis_models(self.env):
            parent = records[model_name].with_env(manager_env)
            for o2m_name, o2m in parent._fields.items():
                if o2m.type != "one2many" or o2m.related or o2m.compute:
                    continue
                Child = self.env[o2m.comodel_name]
                if not has_guard(self.env, o2m.comodel_name):
                    continue
                child = records[o2m.comodel_name]
                if child[o2m.inverse_name] != records[model_name]:
                    continue
                for name, is_workflow in Child._crisis_guarded_fields().items():
                    if name == o2m.inverse_name:
                        continue
                    value = sample_value(self.env, Child._fields[name], child[name])
                    with self.subTest(parent=model_name, o2m=o2m_name, field=name):
                        with self.assertRaises(UserError):
                            parent.write({o2m_name: [Command.update(child.id, {name: value})]})
                        if is_workflow:
                            with self.assertRaises(UserError):
                                parent.write({o2m_name: [Command.create({name: value})]})
                        walked += 1
        self.assertGreater(walked, 10)

    # ------------------------------------------------------------------
    # Four-eyes approval of compensations
    # ------------------------------------------------------------------

    def test_user_cannot_write_their_own_request_to_approved(self):
        compensation = self._compensation()
        compensation.action_submit()
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            compensation.write({"state": "approved", "approved_by_id": self.user_manager.id})
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            compensation.write({"approved_by_id": self.user_manager.id})
        self.assertEqual(compensation.state, "to_approve")
        self.assertFalse(compensation.approved_by_id)

    def test_user_cannot_create_an_approved_compensation(self):
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            self._compensation(amount=5000, state="approved")
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            self._compensation(amount=5000, state="to_approve")
        # through the one2many of the customer line and of the crisis
        line = self.impacts[0].with_user(self.user_crisis)
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            line.write(
                {"compensation_ids": [Command.create({"amount": 5000, "state": "approved"})]}
            )
        crisis = self.crisis.with_user(self.user_crisis)
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            crisis.write(
                {
                    "impact_ids": [
                        Command.update(
                            line.id,
                            {
                                "compensation_ids": [
                                    Command.create({"amount": 5000, "state": "delivered"})
                                ]
                            },
                        )
                    ]
                }
            )
        # the context's defaults are no way around either (a kanban column's quick create)
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            self.env["crisis.compensation"].with_user(self.user_crisis).with_context(
                default_state="approved"
            ).create({"impact_id": line.id, "amount": 5000})
        # a draft, with its default state spelled out, is fine
        draft = self._compensation(state="draft")
        self.assertEqual(draft.state, "draft")
        self.assertFalse(self.impacts[0].compensation_ids.filtered(lambda c: c.amount == 5000))

    def test_import_cannot_create_an_approved_compensation(self):
        result = (
            self.env["crisis.compensation"]
            .with_user(self.user_crisis)
            .load(
                ["impact_id/.id", "amount", "state"],
                [[str(self.impacts[0].id), "5000", "approved"]],
            )
        )
        self.assertFalse(result["ids"])
        self.assertIn(GUARD_MESSAGE, result["messages"][0]["message"])

    def test_manager_cannot_approve_a_request_they_made_for_someone_else(self):
        compensation = self._compensation(user=self.user_manager, user_id=self.user_crisis.id)
        self.assertEqual(compensation.user_id, self.user_crisis)
        compensation.action_submit()
        with self.assertRaisesRegex(UserError, "their own request"):
            compensation.action_approve()
        # nor the one they submitted for someone else
        other = self._compensation(user=self.user_crisis)
        other.with_user(self.user_manager).action_submit()
        self.assertEqual(other.submitted_by_id, self.user_manager)
        with self.assertRaisesRegex(UserError, "their own request"):
            other.with_user(self.user_manager).action_approve()
        # someone else approves
        second_manager = self._create_second_manager()
        compensation.with_user(second_manager).action_approve()
        self.assertEqual(compensation.approved_by_id, second_manager)

    def test_user_with_a_limit_cannot_approve_a_request_they_made_for_someone_else(self):
        self.company.crisis_compensation_user_limit = 1000
        compensation = self._compensation(user=self.user_crisis, user_id=self.user_crisis_2.id)
        compensation.action_submit()
        with self.assertRaisesRegex(UserError, "their own request"):
            compensation.action_approve()
        # nor the one named as requester
        with self.assertRaisesRegex(UserError, "their own request"):
            compensation.with_user(self.user_crisis_2).action_approve()
        # a third person approves it under the limit
        compensation.with_user(self.user_outsider).action_approve()
        self.assertEqual(compensation.state, "approved")

    def test_requester_must_be_an_allowed_field_only_in_draft(self):
        compensation = self._compensation()
        compensation.user_id = self.user_crisis_2
        compensation.action_submit()
        with self.assertRaisesRegex(UserError, "only a draft compensation"):
            compensation.user_id = self.user_crisis
        with self.assertRaisesRegex(UserError, "only a draft compensation"):
            compensation.amount = 1

    def test_approved_compensation_is_locked(self):
        compensation = self._approved(amount=10_000)
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            compensation.write({"state": "draft"})
        for values in (
            {"amount": 99_999},
            {"currency_id": self.env.ref("base.EUR").id},
            {"type": "refund"},
            {"date_requested": "2020-01-01"},
            {"impact_id": self.impacts[1].id},
            {"user_id": self.user_crisis_2.id},
        ):
            with self.subTest(values=values):
                with self.assertRaisesRegex(UserError, "only a draft compensation"):
                    compensation.write(values)
        self.assertEqual(compensation.amount, 10_000)
        self.assertEqual(compensation.approved_by_id, self.user_manager)
        # the description stays free
        compensation.description = "Sent by courier"

    def test_approved_or_delivered_compensation_cannot_be_deleted(self):
        approved = self._approved()
        with self.assertRaisesRegex(UserError, "kept for the record"):
            approved.unlink()
        approved.action_deliver()
        with self.assertRaisesRegex(UserError, "kept for the record"):
            approved.unlink()
        with self.assertRaisesRegex(UserError, "kept for the record"):
            approved.with_user(self.user_manager).unlink()
        waiting = self._compensation()
        waiting.action_submit()
        with self.assertRaisesRegex(UserError, "kept for the record"):
            waiting.unlink()
        draft = self._compensation()
        draft.unlink()
        self.assertFalse(draft.exists())

    def test_delivered_compensation_cannot_go_back(self):
        compensation = self._approved()
        compensation.action_deliver()
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            compensation.write({"state": "approved"})
        with self.assertRaisesRegex(UserError, "already delivered"):
            compensation.action_deliver()
        self.assertEqual(compensation.state, "delivered")

    def test_only_a_manager_cancels_an_approved_compensation_for_good(self):
        compensation = self._approved()
        with self.assertRaisesRegex(AccessError, "only a Crisis Manager can cancel"):
            compensation.action_cancel()
        compensation.with_user(self.user_manager).action_cancel()
        self.assertEqual(compensation.state, "cancelled")
        with self.assertRaisesRegex(UserError, "was approved once"):
            compensation.action_draft()
        with self.assertRaisesRegex(UserError, "kept for the record"):
            compensation.unlink()
        # a draft cancelled by its requester may start again
        draft = self._compensation()
        draft.action_cancel()
        draft.action_draft()
        self.assertEqual(draft.state, "draft")

    def test_company_amount_is_fixed_at_approval(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            [
                {"currency_id": eur.id, "name": "2026-01-01", "rate": 0.5},
                {"currency_id": eur.id, "name": "2020-01-01", "rate": 128.0},
            ]
        )
        if eur == self.currency:
            self.skipTest("the company currency is EUR")
        compensation = self._compensation(
            amount=10_000, currency_id=eur.id, date_requested=date(2026, 3, 1)
        )
        compensation.action_submit()
        compensation.with_user(self.user_manager).action_approve()
        amount_company = compensation.amount_company
        self.assertAlmostEqual(amount_company, 20_000)
        with self.assertRaises(UserError):
            compensation.date_requested = date(2020, 6, 1)
        compensation.invalidate_recordset()
        self.assertAlmostEqual(compensation.amount_company, amount_company)
        # even a recomputation (a rate correction, an upgrade) keeps it
        self.env.add_to_compute(compensation._fields["amount_company"], compensation)
        compensation.with_env(self.env)._recompute_recordset(["amount_company"])
        self.assertAlmostEqual(compensation.amount_company, amount_company)

    def test_workflow_buttons_return_values_xmlrpc_can_carry(self):
        compensation = self._compensation()
        self.assertIs(compensation.action_submit(), True)
        self.assertIs(compensation.with_user(self.user_manager).action_approve(), True)
        self.assertIs(compensation.action_deliver(), True)
        crisis = self.crisis.with_user(self.user_manager)
        self.assertIs(crisis.action_approve_statement(), True)
        self.assertIs(crisis.action_reset_statement(), True)
        self.assertIs(self.step.with_user(self.user_crisis).action_done(), True)

    # ------------------------------------------------------------------
    # One voice
    # ------------------------------------------------------------------

    def test_user_cannot_forge_the_statement_approval(self):
        crisis = self.crisis.with_user(self.user_crisis)
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            crisis.write(
                {"statement_state": "approved", "statement_approved_by_id": self.user_manager.id}
            )
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            crisis.write({"date_statement_approved": "2026-01-01 00:00:00"})
        with self.assertRaisesRegex(AccessError, "Only a Crisis Manager"):
            crisis.action_approve_statement()
        self.assertEqual(crisis.statement_state, "draft")
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            self.env["crisis.crisis"].with_user(self.user_crisis).create(
                {"name": "Pre-approved", "statement_state": "approved"}
            )

    def test_rewriting_an_approved_statement_sends_it_back_to_draft(self):
        self.crisis.with_user(self.user_manager).action_approve_statement()
        crisis = self.crisis.with_user(self.user_crisis)
        # keeping it "approved" in the same write is refused
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            crisis.write(
                {"public_statement": "<p>Nothing happened.</p>", "statement_state": "approved"}
            )
        self.assertEqual(crisis.statement_state, "approved")
        crisis.write({"public_statement": "<p>Nothing happened.</p>"})
        self.assertEqual(crisis.statement_state, "draft")
        self.assertFalse(crisis.statement_approved_by_id)
        self.assertFalse(crisis.date_statement_approved)
        # unchanged text (an integrator writing the same value) keeps the approval
        self.crisis.with_user(self.user_manager).action_approve_statement()
        crisis.write({"public_statement": crisis.public_statement})
        self.assertEqual(crisis.statement_state, "approved")

    def test_acknowledgement_cannot_be_forged(self):
        crisis = self.crisis.with_user(self.user_crisis)
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            crisis.write({"date_acknowledged": fields.Datetime.now()})
        self.assertIs(crisis.action_acknowledge(), True)
        self.assertTrue(crisis.date_acknowledged)
        # only those who may edit the crisis acknowledge it
        with self.assertRaises(AccessError):
            self.other_crisis.with_user(self.user_crisis).action_acknowledge()

    # ------------------------------------------------------------------
    # Isolation: records stay where the user may work
    # ------------------------------------------------------------------

    def test_user_cannot_move_records_onto_a_crisis_they_may_not_edit(self):
        line = self.impacts[2].with_user(self.user_crisis)
        with self.assertRaises(AccessError):
            line.write({"crisis_id": self.other_crisis.id})
        compensation = self._compensation()
        with self.assertRaises(AccessError):
            compensation.write({"impact_id": self.other_impact.id})
        with self.assertRaises(AccessError):
            self.step.with_user(self.user_crisis).write({"plan_id": self.other_plan.id})
        with self.assertRaises(AccessError):
            self.plan.with_user(self.user_crisis).write({"crisis_id": self.other_crisis.id})
        self.assertEqual(self.impacts[2].crisis_id, self.crisis)
        self.assertEqual(self.step.plan_id, self.plan)
        self.assertEqual(self.plan.crisis_id, self.crisis)
        # an agent of a line on a crisis that is not theirs cannot take it away
        self.other_impact.user_id = self.user_crisis
        with self.assertRaises(AccessError):
            self.other_impact.with_user(self.user_crisis).write({"crisis_id": self.crisis.id})
        # within their own crises, moving works
        own = self._create_crisis(user=self.user_crisis, name="Second one")
        line.write({"crisis_id": own.id})
        self.assertEqual(line.crisis_id, own)
        # but not onto a crisis that has the customer already: a clear message
        self.env["crisis.impact"].create(
            {"crisis_id": own.id, "partner_id": self.impacts[3].partner_id.id}
        )
        with self.assertRaisesRegex(ValidationError, "already an affected customer"):
            self.impacts[3].with_user(self.user_crisis).write({"crisis_id": own.id})

    def test_related_fields_cannot_be_written_around_their_source(self):
        compensation = self._compensation()
        for values in (
            {"crisis_id": self.other_crisis.id},
            {"company_id": self.company_2.id},
            {"partner_id": self.customers[3].id},
        ):
            with self.subTest(values=values):
                with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
                    compensation.write(values)
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            self.impacts[0].with_user(self.user_crisis).write({"company_id": self.company_2.id})
        self.assertEqual(compensation.crisis_id, self.crisis)
        self.assertEqual(self.impacts[0].company_id, self.company)

    def test_records_never_move_to_another_company(self):
        # a manager working in both companies
        self.user_manager.company_ids |= self.company_2
        manager_env = self.env(
            user=self.user_manager,
            context={"allowed_company_ids": [self.company.id, self.company_2.id]},
        )
        crisis_b = self._create_crisis(
            user=self.user_manager_2, company_id=self.company_2.id, name="Company two's"
        )
        customer_b = self.env["res.partner"].create({"name": "B customer", "company_id": False})
        line_b = self.env["crisis.impact"].create(
            {"crisis_id": crisis_b.id, "partner_id": customer_b.id}
        )
        plan_b = self.env["crisis.action.plan"].create(
            {"name": "B plan", "crisis_id": crisis_b.id}
        )
        compensation = self._compensation().with_env(manager_env)
        with self.assertRaisesRegex(UserError, "another company"):
            compensation.write({"impact_id": line_b.id})
        with self.assertRaisesRegex(UserError, "another company"):
            self.impacts[3].with_env(manager_env).write({"crisis_id": crisis_b.id})
        with self.assertRaisesRegex(UserError, "another company"):
            self.step.with_env(manager_env).write({"plan_id": plan_b.id})
        with self.assertRaisesRegex(UserError, "another company"):
            self.plan.with_env(manager_env).write({"crisis_id": crisis_b.id})
        with self.assertRaisesRegex(UserError, "cannot move to another company"):
            self.crisis.with_env(manager_env).write({"company_id": self.company_2.id})
        self.assertEqual(compensation.company_id, self.company)

    def test_playbook_steps_are_hidden_like_their_playbook(self):
        playbook_b = self.env["crisis.playbook"].create(
            {
                "name": "Company two's playbook",
                "company_id": self.company_2.id,
                "step_ids": [(0, 0, {"name": "Secret step"})],
            }
        )
        step_b = playbook_b.step_ids
        self.assertEqual(step_b.company_id, self.company_2)
        Step = self.env["crisis.playbook.step"].with_user(self.user_crisis)
        self.assertNotIn(step_b, Step.search([]))
        with self.assertRaises(AccessError):
            step_b.with_user(self.user_crisis).read(["name"])
        # shared playbooks' steps stay visible
        shared = self.env["crisis.playbook"].create(
            {"name": "Shared", "company_id": False, "step_ids": [(0, 0, {"name": "Open"})]}
        )
        self.assertIn(shared.step_ids, Step.search([]))
        self.assertIn(step_b, Step.with_user(self.user_manager_2).search([]))

    def test_customer_updates_are_a_record_nobody_rewrites(self):
        update = (
            self.env["crisis.update"]
            .sudo()
            .create(
                {
                    "crisis_id": self.crisis.id,
                    "name": "Subject",
                    "kind": "initial",
                    "sent_count": 3,
                }
            )
        )
        with self.assertRaises(UserError):
            update.with_user(self.user_manager).write({"sent_count": 3000})
        with self.assertRaises(AccessError):
            self.env["crisis.update"].with_user(self.user_manager).create(
                {"crisis_id": self.crisis.id, "name": "Forged", "kind": "initial"}
            )
        self.assertEqual(update.sent_count, 3)
