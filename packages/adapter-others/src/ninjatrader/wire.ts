/**
 * NinjaTrader's two wire formats: the Order Instruction File line, and the ATI socket's
 * NUL-token messages that carry the same line.
 */

// ── OIF lines ─────────────────────────────────────────────────────────────────

/**
 * The Order Instruction File grammar (protocol notes §3): one command per line, always
 * 13 `;`-separated positional fields, empty where not supplied. The same line is what
 * the ATI socket's `Command` message carries, so both transports share this encoder.
 */

/** The commands this adapter sends. CANCELALLORDERS and FLATTENEVERYTHING act on every account and are never sent. */
export type OifCommand = 'PLACE' | 'CHANGE' | 'CANCEL' | 'CLOSEPOSITION' | 'REVERSEPOSITION';

/** Every command NinjaTrader accepts (the simulator understands them all). */
export type OifAnyCommand = OifCommand | 'CANCELALLORDERS' | 'FLATTENEVERYTHING' | 'CLOSESTRATEGY';

/** NT8 order type tokens (`STOP` is the NT6/NT7 spelling, still read by the simulator). */
export type OifOrderType = 'MARKET' | 'LIMIT' | 'STOPMARKET' | 'STOPLIMIT';

/** The 12 parameters after the command, by name; absent = empty field. */
export interface OifFields {
  account?: string;
  instrument?: string;
  action?: 'BUY' | 'SELL';
  qty?: number;
  orderType?: OifOrderType;
  /** Decimal price with a dot, as `ticksToPrice` gives it. */
  limitPrice?: string;
  stopPrice?: string;
  tif?: 'DAY' | 'GTC';
  ocoId?: string;
  orderId?: string;
  strategy?: string;
  strategyId?: string;
}

/** One parsed OIF line. */
export interface OifLine extends OifFields {
  command: OifAnyCommand;
}

const ORDER = [
  'account',
  'instrument',
  'action',
  'qty',
  'orderType',
  'limitPrice',
  'stopPrice',
  'tif',
  'ocoId',
  'orderId',
  'strategy',
  'strategyId',
] as const satisfies readonly (keyof OifFields)[];

/** Characters NinjaTrader's id fields can carry safely: the ORDER ID becomes a Windows file name. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** Whether an id can be an OIF ORDER ID / OCO ID (no `;`, valid as a Windows file name). */
export function isSafeOifId(id: string): boolean {
  return SAFE_ID.test(id);
}

/** The command line (without the line break) for one command; throws on a field that would break the grammar. */
export function encodeOifLine(command: OifAnyCommand, fields: OifFields = {}): string {
  const out: string[] = [command];
  for (const name of ORDER) {
    const value = fields[name];
    const text = value === undefined ? '' : String(value);
    if (/[;\r\n]/.test(text)) throw new RangeError(`OIF field ${name} may not contain ; or a line break`);
    out.push(text);
  }
  return out.join(';');
}

/** Parses one OIF line; undefined when it is not a well-formed 13-field line with a known command. */
export function parseOifLine(line: string): OifLine | undefined {
  const parts = line.trim().split(';');
  if (parts.length !== 13) return undefined;
  const command = parts[0]!.toUpperCase();
  if (!COMMANDS.has(command)) return undefined;
  const out: OifLine = { command: command as OifAnyCommand };
  const record = out as unknown as Record<string, unknown>;
  ORDER.forEach((name, i) => {
    const text = parts[i + 1]!.trim();
    if (text === '') return;
    record[name] = name === 'qty' ? Number(text) : text;
  });
  if (out.action !== undefined) out.action = out.action.toUpperCase() as 'BUY' | 'SELL';
  if (out.orderType !== undefined) out.orderType = out.orderType.toUpperCase() as OifOrderType;
  if (out.tif !== undefined) out.tif = out.tif.toUpperCase() as 'DAY' | 'GTC';
  return out;
}

const COMMANDS = new Set<string>([
  'PLACE',
  'CHANGE',
  'CANCEL',
  'CLOSEPOSITION',
  'REVERSEPOSITION',
  'CANCELALLORDERS',
  'FLATTENEVERYTHING',
  'CLOSESTRATEGY',
]);

// ── ATI socket framing ────────────────────────────────────────────────────────

/**
 * Message codes of the ATI socket (protocol notes §6.2). Reverse-engineered, not documented
 * by NinjaTrader: a stream of ASCII tokens, each ended by one NUL byte; a message is a code
 * token followed by its argument tokens.
 */
export const AtiCode = { Command: '0', Data: '1', Value: '2', ConfirmOrders: '3', Subscribe: '4' } as const;

/** Arguments each message code carries. */
const ARITY: Record<string, number> = { '0': 1, '1': 5, '2': 2, '3': 1, '4': 2 };

/** Encodes one message: every token followed by NUL. */
export function encodeAtiMessage(tokens: readonly string[]): Buffer {
  for (const t of tokens) if (t.includes('\u0000')) throw new RangeError('an ATI token may not contain NUL');
  return Buffer.from(tokens.map((t) => `${t}\u0000`).join(''), 'latin1');
}

/**
 * Splits a NUL-token stream into messages, across reads: a token may end in a later read,
 * and one read may hold many messages.
 */
export class AtiTokenizer {
  #partial = '';
  #message: string[] = [];

  /** Feeds bytes; returns every message completed by them. */
  push(data: Buffer): string[][] {
    const out: string[][] = [];
    const text = this.#partial + data.toString('latin1');
    const tokens = text.split('\u0000');
    this.#partial = tokens.pop() ?? '';
    for (const token of tokens) {
      this.#message.push(token);
      const arity = ARITY[this.#message[0]!];
      // An unknown code cannot be framed: drop tokens until a known code starts a message.
      if (arity === undefined) {
        this.#message = [];
        continue;
      }
      if (this.#message.length === arity + 1) {
        out.push(this.#message);
        this.#message = [];
      }
    }
    return out;
  }
}
