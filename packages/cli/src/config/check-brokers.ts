import { dirname, resolve } from 'node:path';
import { type EngineConfig, TradeNovaError } from '@tradenova/core';
import { planConnections } from '@tradenova/core/engine';
import { resolvePlugin } from '../brokers/plugins.js';
import type { PathIssue } from './cross-checks.js';

/**
 * What `run` refuses about a config's brokers and price feed before it connects anything, found without
 * connecting: an unknown `broker:` name (or a `module:` plugin that does not load or implements
 * another contract), a `simulator:` other than `loopback`, and options the adapter plugin's own
 * schema refuses. With `simulator: loopback` the simulator supplies the endpoint and credentials,
 * so only the options written in the file are checked.
 */
export async function brokerIssues(config: EngineConfig, configFile: string): Promise<PathIssue[]> {
  const baseDir = dirname(resolve(configFile));
  const issues: PathIssue[] = [];
  for (const plan of planConnections(config)) {
    const named = Object.hasOwn(config.connections, plan.key);
    const brokerPath = named ? ['connections', plan.key, 'broker'] : accountBrokerPath(config, plan.key);
    if (plan.broker === 'paper') continue;
    // `run` takes simulator, script and seed for itself before the adapter sees the options.
    const { simulator, script: _script, seed: _seed, ...options } = plan.options;
    if (simulator !== undefined && simulator !== 'loopback') {
      issues.push({
        path: ['connections', plan.key, 'options', 'simulator'],
        message: 'only "loopback" is supported',
      });
    }
    let plugin: Awaited<ReturnType<typeof resolvePlugin>>;
    try {
      plugin = await resolvePlugin(plan.broker, baseDir);
    } catch (error) {
      if (!(error instanceof TradeNovaError)) throw error;
      issues.push({ path: brokerPath, message: error.message });
      continue;
    }
    const parsed = plugin.configSchema.safeParse(options);
    if (parsed.success) continue;
    for (const issue of parsed.error.issues) {
      const key = issue.path[0];
      // The loopback simulator fills in what is missing (endpoint, credentials, accounts).
      if (simulator !== undefined && (key === undefined || !Object.hasOwn(options, key as string))) continue;
      if (named) {
        issues.push({ path: ['connections', plan.key, 'options', ...issue.path], message: issue.message });
      } else {
        const where = issue.path.length ? `.${issue.path.join('.')}` : '';
        issues.push({
          path: brokerPath,
          message: `broker "${plan.broker}" needs its settings in a connection (connections.<name>.options${where}: ${issue.message})`,
        });
        break;
      }
    }
  }
  // The price feed's options, as `run` checks them (with `simulator: loopback` the simulator gives the url).
  const feed = config.marketData;
  if (feed) {
    const { dxFeedConfigSchema } = await import('@tradenova/adapter-others/dxfeed');
    const options =
      feed.simulator === 'loopback' ? { url: 'ws://127.0.0.1:1', ...feed.options } : feed.options;
    const parsed = dxFeedConfigSchema.safeParse(options);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        issues.push({ path: ['marketData', 'options', ...issue.path], message: issue.message });
    }
  }
  return issues;
}

/** `broker` of the first account that uses a broker without a named connection. */
function accountBrokerPath(config: EngineConfig, broker: string): PropertyKey[] {
  if (config.leader.connection === undefined && config.leader.broker === broker) return ['leader', 'broker'];
  const i = config.followers.findIndex((f) => f.connection === undefined && f.broker === broker);
  return i >= 0 ? ['followers', i, 'broker'] : ['leader', 'broker'];
}
