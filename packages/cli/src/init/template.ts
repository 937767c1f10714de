/** One account as `init` takes it: `[name=]broker:account`. */
export interface InitAccount {
  name?: string;
  broker: string;
  account: string;
}

/** What `init` writes a config for. */
export interface InitAnswers {
  leader: InitAccount;
  followers: InitAccount[];
}

/** One connection setting in the generated file: a value, or a commented-out example. */
interface OptionLine {
  key: string;
  value: string;
  comment?: string;
  /** Written commented out: optional, shown so the reader knows it exists. */
  optional?: boolean;
}

/**
 * What each built-in broker's connection needs, as YAML lines. Credentials are
 * `${secret:<broker>_<what>}` references to the vault, so none is ever written
 * in clear; `secretNames` lists them for the "next steps" message.
 */
const BROKERS: Record<string, { about: string; options: (accounts: string[]) => OptionLine[] }> = {
  paper: { about: 'the built-in paper broker (simulated fills, no account needed)', options: () => [] },
  tradovate: {
    about: 'Tradovate REST + WebSocket (docs/adapters/tradovate.md)',
    options: () => [
      { key: 'environment', value: 'demo', comment: 'demo or live' },
      { key: 'username', value: `\${secret:tradovate_username}` },
      { key: 'password', value: `\${secret:tradovate_password}` },
      {
        key: 'deviceId',
        value: 'my-machine-1',
        comment: 'required on live: any stable id of this machine',
        optional: true,
      },
      {
        key: 'cid',
        value: `\${secret:tradovate_cid}`,
        comment: 'API key id and secret, if you have a key',
        optional: true,
      },
      { key: 'secret', value: `\${secret:tradovate_api_secret}`, optional: true },
    ],
  },
  projectx: {
    about: 'ProjectX Gateway (TopstepX and other firms) REST + SignalR',
    options: () => [
      { key: 'firm', value: 'topstepx' },
      {
        key: 'userName',
        value: `\${secret:projectx_username}`,
        comment: 'platform login name, not an email',
      },
      { key: 'apiKey', value: `\${secret:projectx_api_key}` },
    ],
  },
  rithmic: {
    about: 'Rithmic R|Protocol (Apex, Bulenox and other prop firms)',
    options: () => [
      { key: 'systemName', value: 'Rithmic Paper Trading', comment: 'as your firm names it, e.g. Apex' },
      { key: 'user', value: `\${secret:rithmic_user}` },
      { key: 'password', value: `\${secret:rithmic_password}` },
    ],
  },
  ninjatrader: {
    about: 'NinjaTrader ATI order instruction files (NinjaTrader must run on this machine)',
    options: (accounts) => [
      { key: 'accounts', value: flow(accounts), comment: "NinjaTrader's account names" },
      { key: 'dir', value: '~/Documents/NinjaTrader 8', comment: 'the NinjaTrader folder', optional: true },
    ],
  },
  sierrachart: {
    about: "Sierra Chart's DTC server",
    options: () => [
      { key: 'host', value: '127.0.0.1' },
      { key: 'port', value: '11099', comment: "the DTC server's listening port" },
      { key: 'username', value: `\${secret:sierrachart_username}`, optional: true },
      { key: 'password', value: `\${secret:sierrachart_password}`, optional: true },
    ],
  },
  fix: {
    about: 'a FIX 4.2 / 4.4 gateway (your broker gives host, port and CompIDs)',
    options: (accounts) => [
      { key: 'host', value: '127.0.0.1' },
      { key: 'port', value: '9878' },
      { key: 'senderCompId', value: 'CHANGE-ME' },
      { key: 'targetCompId', value: 'CHANGE-ME' },
      { key: 'accounts', value: flow(accounts) },
      { key: 'username', value: `\${secret:fix_username}`, optional: true },
      { key: 'password', value: `\${secret:fix_password}`, optional: true },
    ],
  },
  quantower: {
    about: "Quantower's FIX connection",
    options: (accounts) => [
      { key: 'host', value: '127.0.0.1' },
      { key: 'port', value: '9878' },
      { key: 'senderCompId', value: 'CHANGE-ME' },
      { key: 'targetCompId', value: 'CHANGE-ME' },
      { key: 'accounts', value: flow(accounts) },
    ],
  },
};

/** Broker names `init` knows how to write a connection for. */
export function initBrokers(): string[] {
  return Object.keys(BROKERS);
}

/** Parses `[name=]broker:account`, the broker defaulting to `defaultBroker`. */
export function parseAccountSpec(text: string, defaultBroker: string | undefined, what: string): InitAccount {
  const eq = text.indexOf('=');
  const name = eq > 0 ? text.slice(0, eq) : undefined;
  const rest = eq > 0 ? text.slice(eq + 1) : text;
  const colon = rest.indexOf(':');
  const broker = colon > 0 && !rest.startsWith('module:') ? rest.slice(0, colon) : defaultBroker;
  const account = colon > 0 && !rest.startsWith('module:') ? rest.slice(colon + 1) : rest;
  if (!broker)
    throw new Error(`${what} "${text}": say which broker, as broker:account (e.g. tradovate:DEMO123)`);
  if (account.trim() === '') throw new Error(`${what} "${text}": the account id is empty`);
  if (name !== undefined && !/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new Error(`${what} "${text}": a name takes letters, digits, _ . - only`);
  }
  return { ...(name ? { name } : {}), broker, account: account.trim() };
}

/** The secret names a generated config refers to (uncommented lines only). */
export function secretNamesOf(answers: InitAnswers): string[] {
  const names = new Set<string>();
  for (const [broker, accounts] of byBroker(answers)) {
    for (const line of BROKERS[broker]?.options(accounts) ?? []) {
      const m = /^\$\{secret:([^}]+)\}$/.exec(line.value);
      if (m && !line.optional) names.add(m[1]!);
    }
  }
  return [...names];
}

/** The commented YAML config for the answers. */
export function renderConfig(answers: InitAnswers): string {
  const out: string[] = [
    '# TradeNova config, written by `tradenova init`.',
    '# Reference: docs/config.md. Check it: tradenova validate -c <this file>',
    `# Credentials are \${secret:name} references to the encrypted vault: store each with`,
    '#   tradenova secrets set <name>      (reads the value from a hidden prompt or stdin)',
    `# or use \${env:NAME} for an environment variable. Never write a password here.`,
    'version: 1',
    '',
    '# The account whose trades are copied. `connection` names the login under connections: below.',
    'leader:',
    '  name: leader',
    `  broker: ${answers.leader.broker}`,
    ...(answers.leader.broker === 'paper' ? [] : [`  connection: ${connectionKey(answers.leader.broker)}`]),
    `  account: ${quote(answers.leader.account)}`,
    '',
  ];
  const brokers = byBroker(answers);
  const withOptions = [...brokers].filter(([b]) => b !== 'paper');
  if (withOptions.length > 0) {
    out.push('# One login per broker; several accounts can share it.', 'connections:');
    for (const [broker, accounts] of withOptions) {
      const spec = BROKERS[broker];
      out.push(`  # ${spec?.about ?? `your adapter ${broker}: put its settings under options`}`);
      out.push(`  ${connectionKey(broker)}:`, `    broker: ${broker}`);
      const lines = spec?.options(accounts) ?? [];
      if (lines.length === 0) {
        out.push('    options: {}');
        continue;
      }
      out.push('    options:');
      for (const line of lines) {
        const text = `${line.optional ? '# ' : ''}${line.key}: ${line.value}`;
        out.push(`      ${text}${line.comment ? `  # ${line.comment}` : ''}`);
      }
    }
    out.push('');
  }
  out.push(
    '# Every account that copies the leader. Scaling, risk and symbol mapping per follower:',
    '# see docs/config.md (scaling modes: fixed, multiplier, equity, risk).',
    'followers:',
  );
  const used = new Set<string>();
  for (const f of answers.followers) {
    const name = uniqueName(f.name ?? `${f.broker}-${f.account}`, used);
    out.push(
      `  - name: ${name}`,
      `    broker: ${f.broker}`,
      ...(f.broker === 'paper' ? [] : [`    connection: ${connectionKey(f.broker)}`]),
      `    account: ${quote(f.account)}`,
      '    scaling: { mode: multiplier, factor: 1 }',
      '    risk:',
      '      maxOrderQty: 5',
      '      # dailyLossLimit: 1000',
    );
  }
  out.push(
    '',
    '# Per-order deadline, breaker and what reconciliation does with drift.',
    'engine:',
    '  orderDeadlineMs: 2500',
    '  reconcile: alert',
    '',
    '# TradingView alerts as leader signals (docs/webhook.md):',
    '# sources:',
    '#   - kind: webhook',
    '#     port: 8080',
    '#     path: /tradingview',
    `#     token: \${secret:webhook_token}`,
    '',
  );
  return out.join('\n');
}

function byBroker(answers: InitAnswers): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const a of [answers.leader, ...answers.followers]) {
    map.set(a.broker, [...(map.get(a.broker) ?? []), a.account]);
  }
  return map;
}

function connectionKey(broker: string): string {
  return (
    broker
      .replace(/^module:/, '')
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'custom'
  );
}

function uniqueName(wanted: string, used: Set<string>): string {
  const base = wanted.replace(/[^A-Za-z0-9_.-]+/g, '-');
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
  used.add(name);
  return name;
}

/** A YAML double-quoted scalar (JSON strings are valid YAML). */
function quote(text: string): string {
  return JSON.stringify(text);
}

function flow(items: string[]): string {
  return `[${[...new Set(items)].map(quote).join(', ')}]`;
}
