/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crisis_management_subscribe_tour", {
    url: "/status",
    steps: () => [
        {
            content: "A visitor of the crisis' status page asks for its updates",
            trigger: ".o_crisis_status_page a.o_crisis_subscribe",
            run: "click",
        },
        {
            content: "Type an email address",
            trigger: "form.o_crisis_subscribe_form input[name='email']",
            run: "edit tour.visitor@example.com",
        },
        {
            content: "Send it",
            trigger: "form.o_crisis_subscribe_form button[type='submit']",
            run: "click",
        },
        {
            content: "The answer: a confirmation link is on its way",
            trigger: ".o_crisis_subscription_sent h1:contains('Check your inbox')",
        },
    ],
});
