"""The shipped stages say what customers read of them (``customer_status``);
every customer email links to the customer's page (Odoo's portal).

The stages are ``noupdate`` data: an upgrade does not reload them. The new
column starts as *Investigating*; the shipped stages get the status their
fresh install has, unless someone changed it already.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

STATUSES = {
    "crisis_management.crisis_stage_responding": "identified",
    "crisis_management.crisis_stage_monitoring": "monitoring",
    "crisis_management.crisis_stage_resolved": "resolved",
    "crisis_management.crisis_stage_closed": "resolved",
}


# the paragraph the shipped customer emails end with (data/mail_template_data.xml)
PORTAL_LINK = """    <p%(condition)s style="margin:16px 0px 0px 0px; padding:0px; font-size:13px">
        Your personal page shows what we sent you about this incident and what comes next; \
you can also write to us there: <a t-att-href="%(url)s">open your page</a>.
    </p>
"""
IMPACT_TEMPLATES = (
    "crisis_management.mail_template_impact_initial",
    "crisis_management.mail_template_impact_progress",
    "crisis_management.mail_template_impact_resolution",
    "crisis_management.mail_template_impact_satisfaction",
)
COMPENSATION_TEMPLATE = "crisis_management.mail_template_compensation_offer"


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    _migrate_stage_statuses(env)
    _migrate_portal_tokens(env)
    _migrate_portal_links(env)


def _migrate_stage_statuses(env):
    for xmlid, status in STATUSES.items():
        stage = env.ref(xmlid, raise_if_not_found=False)
        if stage and stage.customer_status == "investigating":
            stage.customer_status = status
    # other stages: resolved ones read as resolved
    env["crisis.stage"].with_context(active_test=False).search(
        [("is_resolved", "=", True), ("customer_status", "=", "investigating")]
    ).customer_status = "resolved"


def _migrate_portal_tokens(env):
    """Every line has its own token (new lines get theirs at creation): the
    emails carry it without a write per line."""
    env.cr.execute(
        SQL(
            "UPDATE crisis_impact SET access_token = gen_random_uuid()::text"
            " WHERE access_token IS NULL"
        )
    )


def _migrate_portal_links(env):
    """The shipped templates are ``noupdate``: in every language they hold, their
    body ends with the link to the customer's page, unless it does already."""
    langs = {code for code, _name in env["res.lang"].get_installed()} | {"en_US"}
    paragraphs = {
        xmlid: PORTAL_LINK % {"condition": "", "url": "object.get_portal_url()"}
        for xmlid in IMPACT_TEMPLATES
    }
    paragraphs[COMPENSATION_TEMPLATE] = PORTAL_LINK % {
        "condition": ' t-if="object.impact_id"',
        "url": "object.impact_id.get_portal_url()",
    }
    for xmlid, paragraph in paragraphs.items():
        template = env.ref(xmlid, raise_if_not_found=False)
        if not template:
            continue
        stored = template._fields["body_html"]._get_stored_translations(template) or {}
        translations = {
            lang: _with_link(value, paragraph)
            for lang, value in stored.items()
            if lang in langs and value and "get_portal_url()" not in value
        }
        if translations:
            template.update_field_translations("body_html", translations)


def _with_link(body, paragraph):
    """``body`` with ``paragraph`` last in its outer block (at its end if none)."""
    stripped = body.rstrip()
    if stripped.endswith("</div>"):
        index = stripped.rfind("</div>")
        return stripped[:index] + paragraph + stripped[index:]
    return stripped + "\n" + paragraph
