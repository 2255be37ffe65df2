// A Chart.js chart as a React component: made once per canvas, its data
// replaced on each render (no animation, so live data does not wobble).
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartData, type ChartOptions } from 'chart.js';
import { useEffect, useRef } from 'react';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);

export function ChartView({ type, data, options, height = 260, testId }: { type: 'bar' | 'line'; data: ChartData<'bar' | 'line'>; options?: ChartOptions<'bar' | 'line'>; height?: number; testId?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar' | 'line'> | null>(null);
  useEffect(() => {
    chart.current = new Chart(canvas.current!, { type, data, options: { animation: false, maintainAspectRatio: false, responsive: true, ...options } });
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
    // The chart is made once per type; data changes go through the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [type]);
  useEffect(() => {
    if (!chart.current) return;
    chart.current.data = data;
    if (options) chart.current.options = { animation: false, maintainAspectRatio: false, responsive: true, ...options };
    chart.current.update('none');
  }, [data, options]);
  return (
    <div style={{ position: 'relative', height }} data-testid={testId}>
      <canvas ref={canvas} />
    </div>
  );
}
