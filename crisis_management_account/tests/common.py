from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class CrisisAccountCase(AccountTestInvoicingCommon):
    """Odoo's accounting test base (two companies, a foreign currency) with
    crisis users, a crisis per company and approved compensations."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_data_2 = cls.setup_other_company()
        cls.other_currency = cls.setup_other_currency("EUR")
        cls.company = cls.company_data["company"]
        cls.company_2 = cls.company_data_2["company"]
        both = [Command.set((cls.company + cls.company_2).ids)]
        cls.user_manager = new_test_user(
            cls.env,
            login="crisis_acc_manager",
            name="Mona Crisis-Manager",
            groups="crisis_management.group_crisis_manager",
            company_id=cls.company.id,
            company_ids=both,
        )
        # a crisis user with invoicing rights: the crisis lead
        cls.user_billing = new_test_user(
            cls.env,
            login="crisis_acc_billing",
            name="Bill Crisis-Invoicing",
            groups="crisis_management.group_crisis_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=both,
        )
        # a crisis user of the team, without invoicing rights
        cls.user_crisis = new_test_user(
            cls.env,
            login="crisis_acc_user",
            name="Carl Crisis-User",
            groups="crisis_management.group_crisis_user",
            company_id=cls.company.id,
            company_ids=both,
        )
        cls.refund_product = cls._create_product(name="Crisis refund", lst_price=0.0)
        cls.company.crisis_credit_note_product_id = cls.refund_product
        cls.sale_journal = cls.company_data["default_journal_sale"]
        cls.crisis = cls._create_crisis(cls.company)
        cls.crisis_2 = cls._create_crisis(cls.company_2)
        cls.partner_b.lang = "en_US"
        cls.impact_a, cls.impact_b = (
            cls.env["crisis.impact"]
            .sudo()
            .create(
                [
                    {"crisis_id": cls.crisis.id, "partner_id": cls.partner_a.id},
                    {"crisis_id": cls.crisis.id, "partner_id": cls.partner_b.id},
                ]
            )
        )
        cls.impact_2 = (
            cls.env["crisis.impact"]
            .sudo()
            .create({"crisis_id": cls.crisis_2.id, "partner_id": cls.partner_a.id})
        )

    @classmethod
    def _create_crisis(cls, company):
        team = (
            cls.env["crisis.team"]
            .sudo()
            .create(
                {
                    "name": f"Team {company.name}",
                    "company_id": company.id,
                    "leader_id": cls.user_billing.id,
                    "member_ids": [
                        Command.create({"user_id": cls.user_crisis.id, "role": "sales"})
                    ],
                }
            )
        )
        return (
            cls.env["crisis.crisis"]
            .with_user(cls.user_manager)
            .with_company(company)
            .create(
                {
                    "name": f"Billing outage {company.name}",
                    "type_id": cls.env.ref("crisis_management.crisis_type_service_outage").id,
                    "company_id": company.id,
                    "user_id": cls.user_billing.id,
                    "team_id": team.id,
                }
            )
            .with_env(cls.env)
        )

    def _approved(self, impact=None, amount=20.0, ctype="refund", **values):
        """A compensation requested by the team's user, approved by the manager."""
        impact = impact or self.impact_a
        company = impact.company_id
        compensation = (
            self.env["crisis.compensation"]
            .with_user(self.user_crisis)
            .with_company(company)
            .create(
                {
                    "impact_id": impact.id,
                    "type": ctype,
                    "amount": amount,
                    "currency_id": company.currency_id.id,
                    **values,
                }
            )
        )
        compensation.action_submit()
        compensation.with_user(self.user_manager).action_approve()
        return compensation.with_user(self.user_billing)

    def _messages(self, compensation):
        return compensation.sudo().message_ids.mapped("preview")
