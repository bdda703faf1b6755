import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Api } from './api.ts';

interface Metrics {
  messages_sent: number;
  completions: number;
  tokens_in: number;
  tokens_out: number;
  errors: number;
  cancellations: number;
  latency_ms: { count: number; p50: number | null; p95: number | null };
}
interface UsageReport {
  from: string;
  to: string;
  totals: Metrics;
  by_day: Array<Metrics & { day: string }>;
}
interface Model {
  id: string;
  owned_by: string;
  name?: string;
}

/** Usage over the last 30 days (totals and a chart per day) and the providers' status (the models they list). */
export function UsagePage({ api }: { api: Api }) {
  const [report, setReport] = useState<UsageReport | null>(null);
  const [models, setModels] = useState<Model[] | null>(null);
  const [providerError, setProviderError] = useState<string | null>(null);
  useEffect(() => {
    void api.get<UsageReport>('/api/v1/analytics/usage').then(setReport);
    api
      .get<{ data: Model[] }>('/api/v1/models')
      .then((r) => setModels(r.data.filter((m) => !m.id.startsWith('character:'))))
      .catch((e) => setProviderError((e as Error).message));
  }, [api]);
  const t = report?.totals;
  return (
    <section aria-labelledby="usage-title" class="usage">
      <h1 id="usage-title">Usage</h1>
      {report && t && (
        <>
          <p class="muted">
            {report.from} to {report.to}
          </p>
          <dl class="totals">
            <div>
              <dt>Messages sent</dt>
              <dd>{t.messages_sent}</dd>
            </div>
            <div>
              <dt>Completions</dt>
              <dd>{t.completions}</dd>
            </div>
            <div>
              <dt>Tokens in / out</dt>
              <dd>
                {t.tokens_in} / {t.tokens_out}
              </dd>
            </div>
            <div>
              <dt>Latency p50 / p95</dt>
              <dd>
                {t.latency_ms.p50 ?? '–'} / {t.latency_ms.p95 ?? '–'} ms
              </dd>
            </div>
            <div>
              <dt>Errors</dt>
              <dd>{t.errors}</dd>
            </div>
          </dl>
          <UsageChart days={report.by_day} />
        </>
      )}
      <h2>Providers</h2>
      {providerError && <p role="alert">{providerError}</p>}
      {models && (
        <table class="providers">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Models</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(groupBy(models)).map(([provider, ids]) => (
              <tr>
                <th scope="row">{provider}</th>
                <td>{ids.join(', ') || 'none listed'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function groupBy(models: Model[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of models) (out[m.owned_by] ??= []).push(m.id);
  return out;
}

/** Completions and tokens per day (uPlot: a canvas chart, small and fast). */
function UsageChart({ days }: { days: Array<Metrics & { day: string }> }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const x = days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 240,
        scales: { x: { time: true } },
        series: [
          {},
          { label: 'Completions', stroke: '#3b5bdb', width: 2 },
          { label: 'Tokens out', stroke: '#2b8a3e', width: 2, scale: 'tokens' },
        ],
        axes: [{}, { label: 'completions' }, { side: 1, scale: 'tokens', label: 'tokens' }],
      },
      [x, days.map((d) => d.completions), days.map((d) => d.tokens_out)],
      el,
    );
    const resize = () => plot.setSize({ width: Math.max(280, el.clientWidth), height: 240 });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [days]);
  return <div ref={box} class="chart" role="img" aria-label="Completions and tokens per day" />;
}
