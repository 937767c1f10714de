// @tradenova/adapter-rithmic is published as ES modules only; a require() of it lands here.
const error = new Error(
  '@tradenova/adapter-rithmic is an ES module package (ESM only) and cannot be loaded with require(). ' +
    "Use import (import { ... } from '@tradenova/adapter-rithmic') or, from CommonJS, await import('@tradenova/adapter-rithmic'). " +
    'Node >= 22 is needed.',
);
error.code = 'ERR_REQUIRE_ESM';
throw error;
