/** @odoo-module **/

import { registry } from "@web/core/registry";

// Anyone reads the public status page of the company
registry.category("web_tour.tours").add("crisis_management_status_page_tour", {
    url: "/status",
    steps: () => [
        {
            content: "The published crisis is listed with its status",
            trigger: 'a:contains("Card payments outage")',
            run: "click",
        },
        {
            content: "Its page shows the public update",
            trigger: 'body:contains("Payments are accepted again in every store")',
        },
        {
            content: "but never the internal talking points",
            trigger: 'body:not(:contains("Zebracorp"))',
        },
    ],
});
