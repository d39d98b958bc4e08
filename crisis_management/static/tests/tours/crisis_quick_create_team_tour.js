/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const TITLE = "Tour: frozen checkout";
const TEAM = "Tour: payments squad";
const column = (name) => `.o_kanban_group:has(.o_column_title:contains("${name}"))`;

registry.category("web_tour.tours").add("crisis_management_quick_create_team_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("crisis_management.crisis_menu_root", "Open the Crisis app"),
        {
            content: "Quick create a crisis in the New column",
            trigger: `.o_kanban_renderer ${column("New")} .o_kanban_quick_add`,
            run: "click",
        },
        {
            content: "Give it a title",
            trigger: '.o_kanban_quick_create .o_field_widget[name="name"] input',
            run: `edit ${TITLE}`,
        },
        {
            content: "The quick create asks for the response team",
            trigger: '.o_kanban_quick_create .o_field_widget[name="team_id"] input',
            run: "edit payments squad",
        },
        {
            content: "Pick the team in the list",
            trigger: `.o-autocomplete--dropdown-item a:contains("${TEAM}")`,
            run: "click",
        },
        {
            content: "The team is set",
            trigger: `.o_kanban_quick_create .o_field_widget[name="team_id"] input:value("${TEAM}")`,
        },
        {
            content: "Confirm the quick create",
            trigger: ".o_kanban_quick_create .o_kanban_add",
            run: "click",
        },
        {
            content: "The new crisis is on the board",
            trigger: `${column("New")} .o_kanban_record:contains("${TITLE}")`,
        },
    ],
});
