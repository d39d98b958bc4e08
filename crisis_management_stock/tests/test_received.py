"""Affected customers found from what they received: lots, products, periods,
returns and dropshipping, recorded on their lines and shown on their page."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import CrisisStockCase


@tagged("post_install", "-at_install")
class TestReceived(HttpCase, CrisisStockCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.ann, cls.bob, cls.cleo, cls.dan, cls.eve = Partner.create(
            [
                {"name": name, "email": f"{name.lower()}@example.com"}
                for name in ("Ann", "Bob", "Cleo", "Dan", "Eve")
            ]
        )
        before = cls.began - timedelta(days=2)
        # Ann returned both units before the crisis: not affected
        ann = cls._deliver(cls.ann, cls.kettle, 2, cls.lot_bad, origin="S00040", when=before)
        cls._return(ann, 2, when=cls.began - timedelta(days=1))
        # Bob returned one of three before: two affected
        cls.bob_delivery = cls._deliver(
            cls.bob, cls.kettle, 3, cls.lot_bad, origin="S00042", when=before
        )
        cls._return(cls.bob_delivery, 1, when=cls.began - timedelta(days=1))
        # Cleo got the good lot only
        cls._deliver(cls.cleo, cls.kettle, 1, cls.lot_good, origin="S00043", when=before)
        # Dan's unit was dropshipped from the supplier
        cls._deliver(
            cls.dan, cls.kettle, 1, cls.lot_bad, origin="P00007", source=cls.suppliers, when=before
        )
        # Eve returned hers after the crisis began: she was affected
        eve = cls._deliver(cls.eve, cls.kettle, 1, cls.lot_bad, origin="S00045", when=before)
        cls._return(eve, 1)
        # one of our employees bought one too: never an affected customer
        cls._deliver(
            cls.user_internal.partner_id, cls.kettle, 1, cls.lot_bad, origin="S00046", when=before
        )

    def test_lot_recall_follows_returns_and_dropshipping(self):
        wizard = self._wizard(received_lot_ids=[Command.set(self.lot_bad.ids)])
        self.assertFalse(wizard.filter_error)
        self.assertEqual(wizard.match_count, 3, "Bob, Dan and Eve")
        self.assertEqual(wizard.excluded_count, 1, "the employee is left out")
        result = wizard.action_add()
        self.assertEqual(result["params"]["type"], "success")
        impacts = self.crisis.impact_ids
        self.assertEqual(impacts.partner_id, self.bob | self.dan | self.eve)
        bob = impacts.filtered(lambda i: i.partner_id == self.bob)
        self.assertEqual(len(bob.receipt_ids), 1)
        receipt = bob.receipt_ids
        self.assertEqual(
            (receipt.product_id, receipt.lot_id, receipt.quantity, receipt.origin),
            (self.kettle, self.lot_bad, 2.0, "S00042"),
        )
        self.assertEqual(receipt.picking_id, self.bob_delivery)
        self.assertEqual(bob.receipt_count, 1)
        dan = impacts.filtered(lambda i: i.partner_id == self.dan)
        self.assertEqual((dan.receipt_ids.quantity, dan.receipt_ids.origin), (1.0, "P00007"))
        eve = impacts.filtered(lambda i: i.partner_id == self.eve)
        self.assertEqual(eve.receipt_ids.quantity, 1.0, "returned after the crisis began")

    def test_adding_again_records_nothing_twice(self):
        self._wizard(received_lot_ids=[Command.set(self.lot_bad.ids)]).action_add()
        result = self._wizard(received_lot_ids=[Command.set(self.lot_bad.ids)]).action_add()
        self.assertIn("0 affected customers added, 3 already linked", result["params"]["message"])
        self.assertEqual(len(self.crisis.impact_ids.receipt_ids), 3)

    def test_products_and_period(self):
        old = fields.Datetime.now() - timedelta(days=60)
        frank = self.env["res.partner"].create({"name": "Frank"})
        self._deliver(frank, self.kettle, 1, self.lot_good, origin="S00001", when=old)
        wizard = self._wizard(received_product_ids=[Command.set(self.kettle.ids)])
        self.assertEqual(wizard.match_count, 5, "Bob, Cleo, Dan, Eve and Frank")
        wizard.received_date_from = fields.Date.today() - timedelta(days=10)
        self.assertEqual(wizard.match_count, 4, "Frank's delivery is older")
        wizard.received_date_from = fields.Date.today() - timedelta(days=90)
        wizard.received_date_to = fields.Date.today() - timedelta(days=30)
        self.assertFalse(wizard.filter_error)
        self.assertEqual(wizard.match_count, 1, "Frank only")
        wizard.received_date_from = fields.Date.today()
        self.assertIn("ends before it starts", wizard.filter_error)

    def test_a_lot_never_delivered_says_so(self):
        wizard = self._wizard(received_lot_ids=[Command.set(self.lot_unsold.ids)])
        self.assertIn("L-2699", wizard.filter_error)
        self.assertIn("Nobody to add", wizard.filter_error)
        with self.assertRaisesRegex(UserError, "Nobody to add"):
            wizard.action_add()
        with self.assertRaisesRegex(UserError, "at least one product or lot"):
            self._wizard().action_add()

    def test_other_company_deliveries_are_not_counted(self):
        company_2 = self.company_2
        warehouse_2 = self.env["stock.warehouse"].search([("company_id", "=", company_2.id)])
        lot_2 = self.env["stock.lot"].create(
            {"name": "L-2611-2", "product_id": self.kettle.id, "company_id": company_2.id}
        )
        gus = self.env["res.partner"].create({"name": "Gus", "company_id": company_2.id})
        picking = (
            self.env["stock.picking"]
            .with_company(company_2)
            .create(
                {
                    "picking_type_id": warehouse_2.out_type_id.id,
                    "partner_id": gus.id,
                    "location_id": warehouse_2.lot_stock_id.id,
                    "location_dest_id": self.customers_location.id,
                    "move_ids": [
                        Command.create(
                            {
                                "name": "Kettle",
                                "product_id": self.kettle.id,
                                "product_uom_qty": 1,
                                "product_uom": self.kettle.uom_id.id,
                                "location_id": warehouse_2.lot_stock_id.id,
                                "location_dest_id": self.customers_location.id,
                                "move_line_ids": [
                                    Command.create(
                                        {
                                            "product_id": self.kettle.id,
                                            "lot_id": lot_2.id,
                                            "quantity": 1,
                                            "location_id": warehouse_2.lot_stock_id.id,
                                            "location_dest_id": self.customers_location.id,
                                        }
                                    )
                                ],
                            }
                        )
                    ],
                }
            )
        )
        picking.move_ids.picked = True
        picking.with_company(company_2)._action_done()
        self.assertEqual(picking.state, "done")
        wizard = self._wizard(received_product_ids=[Command.set(self.kettle.ids)])
        self.assertEqual(wizard.match_count, 4, "Gus received his kettle from the other company")

    def test_in_the_background_above_the_threshold(self):
        self.company.crisis_add_background_threshold = 2
        wizard = self._wizard(received_lot_ids=[Command.set(self.lot_bad.ids)])
        result = wizard.action_add()
        self.assertEqual(result["params"]["type"], "info")
        job = self.env["crisis.impact.job"].search([("crisis_id", "=", self.crisis.id)])
        self.assertEqual(job.selection_details["lot_ids"], self.lot_bad.ids)
        self.assertFalse(self.crisis.impact_ids)
        for _batch in range(3):
            job._crisis_run_due(batch_size=2)
        self.assertEqual(job.state, "done")
        self.assertEqual(self.crisis.impact_ids.partner_id, self.bob | self.dan | self.eve)
        self.assertEqual(
            sorted(self.crisis.impact_ids.receipt_ids.mapped("quantity")), [1.0, 1.0, 2.0]
        )

    def test_received_goods_are_read_only(self):
        self._wizard(received_lot_ids=[Command.set(self.lot_bad.ids)]).action_add()
        bob = self.crisis.impact_ids.filtered(lambda i: i.partner_id == self.bob)
        Receipt = self.env["crisis.impact.receipt"].with_user(self.user_manager)
        with self.assertRaises(AccessError):
            Receipt.create(
                {
                    "impact_id": bob.id,
                    "crisis_id": self.crisis.id,
                    "partner_id": self.bob.id,
                    "company_id": self.company.id,
                    "move_id": bob.receipt_ids.move_id.id,
                    "product_id": self.kettle.id,
                }
            )
        with self.assertRaises(AccessError):
            bob.receipt_ids.with_user(self.user_manager).write({"quantity": 9})
        with self.assertRaisesRegex(UserError, "cannot be set directly"):
            bob.with_user(self.user_manager).write({"receipt_ids": [Command.clear()]})
        # another company's manager sees none of them
        self.assertFalse(
            Receipt.with_user(self.user_manager_2).search([("crisis_id", "=", self.crisis.id)])
        )

    def test_the_customer_page_names_the_order_and_the_lot(self):
        self._wizard(received_lot_ids=[Command.set(self.lot_bad.ids)]).action_add()
        bob = self.crisis.impact_ids.filtered(lambda i: i.partner_id == self.bob)
        # the page speaks once the statement is approved
        self.crisis.sudo().write(
            {"public_title": "Kettle recall", "public_statement": "<p>Lot L-2611 may leak.</p>"}
        )
        self.crisis.with_user(self.user_manager).action_approve_statement()
        bob.sudo()._portal_ensure_token()
        response = self.url_open(bob.sudo().get_portal_url())
        self.assertEqual(response.status_code, 200)
        self.assertIn("What you received", response.text)
        self.assertIn("Your order <span", response.text)
        self.assertIn("S00042", response.text)
        self.assertIn("L-2611", response.text)
        self.assertIn("Electric Kettle K2", response.text)

    def test_the_recall_through_the_external_api(self):
        """An integrator adds the customers of a lot, and ships a replacement,
        over XML-RPC."""

        def call(user, model, method, *args, **kwargs):
            return self.xmlrpc_object.execute_kw(
                self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs
            )

        self.crisis.team_id = self._create_crisis_user_team()
        self.crisis.team_id.member_ids = [
            Command.create({"user_id": self.user_warehouse.id, "role": "customer_service"})
        ]
        wizard_id = call(
            self.user_crisis,
            "crisis.impact.wizard",
            "create",
            [
                {
                    "crisis_id": self.crisis.id,
                    "selection_mode": "received",
                    # plain lists on the wire: (6, 0, ids) is Command.set
                    "received_lot_ids": [(6, 0, self.lot_bad.ids)],
                }
            ],
        )[0]
        result = call(self.user_crisis, "crisis.impact.wizard", "action_add", [wizard_id])
        self.assertIn("3 affected customers added", result["params"]["message"])
        bob = self.crisis.impact_ids.filtered(lambda i: i.partner_id == self.bob)
        self.assertEqual(bob.receipt_ids.quantity, 2.0)
        compensation_id = call(
            self.user_crisis,
            "crisis.compensation",
            "create",
            [{"impact_id": bob.id, "type": "replacement"}],
        )[0]
        call(self.user_crisis, "crisis.compensation", "action_submit", [compensation_id])
        call(self.user_manager, "crisis.compensation", "action_approve", [compensation_id])
        self.assertIs(
            call(self.user_warehouse, "crisis.compensation", "action_deliver", [compensation_id]),
            True,
        )
        compensation = self.env["crisis.compensation"].browse(compensation_id)
        self.assertEqual(
            sorted(compensation.sudo().picking_ids.mapped("picking_type_code")),
            ["incoming", "outgoing"],
        )

    def test_a_serial_number(self):
        """A recall of one unit: the customer who received serial number SN-0042."""
        heater = self.env["product.product"].create(
            {"name": "Oil Heater H1", "is_storable": True, "tracking": "serial"}
        )
        serials = self.env["stock.lot"].create(
            [{"name": f"SN-004{i}", "product_id": heater.id} for i in (1, 2)]
        )
        frank, gina = self.env["res.partner"].create([{"name": "Frank"}, {"name": "Gina"}])
        self._deliver(frank, heater, 1, serials[0], origin="S00101")
        self._deliver(gina, heater, 1, serials[1], origin="S00102")
        wizard = self._wizard(received_lot_ids=[Command.set(serials[1].ids)])
        self.assertEqual(wizard.match_count, 1)
        self.assertEqual(wizard.match_partner_ids, gina)
        wizard.action_add()
        receipt = self.crisis.impact_ids.receipt_ids
        self.assertEqual(
            (receipt.partner_id, receipt.lot_id.name, receipt.quantity, receipt.origin),
            (gina, "SN-0042", 1.0, "S00102"),
        )

    def test_recorded_rows_are_those_the_orm_writes(self):
        """The receipts written in SQL have every stored column the ORM would
        give the same values (no default, computed or tracked column missed)."""
        self._wizard(received_lot_ids=[Command.set(self.lot_bad.ids)]).action_add()
        Receipt = self.env["crisis.impact.receipt"]
        recorded = self.crisis.impact_ids.filtered(lambda i: i.partner_id == self.bob).receipt_ids
        stored = [
            name
            for name, field in Receipt._fields.items()
            if field.store
            and name not in ("id", "create_date", "write_date", "create_uid", "write_uid")
        ]
        values = recorded.read(stored, load=None)[0]
        values.pop("id")
        # the same receipt made by create() on another line (one per line, move and lot)
        other = self.env["crisis.impact"]._link_partners(self.crisis, self.cleo.ids)
        made = Receipt.create(dict(values, impact_id=other.id))
        made_values = made.read(stored, load=None)[0]
        made_values.pop("id")
        self.assertEqual({**made_values, "impact_id": recorded.impact_id.id}, values)
        # who and when: the user who added the customers, as create() records it
        self.assertEqual(
            (recorded.create_uid, recorded.write_uid), (self.user_crisis, self.user_crisis)
        )
        self.assertTrue(recorded.create_date and recorded.write_date)
