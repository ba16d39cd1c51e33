// htm turns tagged templates into Preact elements at run time: JSX-like markup with no compiler step.
export { html } from 'htm/preact';
export type { ComponentChildren } from 'preact';
