/** @odoo-module **/

import { registry } from "@web/core/registry";

// A logged-out customer opens the link of their email: they read the
// statement and an update, accept their compensation and write to the team.
// No url: the test opens the page by its emailed link, with the line's token.
registry.category("web_tour.tours").add("crisis_management_customer_page_tour", {
    steps: () => [
        {
            content: "The page shows the approved statement",
            trigger: '#crisis_statement:contains("every refused payment can be made again")',
        },
        {
            content: "and the update sent to the customer",
            trigger: '#crisis_updates:contains("Card readers replaced")',
        },
        {
            content: "The compensation waits for an answer",
            trigger: "#crisis_compensations .o_crisis_compensation_status:contains(Waiting for your answer)",
        },
        {
            content: "Accept it",
            trigger: "#crisis_compensations .o_crisis_compensation_accept",
            run: "click",
        },
        {
            content: "The name is the customer's: type it in full",
            trigger: ".modal.show .o_web_sign_name_input",
            run: "edit Alice A. Acme",
        },
        {
            content: "The typed name is the signature",
            trigger: ".modal.show .o_portal_sign_submit:enabled",
            run: "click",
        },
        {
            content: "The page thanks the customer",
            trigger: '#crisis_compensations .alert-success:contains("you accepted the compensation")',
        },
        {
            content: "and shows who accepted it",
            trigger: '#crisis_compensations .o_crisis_portal_compensation:contains("Accepted by Alice A. Acme")',
        },
        {
            content: "Write to the team",
            trigger: "#chatterRoot:shadow .o-mail-Composer-input",
            run: "edit Thank you for the voucher!",
        },
        {
            content: "Send the message",
            trigger: "#chatterRoot:shadow .o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The message is in the conversation",
            trigger: '#chatterRoot:shadow .o-mail-Message:contains("Thank you for the voucher!")',
        },
    ],
});
