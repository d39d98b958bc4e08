"""Customers read the customer-facing title of a crisis, not its internal title;
the audience of a send keeps fewer indexes.

The shipped email templates are ``noupdate``: an upgrade does not reload
them. Before 18.0.1.2.0 they named ``object.crisis_id.name``; in every
language they hold, they now name ``object.crisis_id.public_title`` (the
title until someone writes another one, computed by the upgrade).
"""

from odoo import SUPERUSER_ID, api

OLD = "object.crisis_id.name"
NEW = "object.crisis_id.public_title"
TEMPLATES = (
    "crisis_management.mail_template_compensation_offer",
    "crisis_management.mail_template_impact_initial",
    "crisis_management.mail_template_impact_progress",
    "crisis_management.mail_template_impact_resolution",
    "crisis_management.mail_template_impact_satisfaction",
)


def migrate(cr, version):
    if not version:
        return
    # indexes the audience of a send no longer keeps (each row of a frozen
    # audience costs one insert per index): the unique (update, line) index
    # and the pending queue's index serve their queries
    for name in ("update_id", "company_id", "state"):
        cr.execute(f"DROP INDEX IF EXISTS crisis_update_recipient__{name}_index")
    env = api.Environment(cr, SUPERUSER_ID, {})
    langs = {code for code, _name in env["res.lang"].get_installed()} | {"en_US"}
    for xmlid in TEMPLATES:
        template = env.ref(xmlid, raise_if_not_found=False)
        if not template:
            continue
        for name in ("subject", "body_html"):
            stored = template._fields[name]._get_stored_translations(template) or {}
            translations = {
                lang: value.replace(OLD, NEW)
                for lang, value in stored.items()
                if lang in langs and value and OLD in value
            }
            if translations:
                template.update_field_translations(name, translations)
