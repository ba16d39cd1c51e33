import { describe, expect, it } from 'vitest';
import { checkTemplate, renderTemplate, requireVariables } from './render-template.js';

describe('renderTemplate', () => {
  it('substitutes variables without HTML escaping', () => {
    const result = renderTemplate('Say {{greeting}} to {{name}} & <{{{raw}}}>', { greeting: 'hi "there"', name: 'Ann & Bob', raw: '<b>' }, null);
    expect(result.messages).toEqual([{ role: 'user', content: 'Say hi "there" to Ann & Bob & <<b>>' }]);
  });

  it('renders objects and lists as JSON', () => {
    const result = renderTemplate('data: {{order}} items: {{items}} first: {{order.id}}', { order: { id: 7, note: 'a<b' }, items: [1, 2] }, null);
    expect(result.messages[0]?.content).toBe('data: {"id":7,"note":"a<b"} items: [1,2] first: 7');
  });

  it('reports a missing variable, and requireVariables turns it into invalid_request naming it', () => {
    const result = renderTemplate('Hello {{name}}, you are {{age}}', { name: 'Ann' }, null);
    expect(result.missing).toEqual(['age']);
    expect(() => requireVariables(result, 'prompt_variables')).toThrow(expect.objectContaining({
      code: 'invalid_request', status: 400, param: 'prompt_variables.age', message: "Missing prompt variable 'age'.",
    }));
    expect(() => requireVariables(renderTemplate('{{a}}{{b.c}}', {}, null), 'variables'))
      .toThrow(expect.objectContaining({ param: 'variables.a', message: "Missing prompt variable 'a' (also missing: b.c)." }));
  });

  it('treats variables the schema lists as optional, and section variables, as not required', () => {
    const schema = { type: 'object', required: ['name'], properties: { name: {}, title: {} } };
    const result = renderTemplate('{{title}} {{name}}{{#vip}} (VIP {{level}}){{/vip}}', { name: 'Ann' }, schema);
    expect(result.missing).toEqual([]);
    expect(result.messages[0]?.content).toBe(' Ann');
  });

  it('renders sections, inverted sections and loops', () => {
    const template = '{{#urgent}}URGENT: {{/urgent}}{{^urgent}}fyi: {{/urgent}}{{#items}}[{{name}}]{{/items}}';
    expect(renderTemplate(template, { urgent: true, items: [{ name: 'a' }, { name: 'b' }] }, null).messages[0]?.content).toBe('URGENT: [a][b]');
    expect(renderTemplate(template, { urgent: false, items: [] }, null).messages[0]?.content).toBe('fyi: ');
  });

  it('gives no access to prototypes: {{constructor}} and friends render empty', () => {
    const result = renderTemplate('[{{constructor}}][{{constructor.name}}][{{order.constructor}}][{{items.constructor}}][{{__proto__}}][{{toString}}][{{#order}}{{hasOwnProperty}}{{/order}}]', {
      order: { id: 1 }, items: [1],
    }, null);
    expect(result.messages[0]?.content).toBe('[][][][][][][]');
  });

  it('renders a chat template message by message, keeping roles', () => {
    const result = renderTemplate([
      { role: 'system', content: 'You extract invoices for {{company}}.' },
      { role: 'user', content: '{{text}}' },
    ], { company: 'ACME', text: 'Total: $5', extra: 1 }, null);
    expect(result).toEqual({
      messages: [{ role: 'system', content: 'You extract invoices for ACME.' }, { role: 'user', content: 'Total: $5' }],
      missing: [],
      unused: ['extra'],
    });
  });
});

describe('checkTemplate', () => {
  it('refuses templates that do not parse and partials, naming the message', () => {
    expect(() => checkTemplate('{{#open}} never closed', 'template')).toThrow(expect.objectContaining({ param: 'template' }));
    expect(() => checkTemplate([{ role: 'user', content: 'ok' }, { role: 'user', content: '{{> other}}' }], 'template'))
      .toThrow(expect.objectContaining({ param: 'template[1].content' }));
    expect(() => checkTemplate('{{fine}}', 'template')).not.toThrow();
  });
});
