"""Incoming emails a crisis takes before Odoo posts them.

Odoo's mail gateway routes a reply to a notice to the customer's line (the
References of the notice) and posts it there as the customer's message: its
followers, the agent and the crisis lead, are emailed. Odoo flags automatic
emails only when they start a thread, so out-of-office replies to a notice of
10,000 customers would email the team hundreds of times. Each route of an
incoming email is offered to ``crisis.impact._crisis_take_email`` first: an
automatic reply is recorded quietly on the line, an unsubscribe email
unsubscribes it; other routes, and other emails, are Odoo's.
"""

from odoo import api, models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _message_route_process(self, message, message_dict, routes):
        Impact = self.env["crisis.impact"]
        kept, taken = [], Impact.sudo().browse()
        for route in routes or ():
            line = Impact._crisis_take_email(message, message_dict, route)
            if line:
                taken = line
            else:
                kept.append(route)
        if taken and not kept:
            return taken.id
        return super()._message_route_process(message, message_dict, kept)
