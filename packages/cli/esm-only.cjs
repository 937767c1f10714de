// tradenova is published as ES modules only; a require() of it lands here.
const error = new Error(
  'tradenova is an ES module package (ESM only) and cannot be loaded with require(). ' +
    "Use import (import { ... } from 'tradenova') or, from CommonJS, await import('tradenova'). " +
    'Node >= 22 is needed.',
);
error.code = 'ERR_REQUIRE_ESM';
throw error;
