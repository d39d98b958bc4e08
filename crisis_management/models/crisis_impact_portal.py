import uuid

from odoo import api, models
from odoo.osv import expression


class CrisisImpact(models.Model):
    """The customer's page of an affected-customer line (Odoo's portal).

    Portal users get no access right on the lines: the portal controller
    checks the access (a line's token, or the line of the user's commercial
    entity) and reads as superuser only what the page shows. Internal content
    (talking points, notes, churn risk, other customers) never reaches it.
    """

    _inherit = "crisis.impact"  # pylint: disable=consider-merging-classes-inherited

    def _compute_access_url(self):
        for impact in self:
            impact.access_url = f"/my/crises/{impact.id}"

    @api.model_create_multi
    def create(self, vals_list):
        # every line gets its token at creation, in the same INSERT: the emails
        # to thousands of customers carry it without a write per line
        for vals in vals_list:
            vals.setdefault("access_token", str(uuid.uuid4()))
        return super().create(vals_list)

    def _crisis_email_template(self, template):
        self._crisis_portal_prefetch()
        return super()._crisis_email_template(template)

    def _crisis_portal_prefetch(self):
        """Read for all the customers at once what Odoo's portal reads for each
        when it links an email to the customer's page (its access button with
        the signup parameters, ``portal`` ``_notify_get_recipients_groups``):
        two queries per batch instead of two per customer, and the signup type
        written on the customers who have none in one go."""
        partners = self.sudo().partner_id
        partners.fetch(["user_ids", "child_ids", "signup_type"])
        if self.env["res.users"].sudo()._get_signup_invitation_scope() == "b2c":
            # what signup_get_auth_param writes on each of them, in one write
            partners.filtered(lambda partner: not partner.user_ids).signup_prepare()

    @api.model
    def _crisis_portal_domain(self, partner=None):
        """The lines shown on the portal to ``partner`` (the current user's by
        default): theirs and their commercial entity's, of crises that speak
        to customers (an approved statement, not a drill)."""
        partner = partner if partner is not None else self.env.user.partner_id
        return expression.AND(
            [
                [("partner_id", "child_of", partner.commercial_partner_id.ids)],
                self._crisis_portal_visible_domain(),
            ]
        )

    @api.model
    def _crisis_portal_visible_domain(self):
        """Lines a customer may see at all, whoever they are: of crises that
        may speak to their customers (the gate as a domain,
        ``crisis.crisis._crisis_speak_domain``)."""
        return [("crisis_id", "any", self.env["crisis.crisis"]._crisis_speak_domain())]

    @api.model
    def _get_thread_with_access(self, thread_id, mode="read", **kwargs):
        """Odoo's portal chatter (``/mail/message/post``, ``/mail/chatter_fetch``
        …) opens a line by its token or signed hash: only the lines the
        customer's page itself shows, never a drill's nor a line of a crisis
        whose statement is not approved. Internal users keep their rights."""
        thread = super()._get_thread_with_access(thread_id, mode, **kwargs)
        if not thread or self.env.user._is_internal():
            return thread
        if not thread.sudo().filtered_domain(self._crisis_portal_visible_domain()):
            return self.browse()
        return thread

    def _crisis_portal_sent_updates(self):
        """The updates this customer was emailed, the latest first."""
        self.ensure_one()
        recipients = (
            self.env["crisis.update.recipient"]
            .sudo()
            .search([("impact_id", "=", self.id), ("state", "=", "sent")])
        )
        return recipients.update_id.sorted(lambda u: (u.date_sent, u.id), reverse=True)
