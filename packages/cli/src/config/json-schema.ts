import { engineConfigSchema } from '@tradenova/core';
import { z } from 'zod';

/** The config's JSON Schema, for editor completion (yaml-language-server). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(engineConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    $id: 'https://tradenova.dev/schema/config.schema.json',
    title: 'TradeNova config',
  };
}
