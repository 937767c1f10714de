// @tradenova/core is published as ES modules only; a require() of it lands here.
const error = new Error(
  '@tradenova/core is an ES module package (ESM only) and cannot be loaded with require(). ' +
    "Use import (import { ... } from '@tradenova/core') or, from CommonJS, await import('@tradenova/core'). " +
    'Node >= 22 is needed.',
);
error.code = 'ERR_REQUIRE_ESM';
throw error;
