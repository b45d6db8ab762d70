// The dashboard's pages, in navigation order. One module per page:
//
//   export default { path, title, roles?, requires?, nav?, render(ctx) }
//
// `roles` limits a page to some organisations (TSO, DSO, BSP, AUDITOR); `requires` lists the
// API paths (as in /openapi.json) the page calls: a page shows only on a platform whose API
// serves them. Market, Settlement, P2P trades and Audit are added here as one module each
// (e.g. `requires: ["/bids"]`) when their API exists; see docs/dashboard.md.

import audit from "./audit.js";
import constraints from "./constraints.js";
import home from "./home.js";
import market from "./market.js";
import massLoad from "./mass-load.js";
import operations from "./operations.js";
import p2p from "./p2p.js";
import portfolio from "./portfolio.js";
import resourceGroups from "./resource-groups.js";
import resources from "./resources.js";
import reviews from "./reviews.js";
import settlement from "./settlement.js";
import statements from "./statements.js";

export const MODULES = [home, portfolio, reviews, resources, resourceGroups, massLoad, market, constraints, settlement, statements, p2p, audit, operations];
