/**
 * The page's own script: draws the charts from the data embedded in the page.
 * It runs in the browser, so it is written self-contained (no imports, no outside
 * names but its arguments) and inlined with `Function.prototype.toString`.
 */

/** The few DOM parts the script touches (the package is built without the DOM types). */
export interface ElementLike {
  dataset: Record<string, string | undefined>;
  getBoundingClientRect(): { width: number };
}
export interface DocumentLike {
  getElementById(id: string): ElementLike | null;
  body: { dataset: Record<string, string | undefined> };
}
interface Canvas2D {
  save(): void;
  restore(): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  lineWidth: number;
  strokeStyle: string;
}

/** The part of uPlot's constructor the page uses (the library is inlined beside it). */
export interface UPlotLike {
  new (opts: unknown, data: unknown, target: ElementLike): unknown;
  tzDate?: (date: Date, tz: string) => Date;
}

/** What the page embeds for the charts: times in epoch ms, money in mils. */
export interface ChartData {
  times: number[];
  accounts: {
    name: string;
    equity: number[];
    scaledLeader: number[];
    contracts: { contract: string; qty: number[]; target: number[] }[];
    markers: { time: number; kind: string; text: string }[];
  }[];
  colors: Record<string, string>;
}

export function drawCharts(doc: DocumentLike, UPlot: UPlotLike, data: ChartData): void {
  const seconds = data.times.map((t) => t / 1000);
  const utc = UPlot.tzDate ? (ts: number) => UPlot.tzDate!(new Date(ts * 1000), 'Etc/UTC') : undefined;
  const palette = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  let drawn = 0;

  /** Vertical lines at each marker's time, coloured by kind. */
  const markerHook =
    (markers: ChartData['accounts'][number]['markers']) =>
    (u: {
      ctx: Canvas2D;
      bbox: { top: number; height: number };
      valToPos: (v: number, scale: string, canvas: boolean) => number;
    }) => {
      const ctx = u.ctx;
      ctx.save();
      ctx.lineWidth = 2;
      for (const m of markers) {
        const x = Math.round(u.valToPos(m.time / 1000, 'x', true));
        ctx.strokeStyle = data.colors[m.kind] ?? '#555';
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
      }
      ctx.restore();
    };

  const widthOf = (el: ElementLike) => Math.max(320, Math.floor(el.getBoundingClientRect().width) - 8);

  data.accounts.forEach((account, i) => {
    const equityEl = doc.getElementById(`equity-${i}`);
    if (equityEl) {
      new UPlot(
        {
          width: widthOf(equityEl),
          height: 220,
          ...(utc ? { tzDate: utc } : {}),
          scales: { x: { time: true } },
          series: [
            {},
            {
              label: `${account.name} equity`,
              stroke: '#1f77b4',
              width: 2,
              value: (_u: unknown, v: number | null) => (v === null ? '' : (v / 1000).toFixed(2)),
            },
            {
              label: 'scaled leader',
              stroke: '#ff7f0e',
              width: 2,
              dash: [6, 4],
              value: (_u: unknown, v: number | null) => (v === null ? '' : (v / 1000).toFixed(2)),
            },
          ],
          axes: [
            {},
            { size: 72, values: (_u: unknown, vals: number[]) => vals.map((v) => (v / 1000).toFixed(0)) },
          ],
          hooks: { draw: [markerHook(account.markers)] },
        },
        [seconds, account.equity, account.scaledLeader],
        equityEl,
      );
      equityEl.dataset.drawn = 'true';
      drawn++;
    }
    const positionEl = doc.getElementById(`position-${i}`);
    if (positionEl && account.contracts.length > 0) {
      const series: unknown[] = [{}];
      const columns: number[][] = [seconds];
      account.contracts.forEach((c, k) => {
        const colour = palette[k % palette.length];
        series.push({ label: `${c.contract} held`, stroke: colour, width: 2, paths: stepped() });
        series.push({
          label: `${c.contract} scaled leader`,
          stroke: colour,
          width: 1,
          dash: [4, 4],
          paths: stepped(),
        });
        columns.push(c.qty, c.target);
      });
      new UPlot(
        {
          width: widthOf(positionEl),
          height: 180,
          ...(utc ? { tzDate: utc } : {}),
          scales: { x: { time: true } },
          series,
          hooks: { draw: [markerHook(account.markers)] },
        },
        columns,
        positionEl,
      );
      positionEl.dataset.drawn = 'true';
      drawn++;
    }
  });
  doc.body.dataset.charts = String(drawn);

  function stepped(): unknown {
    const paths = (UPlot as unknown as { paths?: { stepped?: (o: { align: number }) => unknown } }).paths;
    return paths?.stepped ? paths.stepped({ align: 1 }) : undefined;
  }
}
