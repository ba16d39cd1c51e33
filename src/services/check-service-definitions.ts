import { schemaProblem } from './json/index.js';
import type { ServiceDefinition } from './service-definition.js';

export interface ServiceProblem {
  /** `services[2].output_schema`, as `sluice config check` prints it. */
  path: string;
  message: string;
}

/** What the zod shape cannot see: duplicate names, unknown models, schemas that do not compile. */
export function checkServiceDefinitions(services: readonly ServiceDefinition[], modelExists: (model: string) => boolean): ServiceProblem[] {
  const problems: ServiceProblem[] = [];
  const seen = new Set<string>();
  services.forEach((service, index) => {
    problems.push(...checkServiceDefinition(service, modelExists).map((problem) => ({ ...problem, path: `services[${index}].${problem.path}` })));
    if (seen.has(service.name)) problems.push({ path: `services[${index}].name`, message: `duplicate service "${service.name}"` });
    seen.add(service.name);
  });
  return problems;
}

/** One definition's problems, with paths relative to it (`output_schema`, `model`). */
export function checkServiceDefinition(service: ServiceDefinition, modelExists: (model: string) => boolean): ServiceProblem[] {
  const problems: ServiceProblem[] = [];
  if (service.model !== undefined && !modelExists(service.model)) {
    problems.push({ path: 'model', message: `unknown model "${service.model}"` });
  }
  for (const field of ['input_schema', 'output_schema'] as const) {
    const schema = service[field];
    if (schema === undefined) continue;
    const problem = schemaProblem(schema);
    if (problem !== null) problems.push({ path: field, message: `not a valid JSON Schema: ${problem}` });
  }
  return problems;
}
