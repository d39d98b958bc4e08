#!/usr/bin/env bash
# An existing database upgrades without loss: a database made by the release
# 18.0.1.5.0 (commit 4037ea0, tag 18.0.1.5.0) with its demo data and a status
# page subscription, upgraded with this checkout's code by `-u crisis_management`,
# as users upgrade. It must keep every record of what moved to the feature
# modules (reviews, signal rules, subscriptions, published crises and
# updates, KPIs, settings), get the feature modules installed, and log no
# warning or error.
# Called by tools/test.sh; alone: bash tools/upgrade_check.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RELEASE=${RELEASE:-4037ea0}
UP_DB=${UP_DB:-crisis_upgrade}
OLD=$STATE/upgrade/$RELEASE
# the release's modules this check installs (its dashboard bridge: the
# dashboard now depends on the review module)
OLD_MODULES=crisis_management,spreadsheet_dashboard_crisis_management

"$ROOT/tools/setup.sh"
source "$ROOT/tools/pg.sh"
pg_stop_on_exit
pg_start
write_odoo_conf

say "upgrade check: the release $RELEASE in $OLD"
git -C "$ROOT" cat-file -e "$RELEASE^{commit}" 2>/dev/null \
    || die "commit $RELEASE (release 18.0.1.5.0) is not in this clone's history"
rm -rf "$STATE/upgrade" && mkdir -p "$OLD"
git -C "$ROOT" archive "$RELEASE" crisis_management spreadsheet_dashboard_crisis_management | tar -x -C "$OLD"

# Odoo of this machine with the release's addons instead of this checkout's
# (their editable installs are left out of the path)
cat >"$STATE/upgrade/old_odoo.py" <<EOF
import runpy, sys
sys.path[:] = [p for p in sys.path if "__editable__" not in p]
sys.argv = ["$ODOO_SRC/odoo-bin", *sys.argv[1:]]
runpy.run_path("$ODOO_SRC/odoo-bin", run_name="__main__")
EOF
old_odoo() { "$VENV/bin/python" "$STATE/upgrade/old_odoo.py" "$@"; }
ADDONS_PATH="$OLD,$ODOO_SRC/addons,$ODOO_SRC/odoo/addons"

db_psql -d postgres -c "DROP DATABASE IF EXISTS \"$UP_DB\" WITH (FORCE)"
rm -rf "$STATE/data/filestore/$UP_DB"
rm -f "$LOGS/upgrade-old.log" "$LOGS/upgrade.log"
say "upgrade check: installing the release's $OLD_MODULES with demo data into $UP_DB (log: $LOGS/upgrade-old.log)"
old_odoo -c "$ODOO_CONF" --addons-path="$ADDONS_PATH" -d "$UP_DB" -i "$OLD_MODULES" \
    --stop-after-init --log-level=warn --logfile="$LOGS/upgrade-old.log" \
    || die "installing the release failed (see $LOGS/upgrade-old.log)"
grep -q "crisis_management/build/__editable__" "$LOGS/upgrade-old.log" \
    && die "the release ran this checkout's code (see $LOGS/upgrade-old.log)"
[ "$(db_psql -d "$UP_DB" -c "SELECT latest_version FROM ir_module_module WHERE name = 'crisis_management'")" = 18.0.1.5.0 ] \
    || die "the database is not on release 18.0.1.5.0"
# what the demo data lacks: a visitor's confirmed subscription on the status page
old_odoo shell -c "$ODOO_CONF" --addons-path="$ADDONS_PATH" -d "$UP_DB" --no-http \
    --log-level=warn --logfile="$LOGS/upgrade-old.log" >/dev/null <<'EOF'
crisis = env.ref("crisis_management.crisis_crisis_demo_recall")
subscription = env["crisis.subscription"].sudo().create({"crisis_id": crisis.id, "email": "visitor@example.org"})
subscription._crisis_confirm()
env.cr.commit()
EOF

# every row of what moved, whole, and the state of the modules
snapshot() {
    db_psql -d "$UP_DB" -F ' ' -c "
        SELECT 'crisis_review', count(*), md5(string_agg(t::text, ',' ORDER BY id)) FROM crisis_review t
        UNION ALL SELECT 'crisis_signal_rule', count(*), md5(string_agg(t::text, ',' ORDER BY id)) FROM crisis_signal_rule t
        UNION ALL SELECT 'crisis_subscription', count(*), md5(string_agg(t::text, ',' ORDER BY id)) FROM crisis_subscription t
        UNION ALL SELECT 'corrective actions', count(*), md5(string_agg(t::text, ',' ORDER BY id)) FROM crisis_action t WHERE is_corrective
        UNION ALL SELECT 'published crises', count(*), md5(string_agg(id || '/' || date_published, ',' ORDER BY id)) FROM crisis_crisis WHERE is_published
        UNION ALL SELECT 'public updates', count(*), md5(string_agg(id::text, ',' ORDER BY id)) FROM crisis_update WHERE is_public
        UNION ALL SELECT 'subscribed customers', count(*), md5(string_agg(id::text, ',' ORDER BY id)) FROM crisis_impact WHERE is_subscriber
        UNION ALL SELECT 'crisis KPIs', count(*), md5(string_agg(concat_ws('/', id, kpi_notified_count, kpi_notified_rate, kpi_ack_hours, kpi_update_count, kpi_compensation_proposed_amount, kpi_rating_avg), ',' ORDER BY id)) FROM crisis_crisis
        UNION ALL SELECT 'suspected crises', count(*), md5(string_agg(id || '/' || signal_rule_id || '/' || signal_state, ',' ORDER BY id)) FROM crisis_crisis WHERE signal_rule_id IS NOT NULL
        UNION ALL SELECT 'review setting', count(*), string_agg(crisis_review_required_severity, ',' ORDER BY id) FROM res_company
        UNION ALL SELECT 'signal crons', count(*), string_agg(active::text, ',') FROM ir_cron c JOIN ir_act_server s ON s.id = c.ir_actions_server_id WHERE s.code LIKE '%_cron_evaluate_rules%'
    "
}
before=$(snapshot) || die "reading the release's database failed"
echo "$before" | grep -Eq "^crisis_review [1-9]" || die "the release's demo data has no review: $before"
echo "$before" | grep -Eq "^crisis_subscription [1-9]" || die "no subscription was made: $before"

say "upgrade check: -u $ADDON with this checkout (log: $LOGS/upgrade.log)"
"$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$UP_DB" -u "$ADDON" \
    --stop-after-init --log-level=info --logfile="$LOGS/upgrade.log" \
    || die "upgrading $UP_DB failed (see $LOGS/upgrade.log)"
"$VENV/bin/checklog-odoo" -c "$ROOT/checklog-odoo.cfg" --no-echo "$LOGS/upgrade.log" \
    || die "the upgrade logged warnings or errors (see $LOGS/upgrade.log)"
after=$(snapshot) || die "reading the upgraded database failed"
if [ "$before" != "$after" ]; then
    diff <(echo "$before") <(echo "$after") >&2 || true
    die "the upgrade changed or lost records of the moved features (above: before <, after >)"
fi
states=$(db_psql -d "$UP_DB" -c "
    SELECT string_agg(name || '=' || state || '/' || demo::text, ' ' ORDER BY name) FROM ir_module_module
     WHERE name IN ('crisis_management', 'crisis_management_status', 'crisis_management_signal',
                    'crisis_management_review', 'spreadsheet_dashboard_crisis_management')")
expected="crisis_management=installed/true crisis_management_review=installed/true crisis_management_signal=installed/true crisis_management_status=installed/true spreadsheet_dashboard_crisis_management=installed/true"
[ "$states" = "$expected" ] || die "modules after the upgrade: $states (expected $expected)"
# the moved records belong to their new modules; nothing of theirs is left to
# the addon (but the inheritance ids Odoo gives every module extending mail.thread)
left=$(db_psql -d "$UP_DB" -c "
    SELECT string_agg(name, ' ') FROM ir_model_data WHERE module = 'crisis_management' AND name NOT LIKE 'model\_inherit\_\_%'
       AND (name LIKE '%crisis\_review%' OR name LIKE '%signal%' OR name LIKE '%subscription%' OR name LIKE '%kpi%'
            OR name LIKE '%status\_page%' OR name LIKE '%is\_published%' OR name LIKE '%is\_public' OR name LIKE 'field_crisis_crisis__kpi%')")
[ -z "$left" ] || die "external ids left to crisis_management: $left"
owned=$(db_psql -d "$UP_DB" -c "
    SELECT count(*) FROM ir_model_data WHERE (module, name) IN (
        ('crisis_management_review', 'crisis_review_demo_drill'),
        ('crisis_management_review', 'model_crisis_review'),
        ('crisis_management_review', 'field_crisis_crisis__kpi_notified_count'),
        ('crisis_management_signal', 'crisis_signal_rule_demo_low_ratings'),
        ('crisis_management_signal', 'ir_cron_crisis_signal_rules'),
        ('crisis_management_status', 'mail_template_subscription_confirm'),
        ('crisis_management_status', 'field_crisis_crisis__is_published'))")
[ "$owned" = 7 ] || die "the moved external ids are not all in their new modules ($owned of 7)"
say "upgrade check: PASS — release 18.0.1.5.0 upgraded, $(echo "$after" | wc -l) kinds of records kept whole, the feature modules installed"
