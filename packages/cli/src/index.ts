/** The `tradenova` CLI as a library: load configs the way the CLI does, or run it in-process. */
export { configJsonSchema } from './config/json-schema.js';
export {
  type LoadedConfig,
  loadConfig,
  parseConfigText,
  type ReferenceResolver,
} from './config/load-config.js';
export { CliError, ExitCode } from './errors.js';
export { main } from './main.js';
export { type Difference, diffJson } from './replay/expect.js';
export { formatSummary } from './replay/summary.js';
