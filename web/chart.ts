import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';

export interface Series {
  label: string;
  values: Array<number | null>;
  color: string;
}

/** A uPlot time-series chart; the page always shows the same numbers as a table beside it. */
export function TimeChart({ title, times, series, from, to }: { title: string; times: number[]; series: Series[]; from: number; to: number }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (element === null || times.length === 0) return;
    const width = Math.max(280, element.clientWidth);
    const chart = new uPlot({
      width, height: 220,
      series: [{}, ...series.map((entry) => ({ label: entry.label, stroke: entry.color, width: 2, points: { show: times.length < 60 } }))],
      // The x axis spans the chosen time range, so a single bucket sits where it belongs.
      scales: { x: { time: true, range: () => [from, to] } },
      axes: [{}, { size: 60 }],
      legend: { show: true },
    }, [times, ...series.map((entry) => entry.values)], element);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(280, element.clientWidth), height: 220 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [times, series, from, to]);
  return html`<figure class="chart"><figcaption>${title}</figcaption><div ref=${host} role="img" aria-label=${`${title} chart; the table below has its numbers`}></div></figure>`;
}
