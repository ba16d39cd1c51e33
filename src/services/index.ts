export * from './json/index.js';
export { SERVICE_NAME, serviceDefinitionSchema } from './service-definition.js';
export type { ServiceDefinition, ServiceDefinitionInput } from './service-definition.js';
export { checkServiceDefinition, checkServiceDefinitions } from './check-service-definitions.js';
export type { ServiceProblem } from './check-service-definitions.js';
