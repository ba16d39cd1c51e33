export { createApp } from './create-app.js';
export type { AppDependencies, AppLogger } from './create-app.js';
export type { ReadinessReport } from './health-routes.js';
export { toWireFigures, toWireLog } from './admin/analytics-query.js';
export { toWireCapUse } from './admin/admin-cap-routes.js';
export type { WireCapUse } from './admin/admin-cap-routes.js';
