import type { AccountReport, ReplayReport } from '@tradenova/core';
import { type ChartData, drawCharts } from './draw.js';
import type { ReplaySeries } from './series.js';

/** The chart library, inlined so the page needs no network. */
export interface PageAssets {
  script: string;
  css: string;
}

export interface PageInput {
  report: ReplayReport;
  series: ReplaySeries;
  /** What was replayed (a file name), for the title. */
  source: string;
  assets: PageAssets;
}

/** Marker colours, by kind (also the legend). */
export const MARKER_COLORS: Record<string, string> = {
  drift: '#ff7f0e',
  blocked: '#d62728',
  rejected: '#9467bd',
  failed: '#7f0000',
  'timed-out': '#8c564b',
  status: '#5b6b8c',
  flattened: '#111111',
  reconciled: '#17becf',
};

/**
 * The replay's HTML page: one self-contained file. Every figure of the JSON report
 * is printed as it is in the JSON, in an element whose `data-field` is its path
 * there (`accounts.3.orders.placed`), so a reader (or a test) can hold the two
 * side by side. The charts are drawn in the browser from the embedded series.
 */
export function renderReplayHtml(input: PageInput): string {
  const { report, series } = input;
  const chartData: ChartData = {
    times: series.times,
    accounts: series.accounts.map((a) => ({
      name: a.name,
      equity: a.equity,
      scaledLeader: a.scaledLeader,
      contracts: a.contracts,
      markers: a.markers,
    })),
    colors: MARKER_COLORS,
  };
  const title = `TradeNova replay of ${input.source}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${input.assets.css}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1>
<p class="note">Deterministic dry run on a virtual clock. Money in the account currency; every figure below is the JSON report's.</p></header>
${summarySection(report)}
${latencySection(report, series)}
${accountsTable(report)}
${chartsSection(report, series)}
${errorsSection(report)}
${jsonSection(report)}
<script type="application/json" id="tn-charts">${jsonForScript(chartData)}</script>
<script>${input.assets.script}</script>
<script>(${drawCharts.toString()})(document, uPlot, JSON.parse(document.getElementById('tn-charts').textContent));</script>
</body>
</html>
`;
}

/** The report's JSON, folded; past `MAX_EMBEDDED_JSON` characters (every fill of a long session) only a note. */
export const MAX_EMBEDDED_JSON = 2_000_000;

function jsonSection(r: ReplayReport): string {
  const json = JSON.stringify(r, null, 2);
  const body =
    json.length <= MAX_EMBEDDED_JSON
      ? `<details><summary>Show the report as JSON</summary><pre id="report-json">${esc(json)}</pre></details>`
      : `<p class="muted">The JSON report is ${(json.length / 1e6).toFixed(1)} MB (every fill of every account): too large to embed. Write it with --out; every figure above is taken from it.</p>`;
  return `<section><h2>JSON report</h2>${body}</section>`;
}

function summarySection(r: ReplayReport): string {
  const rows: [string, string, unknown][] = [
    ['Input records', 'input.records', r.input.records],
    ['Signals read', 'signals.count', r.signals.count],
    ['Signals copied', 'signals.copied', r.signals.copied],
    ['Signal errors', 'signals.errors.length', r.signals.errors.length],
    ['Quotes', 'input.quotes', r.input.quotes],
    ['Trades', 'input.trades', r.input.trades],
    ['Risk violations', 'violations', r.violations],
    ['Followers', 'accounts.length', r.accounts.length],
  ];
  const leader =
    r.leader.positions.length === 0
      ? '<span class="muted">flat</span>'
      : r.leader.positions
          .map((p, i) => `${esc(p.contract)} ${field(`leader.positions.${i}.netQty`, p.netQty)}`)
          .join(', ');
  const market = r.marketData
    ? `<p>Prices through ${field('marketData.source', r.marketData.source)}: ${field('marketData.prices', r.marketData.prices)} delivered.</p>`
    : '';
  return `<section id="summary"><h2>Summary</h2>
<div class="cards">${rows
    .map(
      ([label, path, value]) =>
        `<div class="card"><div class="label">${esc(label)}</div>${field(path, value, 'big')}</div>`,
    )
    .join('')}</div>
<p>Leader ${field('leader.name', r.leader.name)} (${field('leader.account', r.leader.account)}) ends ${leader}.</p>${market}
</section>`;
}

function latencySection(r: ReplayReport, s: ReplaySeries): string {
  const l = r.latency;
  const head = '<tr><th>broker</th><th>orders</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>';
  const all = `<tr class="total"><td>all</td><td>${field('latency.count', l.count)}</td><td>${field('latency.p50', l.p50)}</td><td>${field('latency.p90', l.p90)}</td><td>${field('latency.p99', l.p99)}</td><td>${field('latency.max', l.max)}</td></tr>`;
  const rows = s.latencyByBroker
    .map(
      (b) =>
        `<tr data-broker="${esc(b.broker)}"><td>${esc(b.broker)}</td><td data-series="count">${b.count}</td><td data-series="p50">${b.p50}</td><td data-series="p90">${b.p90}</td><td data-series="p99">${b.p99}</td><td data-series="max">${b.max}</td></tr>`,
    )
    .join('');
  const max = Math.max(1, ...s.latencyByBroker.map((b) => b.max));
  const bars = s.latencyByBroker
    .map((b) => {
      const pct = (v: number) => ((v / max) * 100).toFixed(1);
      return `<div class="lat-row"><span class="lat-name">${esc(b.broker)}</span><span class="lat-track"><span class="lat-bar p99" style="width:${pct(b.p99)}%"></span><span class="lat-bar p90" style="width:${pct(b.p90)}%"></span><span class="lat-bar p50" style="width:${pct(b.p50)}%"></span></span></div>`;
    })
    .join('');
  return `<section id="latency"><h2>Copy latency (${field('latency.unit', l.unit)}, ${field('latency.clock', l.clock)} clock)</h2>
<table class="num">${head}${all}${rows}</table>
<div class="lat-chart" aria-label="p50, p90 and p99 per broker">${bars}<div class="legend"><span class="sw p50"></span>p50 <span class="sw p90"></span>p90 <span class="sw p99"></span>p99</div></div>
</section>`;
}

const ORDER_KEYS = [
  'placed',
  'filled',
  'rejected',
  'blocked',
  'skipped',
  'timedOut',
  'failed',
  'cancelled',
] as const;

function accountsTable(r: ReplayReport): string {
  const head = `<tr><th>follower</th><th>broker</th><th>account</th>${ORDER_KEYS.map((k) => `<th>${k}</th>`).join('')}<th>realized</th><th>unrealized</th><th>open</th><th>drift</th></tr>`;
  const rows = r.accounts
    .map((a, i) => {
      const p = `accounts.${i}`;
      const open = a.positions
        .map((pos, k) =>
          pos.netQty === 0 ? '' : `${esc(pos.contract)} ${field(`${p}.positions.${k}.netQty`, pos.netQty)}`,
        )
        .filter(Boolean)
        .join(', ');
      const drift = a.drift.map((d) => `${esc(d.contract)} ${d.follower}/${d.leader}`).join(', ');
      return `<tr><td>${field(`${p}.name`, a.name)}</td><td>${field(`${p}.broker`, a.broker)}</td><td>${field(`${p}.account`, a.account)}</td>${ORDER_KEYS.map(
        (k) => `<td>${field(`${p}.orders.${k}`, a.orders[k])}</td>`,
      ).join(
        '',
      )}<td>${field(`${p}.realizedPnl`, a.realizedPnl, pnlClass(a.realizedPnl))}</td><td>${field(`${p}.unrealizedPnl`, a.unrealizedPnl, pnlClass(a.unrealizedPnl))}</td><td>${open || '<span class="muted">flat</span>'}</td><td>${field(`${p}.drift.length`, a.drift.length, a.drift.length > 0 ? 'warn' : '')}${drift ? ` <span class="muted">${drift}</span>` : ''}</td></tr>`;
    })
    .join('\n');
  return `<section id="accounts"><h2>Followers</h2><div class="scroll"><table class="num">${head}\n${rows}</table></div></section>`;
}

function chartsSection(r: ReplayReport, s: ReplaySeries): string {
  const legend = Object.entries(MARKER_COLORS)
    .map(([kind, colour]) => `<span class="sw" style="background:${colour}"></span>${esc(kind)}`)
    .join(' ');
  const note = s.thinned
    ? `Sampled: ${s.times.length} points over the session (at most ${s.maxPoints}); the final point is the report's end state.`
    : `${s.times.length} points: one per record time, and the end.`;
  const blocks = s.accounts
    .map((a, i) => {
      const report = r.accounts.find((x) => x.name === a.name);
      const markers = a.markers
        .map(
          (m) =>
            `<li><span class="sw" style="background:${MARKER_COLORS[m.kind] ?? '#555'}"></span><time>${new Date(m.time).toISOString()}</time> <b>${esc(m.kind)}</b> ${esc(m.text)}</li>`,
        )
        .join('');
      const dropped = a.markersDropped > 0 ? `<li class="muted">${a.markersDropped} more not shown</li>` : '';
      return `<article class="account" id="account-${i}"><h3>${esc(a.name)} <span class="muted">${esc(a.broker)}${report ? `, P&amp;L ${esc(report.realizedPnl)} realized, ${esc(report.unrealizedPnl)} unrealized` : ''}</span></h3>
<div class="chart" id="equity-${i}" data-kind="equity"></div>
${a.contracts.length > 0 ? `<div class="chart" id="position-${i}" data-kind="position"></div>` : '<p class="muted">No position during the session.</p>'}
${markers || dropped ? `<ul class="markers">${markers}${dropped}</ul>` : ''}
</article>`;
    })
    .join('\n');
  return `<section id="charts"><h2>Equity and positions</h2>
<p class="note">Equity = starting balance + realized + unrealized P&amp;L. The dashed "scaled leader" curve is an account holding exactly the follower's scaled share of the leader, traded at the recorded price whenever the leader's position changed. ${esc(note)} Drift is marked when a contract stays off its scaled share for more than ${s.driftGraceMs} ms (virtual), or at the end.</p>
<p class="legend">${legend}</p>
${blocks}
</section>`;
}

/** Rows of the error list; a long session's others stay in the JSON. */
const MAX_ERROR_ROWS = 1000;

function errorsSection(r: ReplayReport): string {
  const items: string[] = [];
  r.signals.errors.forEach((e, i) => {
    items.push(
      `<tr><td>input</td><td>line ${field(`signals.errors.${i}.line`, e.line)}</td><td>${field(`signals.errors.${i}.field`, e.field)}</td><td>${esc(e.message)}</td></tr>`,
    );
  });
  r.accounts.forEach((a: AccountReport) => {
    for (const b of a.blocked) items.push(row(a.name, 'blocked', b.signalId, `${b.reason}: ${b.message}`));
    for (const x of a.rejected) items.push(row(a.name, 'rejected', x.signalId, `${x.code}: ${x.reason}`));
    for (const x of a.failed) items.push(row(a.name, 'failed', x.signalId, `${x.code}: ${x.message}`));
    for (const x of a.timedOut) items.push(row(a.name, 'timed out', x.signalId, x.intentId));
  });
  const shown = items.slice(0, MAX_ERROR_ROWS);
  const more =
    items.length > shown.length
      ? `<p class="muted">${items.length - shown.length} more in the JSON report.</p>`
      : '';
  const body =
    items.length === 0
      ? '<p id="no-errors">No errors: every signal was read and every order went through.</p>'
      : `<table id="error-list"><tr><th>where</th><th>what</th><th>signal / field</th><th>message</th></tr>${shown.join('\n')}</table>${more}`;
  return `<section id="errors"><h2>Errors (${items.length})</h2>${body}</section>`;

  function row(who: string, what: string, signal: string, message: string): string {
    return `<tr><td>${esc(who)}</td><td>${esc(what)}</td><td>${esc(signal)}</td><td>${esc(message)}</td></tr>`;
  }
}

/** A report figure, printed exactly as the JSON has it, tagged with its path. */
function field(path: string, value: unknown, cls = ''): string {
  return `<span class="v${cls ? ` ${cls}` : ''}" data-field="${esc(path)}">${esc(String(value))}</span>`;
}

function pnlClass(money: string): string {
  return money.startsWith('-') ? 'neg' : /^0(\.0+)?$/.test(money) ? '' : 'pos';
}

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON inside a script element: `<` escaped so no `</script>` can close it early. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const PAGE_CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#1d1d1f;background:#fff}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.note,.muted{color:#666}.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:110px}
.card .label{color:#666;font-size:12px}.big{font-size:22px;font-weight:600}
table{border-collapse:collapse;margin:6px 0}th,td{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;white-space:nowrap}
table.num td{font-variant-numeric:tabular-nums}tr.total td{font-weight:600}.scroll{overflow-x:auto}
.neg{color:#c62828}.pos{color:#2e7d32}.warn{color:#e65100;font-weight:600}
.chart{margin:4px 0 8px}.account{border-top:1px dashed #ddd}
.markers{max-height:160px;overflow:auto;font-size:12px;margin:4px 0;padding-left:18px}
.sw{display:inline-block;width:10px;height:10px;margin:0 4px 0 8px;border-radius:2px;vertical-align:middle}
.sw.p50,.lat-bar.p50{background:#1f77b4}.sw.p90,.lat-bar.p90{background:#7fb3e0}.sw.p99,.lat-bar.p99{background:#cfe2f3}
.lat-row{display:flex;align-items:center;margin:3px 0}.lat-name{width:140px}.lat-track{position:relative;flex:1;height:14px;background:#f6f6f6}
.lat-bar{position:absolute;left:0;top:0;bottom:0}
pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:480px}
`;
