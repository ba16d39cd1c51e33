export { responsesRoutes, storedResponseRoutes } from './responses-routes.js';
export type { ResponsesRoutesOptions } from './responses-routes.js';
