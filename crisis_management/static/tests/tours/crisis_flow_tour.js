/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const TITLE = "Tour: contaminated juice";
const CARD = `.o_kanban_record:contains("${TITLE}")`;
const column = (name) => `.o_kanban_group:has(.o_column_title:contains("${name}"))`;

registry.category("web_tour.tours").add("crisis_management_flow_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("crisis_management.crisis_menu_root", "Open the Crisis app"),
        {
            content: "The crisis board is shown, grouped by stage",
            trigger: `.o_kanban_renderer ${column("New")}`,
        },
        // 1. declare a crisis with the quick create of the first column
        {
            content: "Quick create a crisis in the New column",
            trigger: `${column("New")} .o_kanban_quick_add`,
            run: "click",
        },
        {
            content: "Give it a title",
            trigger: '.o_kanban_quick_create .o_field_widget[name="name"] input',
            run: `edit ${TITLE}`,
        },
        {
            content: "Choose its type",
            trigger: '.o_kanban_quick_create .o_field_widget[name="type_id"] input',
            run: "edit Product Quality",
        },
        {
            content: "Pick the type in the list",
            trigger: '.o-autocomplete--dropdown-item a:contains("Product Quality / Recall")',
            run: "click",
        },
        {
            content: "The type is set",
            trigger:
                '.o_kanban_quick_create .o_field_widget[name="type_id"] input:value("Product Quality / Recall")',
        },
        {
            content: "Confirm the quick create",
            trigger: ".o_kanban_quick_create .o_kanban_add",
            run: "click",
        },
        {
            content: "Open the new crisis",
            trigger: `${column("New")} ${CARD}`,
            run: "click",
        },
        // 2. add the affected customers with the wizard
        {
            content: "The form of the new crisis is open",
            trigger: `.o_form_view .o_field_widget[name="name"] input:value("${TITLE}")`,
        },
        {
            content: "Add affected customers",
            trigger: '.o_form_view button[name="action_add_customers"]',
            run: "click",
        },
        {
            content: "Select the customers by contact tags",
            trigger: '.modal .o_field_widget[name="selection_mode"] input[data-value="tags"]',
            run: "click",
        },
        {
            content: "Search the tag",
            trigger: '.modal .o_field_widget[name="category_ids"] input',
            run: "edit Tour juice",
        },
        {
            content: "Pick the tag",
            trigger: '.modal .o-autocomplete--dropdown-item a:contains("Tour juice buyers")',
            run: "click",
        },
        {
            content: "The three tagged contacts match",
            trigger: '.modal .o_field_widget[name="match_count"]:contains("3")',
        },
        {
            content: "Add them",
            trigger: '.modal button[name="action_add"]',
            run: "click",
        },
        {
            content: "The wizard is closed and the crisis counts three affected customers",
            trigger:
                'body:not(:has(.modal)) .o_form_view .oe_stat_button .o_field_widget[name="affected_count"]:contains("3")',
        },
        // 3. acknowledge it
        {
            content: "Acknowledge the crisis",
            trigger: '.o_form_view button[name="action_acknowledge"]',
            run: "click",
        },
        {
            content: "The acknowledgement date is shown",
            trigger: '.o_form_view .o_field_widget[name="date_acknowledged"]',
        },
        {
            content: "The acknowledge button is gone",
            trigger: '.o_form_view .o_statusbar_buttons:not(:has(button[name="action_acknowledge"]))',
        },
        // 4. move it on the board
        {
            content: "Back to the board",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Crises)",
            run: "click",
        },
        {
            content: "Drag the crisis to the Responding column",
            trigger: `${column("New")} ${CARD}`,
            run: `drag_and_drop(${column("Responding")})`,
        },
        {
            content: "The crisis is in the Responding column",
            trigger: `${column("Responding")} ${CARD}`,
        },
    ],
});
