import { z } from 'zod';
import { VERSION } from '../version.js';
import {
  accountPatchSchema,
  errorSchema,
  killBodySchema,
  ordersQuerySchema,
  reconcileBodySchema,
  reportQuerySchema,
  signalBodySchema,
} from './schemas.js';

type Json = Record<string, unknown>;

/** JSON Schema (2020-12, the dialect OpenAPI 3.1 uses) of a request schema, as zod 4 writes it. */
function schemaOf(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Json;
  return rest;
}

/** Query parameters from an object schema: one parameter per property. */
function queryOf(schema: z.ZodObject): Json[] {
  const json = schemaOf(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

const errors = (...statuses: number[]): Json =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      {
        description: STATUS[s],
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );
const STATUS: Record<number, string> = {
  400: 'the request does not match its schema (the field is named)',
  401: 'no token, or one that is not valid, expired or revoked',
  403: 'the token lacks the scope or the account',
  404: 'no such account',
  429: 'too many failed sign-ins from this address',
  503: 'what the request needs is not running (the journal)',
};
const ok = (description: string): Json => ({
  '200': { description, content: { 'application/json': { schema: { type: 'object' } } } },
});
const body = (schema: z.ZodType, required = true): Json => ({
  requestBody: { required, content: { 'application/json': { schema: schemaOf(schema) } } },
});
const nameParam = {
  name: 'name',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'follower name or account id',
};

/**
 * The OpenAPI 3.1 document of the API, generated from the zod schemas the routes validate
 * with (zod 4's own `z.toJSONSchema`, which writes JSON Schema 2020-12: OpenAPI 3.1's dialect).
 */
export function openApiDocument(): Json {
  const read = [{ bearer: [] }];
  return {
    openapi: '3.1.0',
    info: {
      title: 'TradeNova control API',
      version: VERSION,
      description: 'REST and a WebSocket stream for a running copy session (docs/api.md).',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: schemaOf(errorSchema) },
    },
    security: read,
    paths: {
      '/healthz': { get: { summary: 'liveness', security: [], responses: ok('alive') } },
      '/v1/openapi.json': { get: { summary: 'this document', security: [], responses: ok('OpenAPI 3.1') } },
      '/v1/health': {
        get: {
          summary: 'connections, breakers, services, lag',
          responses: { ...ok('health'), ...errors(401, 429) },
        },
      },
      '/v1/accounts': {
        get: {
          summary: 'every account the token covers',
          responses: { ...ok('{accounts: [...]}'), ...errors(401, 429) },
        },
      },
      '/v1/accounts/{name}': {
        parameters: [nameParam],
        get: { summary: 'one account', responses: { ...ok('the account'), ...errors(401, 403, 404) } },
        patch: {
          summary: 'change live settings (control scope); the same rules as `tradenova accounts set`',
          ...body(accountPatchSchema),
          responses: { ...ok('the stored settings'), ...errors(400, 401, 403, 404) },
        },
      },
      '/v1/accounts/{name}/flatten': {
        parameters: [nameParam],
        post: {
          summary: 'cancel working orders and close positions (control scope)',
          responses: { ...ok('done'), ...errors(401, 403, 404) },
        },
      },
      '/v1/kill': {
        post: {
          summary: 'engage the kill switch (control scope, every account)',
          ...body(killBodySchema, false),
          responses: { ...ok('the kill switch'), ...errors(400, 401, 403) },
        },
        delete: {
          summary: 'release the kill switch (control scope, every account)',
          responses: { ...ok('the kill switch'), ...errors(401, 403) },
        },
      },
      '/v1/reconcile': {
        post: {
          summary: 'reconcile followers with their brokers (control scope)',
          ...body(reconcileBodySchema, false),
          responses: { ...ok('per follower, the lines'), ...errors(400, 401, 403, 404) },
        },
      },
      '/v1/positions': {
        get: {
          summary: 'net positions per account',
          responses: { ...ok('{positions: [...]}'), ...errors(401) },
        },
      },
      '/v1/orders': {
        get: {
          summary: 'order steps from the journal, newest first, paged by cursor',
          parameters: queryOf(ordersQuerySchema),
          responses: { ...ok('{orders: [...], next}'), ...errors(400, 401, 403, 503) },
        },
      },
      '/v1/report': {
        get: {
          summary: 'what `tradenova report` computes, for a window',
          parameters: queryOf(reportQuerySchema),
          responses: { ...ok('the report'), ...errors(400, 401, 403, 503) },
        },
      },
      '/v1/signals': {
        post: {
          summary: "submit a leader signal (control scope, every account), with the webhook's checks",
          ...body(signalBodySchema),
          responses: { '202': { description: 'accepted: {ok, signalId}' }, ...errors(400, 401, 403) },
        },
      },
      '/v1/tokens/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        delete: {
          summary: 'revoke a token by id (control scope, every account)',
          responses: { ...ok('revoked'), ...errors(401, 403) },
        },
      },
      '/v1/stream': {
        get: {
          summary: 'WebSocket: the events as JSON text frames with sequence numbers (docs/api.md#stream)',
          parameters: [
            {
              name: 'token',
              in: 'query',
              required: false,
              schema: { type: 'string' },
              description: 'for browsers, which cannot set headers',
            },
            {
              name: 'since',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 0 },
              description: 'resume after this sequence number',
            },
          ],
          responses: { '101': { description: 'switching protocols' }, ...errors(401, 429) },
        },
      },
    },
  };
}
