/** @odoo-module **/

import { registry } from "@web/core/registry";

// A logged-out customer opens the unsubscribe link of a notice and confirms
// (started on the line's link by the test: /crisis/unsubscribe/<line>/<signature>)
registry.category("web_tour.tours").add("crisis_management_unsubscribe_tour", {
    steps: () => [
        {
            content: "The page names the incident",
            trigger: '.o_crisis_unsubscribe_page h1:contains("Card payments outage")',
        },
        {
            content: "and asks before unsubscribing",
            trigger: "#crisis_unsubscribe_question",
        },
        {
            content: "Confirm",
            trigger: "button.o_crisis_unsubscribe_confirm",
            run: "click",
        },
        {
            content: "The page says no more updates about this incident will come",
            trigger: "#crisis_unsubscribe_done",
        },
        {
            content: "and offers to receive them again",
            trigger: "button.o_crisis_resubscribe",
        },
    ],
});
