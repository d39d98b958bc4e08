/** @odoo-module **/

import { registry } from "@web/core/registry";

// A portal user finds the incidents that affect their company under My Account
registry.category("web_tour.tours").add("crisis_management_my_crises_tour", {
    url: "/my",
    steps: () => [
        {
            content: "My Account shows the tile of the incidents, with their count",
            trigger: 'a[href="/my/crises"]:has([data-placeholder_count="crisis_count"]:contains("1"))',
            run: "click",
        },
        {
            content: "The list shows the crisis in customer words",
            trigger: '.o_portal_my_doc_table a:contains("Card payments outage")',
            run: "click",
        },
        {
            content: "The page shows the approved statement",
            trigger: '#crisis_statement:contains("every refused payment can be made again")',
        },
        {
            content: "and the status in customer words",
            trigger: "#crisis_customer_status:contains(Investigating)",
        },
        {
            content: "The breadcrumb leads back to the list",
            trigger: '.o_portal_submenu a[href="/my/crises"]',
            run: "click",
        },
        {
            content: "Back on the list",
            trigger: '.o_portal_my_doc_table a:contains("Card payments outage")',
        },
    ],
});
