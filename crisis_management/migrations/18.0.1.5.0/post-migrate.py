"""The compensation offer links to the answer on the customer's page.

The shipped templates are ``noupdate``: an upgrade does not reload them. In
every language the offer template holds, the *Accept or decline the offer*
button goes before the link to the customer's page (at the end of the body
when that link is gone), unless the body has it already.
"""

from odoo import SUPERUSER_ID, api

OFFER_TEMPLATE = "crisis_management.mail_template_compensation_offer"
ANCHOR = "crisis_compensations"
BUTTON = """    <p t-if="object.impact_id and object.state == 'approved' and \
object.customer_response == 'none'" style="margin:16px 0px 0px 0px; padding:0px; font-size:13px">
        <a t-att-href="object.impact_id.get_portal_url(anchor='crisis_compensations')" \
style="background-color:#875A7B; padding:8px 16px; text-decoration:none; color:#fff; \
border-radius:5px; font-size:13px">%s</a>
    </p>
"""
# the button's words in the languages the addon ships (i18n/*.po); English elsewhere
LABELS = {"zh_CN": "接受或拒绝补偿"}
LABEL = "Accept or decline the offer"
PAGE_LINK = '<p t-if="object.impact_id"'


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    template = env.ref(OFFER_TEMPLATE, raise_if_not_found=False)
    if not template:
        return
    langs = {code for code, _name in env["res.lang"].get_installed()} | {"en_US"}
    stored = template._fields["body_html"]._get_stored_translations(template) or {}
    translations = {
        lang: with_button(value, BUTTON % LABELS.get(lang, LABEL))
        for lang, value in stored.items()
        if lang in langs and value and ANCHOR not in value
    }
    if translations:
        template.update_field_translations("body_html", translations)


def with_button(body, button):
    """``body`` with ``button`` before the page link, else last in its outer block."""
    index = body.find(PAGE_LINK)
    if index >= 0:
        line_start = body.rfind("\n", 0, index) + 1
        return body[:line_start] + button + body[line_start:]
    stripped = body.rstrip()
    if stripped.endswith("</div>"):
        index = stripped.rfind("</div>")
        return stripped[:index] + button + stripped[index:]
    return stripped + "\n" + button
