import { extractJson } from './src/services/json/index.js';
for (const t of ['{"a": @#$}', '{"a": 1, :}', '[1, 2 }', '{"a": <b>}', '{"total": $12.50}', '{::}']) console.log(t, JSON.stringify(extractJson(t)));
