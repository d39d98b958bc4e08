/** @odoo-module **/

import { registry } from "@web/core/registry";

// Started by TestCrisisDashboardTour.test_manager_opens_the_dashboard, which
// creates a real and a drill crisis, each with an open corrective action.
// The spreadsheet draws its cells and charts on canvases: the checks read the
// dashboard's spreadsheet model, as the canvases do.
const REAL_ACTION = "Dashboard: swap the thermostat supplier";
const DRILL_ACTION = "Dashboard drill: buy fire blankets";
const TITLES = [
    "Open Crises",
    "SLA Breaches",
    "Customers Affected",
    "Reached",
    "Compensation Cost",
    "Average Rating",
];
// the headings of the charts and tables, in the cells above them
const SECTIONS = {
    A12: "Open Crises by Severity",
    E12: "SLA by Month",
    A28: "Hours to Acknowledge",
    E28: "Hours to Resolve",
    A44: "Compensation Cost by Month",
    E44: "Customers by Severity",
    A60: "Open Corrective Actions",
};

function findSpreadsheetModel(node) {
    const model = node.component?.props?.model;
    if (model?.getters?.getChartIds) {
        return model;
    }
    for (const child of Object.values(node.children)) {
        const found = findSpreadsheetModel(child);
        if (found) {
            return found;
        }
    }
    return null;
}

function cellValue(model, sheetName, xc) {
    const sheetId = model.getters.getSheetIdByName(sheetName);
    const col = xc.charCodeAt(0) - 65;
    const row = parseInt(xc.slice(1)) - 1;
    return model.getters.getEvaluatedCell({ sheetId, col, row });
}

async function waitForValues(model, cells) {
    for (let attempt = 0; attempt < 100; attempt++) {
        const values = cells.map(([sheet, xc]) => cellValue(model, sheet, xc).value);
        if (!values.some((value) => value === "Loading...")) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the dashboard's data did not load: ${cells}`);
}

registry.category("web_tour.tours").add("spreadsheet_dashboard_crisis_management_tour", {
    steps: () => [
        {
            content: "Open the Crises dashboard of the Crisis Management group",
            trigger: '.o_search_panel_category_value[data-name="Crises"]',
            run: "click",
        },
        {
            content: "The dashboard draws its figures",
            trigger: ".o_spreadsheet_dashboard_action .o-figure canvas",
        },
        {
            content: "Its figures, values and list are the crisis data",
            trigger: ".o_spreadsheet_dashboard_action .o-figure canvas",
            async run() {
                const root = odoo.__WOWL_DEBUG__.root;
                const model = findSpreadsheetModel(root.__owl__);
                if (!model) {
                    throw new Error("no spreadsheet model in the dashboard");
                }
                const sheetId = model.getters.getSheetIdByName("Dashboard");
                const titles = model.getters
                    .getChartIds(sheetId)
                    .map((id) => model.getters.getChartDefinition(id).title.text);
                for (const title of TITLES) {
                    if (!titles.includes(title)) {
                        throw new Error(`no figure "${title}" in ${titles}`);
                    }
                }
                for (const [xc, section] of Object.entries(SECTIONS)) {
                    const heading = cellValue(model, "Dashboard", xc).formattedValue;
                    if (heading !== section) {
                        throw new Error(`${xc}: "${heading}", "${section}" expected`);
                    }
                }
                const listCells = [...Array(10).keys()].map((i) => ["Dashboard", `A${62 + i}`]);
                await waitForValues(model, [["Data", "B1"], ["Data", "B3"], ...listCells]);
                const open = cellValue(model, "Data", "B1").value;
                const expected = await root.env.services.orm.searchCount("crisis.crisis", [
                    ["is_drill", "=", false],
                    ["is_resolved", "=", false],
                ]);
                if (open !== expected || open < 1) {
                    throw new Error(`open crises: ${open} on the dashboard, ${expected} expected`);
                }
                // the SLA breaches the board shows: late crises not yet acknowledged too
                await waitForValues(model, [["Data", "B2"], ["Data", "C6"], ["Dashboard", "F46"]]);
                const breaches = cellValue(model, "Data", "B2").value;
                const late = await root.env.services.orm.searchCount("crisis.crisis", [
                    ["is_drill", "=", false],
                    ["sla_status", "=", "breached"],
                ]);
                if (breaches !== late || breaches < 1) {
                    throw new Error(`SLA breaches: ${breaches} on the dashboard, ${late} expected`);
                }
                // each severity by its name, never "None"
                const severities = ["E46", "E47", "E48", "E49"].map(
                    (xc) => cellValue(model, "Dashboard", xc).value
                );
                if (severities.join() !== "Critical,High,Medium,Low") {
                    throw new Error(`severities: ${severities}`);
                }
                // no rating is no average (not 0.0)
                const ratings = await root.env.services.orm.readGroup(
                    "crisis.crisis",
                    [["is_drill", "=", false]],
                    ["kpi_rating_count:sum"],
                    []
                );
                const rating = cellValue(model, "Data", "C6").value;
                if (!ratings[0].kpi_rating_count && rating !== "—") {
                    throw new Error(`average rating without ratings: ${rating}`);
                }
                const actions = listCells.map(([sheet, xc]) => cellValue(model, sheet, xc).value);
                if (!actions.includes(REAL_ACTION)) {
                    throw new Error(`"${REAL_ACTION}" is not in the list: ${actions}`);
                }
                if (actions.includes(DRILL_ACTION)) {
                    throw new Error(`the drill's "${DRILL_ACTION}" is in the list`);
                }
            },
        },
    ],
});
