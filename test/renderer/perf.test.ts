// The Performance view with a recorded run: the capture note, the charts uPlot draws, the figures, Istio's reference, runs, comparing and exporting.
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../../src-renderer/src/App.svelte';
import { labState } from '../../src-renderer/src/lab-state.svelte';
import { perfState } from '../../src-renderer/src/perf/perf-state.svelte';
import type { PerfRun } from '../../src-main/contract/types';
import recorded from '../fixtures/perf/recorded-run.json';
import recordedSweep from '../fixtures/perf/recorded-sweep.json';
import { drawn, stubCanvas } from './canvas-stub';
import { createFakeLabService } from '../unit/bridge/fake-lab-service';
import { answer, emit, labMock } from './setup';

const run = recorded.runs[0] as PerfRun;
const sweepRun = recordedSweep.runs[0] as PerfRun;

beforeEach(() => {
  stubCanvas();
  labState.view = 'perf';
  perfState.runs = [];
  perfState.shown = '';
  perfState.compared = '';
  perfState.error = null;
  perfState.progress = [];
  perfState.form = { modes: ['baseline', 'both'], qps: 1000, connections: 16, sweep: [], payload: 1024, duration: 10 };
  perfState.atConnections = undefined;
});

/** The legend labels of a chart, as uPlot writes them into the page. */
function legend(chart: HTMLElement): string[] {
  return [...chart.querySelectorAll('.u-legend .u-series .u-label')].map((e) => e.textContent ?? '');
}

describe('the Performance view', () => {
  it('shows the kept run: capture off, percentile and histogram charts per mode, the figures and Istio 1.24\'s reference', async () => {
    render(App);
    const table = await screen.findByRole('table', { name: 'Perf figures' });
    expect(screen.getByRole('note').textContent).toMatch(/live flow capture was off during this run/);
    const percentiles = screen.getByRole('figure', { name: 'Latency percentiles' });
    expect(legend(percentiles)).toEqual(['percentile', ...run.modes.map((m) => m.mode)]);
    for (const m of run.modes) expect(legend(screen.getByRole('figure', { name: `Histogram: ${m.mode}` }))).toContain(m.mode);
    const cpu = screen.getByRole('figure', { name: /CPU per 1000 req\/s/ });
    expect(legend(cpu).at(-1)).toBe('Istio 1.24: 0.2 vCPU per 1000 req/s per sidecar');
    // uPlot drew on its canvases: lines, bars and axis labels.
    expect(drawn.filter((d) => d.method === 'stroke').length).toBeGreaterThan(run.modes.length);
    expect(drawn.some((d) => d.method === 'fillText' && d.args[0] === 'p99.9')).toBe(true);

    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(run.modes.length);
    const both = run.modes.find((m) => m.mode === 'both')!;
    const row = rows.find((r) => within(r).queryByText('both'))!;
    const cells = within(row).getAllByRole('cell').map((c) => c.textContent?.trim());
    // Recorded before results named their count: the run's.
    expect(cells[2]).toBe(String(run.settings.connections));
    expect(cells.slice(3, 8)).toEqual([both.p50, both.p90, both.p99, both.p999, both.max].map((v) => v.toFixed(3)));
    expect(cells[8]).toBe(`${both.qps.toFixed(1)} (${both.requestedQps})`);
    for (const p of both.proxies) expect(row.textContent).toContain(`${p.name}: ${p.cpu.toFixed(3)} · ${((p.cpu * 1000) / both.qps).toFixed(3)} · ${p.memoryMB.toFixed(1)}`);
    expect(screen.getByText(/Istio 1\.24 publishes about 0\.20 vCPU and 60 MB per sidecar/)).toBeTruthy();
  });

  it('runs the modes chosen with the settings typed, shows progress, then compares the new run with the previous one', async () => {
    let finish: () => void = () => {};
    const gate = new Promise<void>((r) => (finish = r));
    const fake = createFakeLabService();
    answer('perf.run', async (args: never) => {
      emit('lab.progress', '', { time: '2026-12-07T17:20:00.000Z', kind: 'info', message: 'perf 1/2: baseline (no sidecar), 200 qps, 4 connections, 1024-byte payload, 2 s' });
      emit('lab.progress', '', { time: '2026-12-07T17:20:02.000Z', kind: 'log', message: 'perf 1/2: baseline: p50 0.5 ms, p90 0.9 ms, p99 2 ms, 199 qps, 0 errors' });
      // A line of the lab's own (an image build) is not the run's.
      emit('lab.progress', '', { time: '2026-12-07T17:20:02.000Z', kind: 'step', image: 'proxy', message: 'Step 2/5 : RUN npm ci' });
      await gate;
      return fake['perf.run'](args);
    });
    render(App);
    await screen.findByRole('table', { name: 'Perf figures' });
    const form = screen.getByRole('form', { name: 'Perf run' });
    // Both chosen by default; take `both` out, then put it back with the keyboard's space (a click on a checkbox).
    const both = within(form).getByRole('checkbox', { name: 'both sidecars' }) as HTMLInputElement;
    await fireEvent.click(both);
    expect(perfState.form.modes).toEqual(['baseline']);
    await fireEvent.click(both);
    await fireEvent.input(within(form).getByRole('spinbutton', { name: 'QPS' }), { target: { value: '200' } });
    await fireEvent.input(within(form).getByRole('spinbutton', { name: 'Connections' }), { target: { value: '4' } });
    await fireEvent.input(within(form).getByRole('spinbutton', { name: /Duration/ }), { target: { value: '2' } });
    // Enter in a field submits the form, as the Run button does.
    await fireEvent.submit(form);
    expect(labMock().invoke).toHaveBeenCalledWith('perf.run', { modes: ['baseline', 'both'], qps: 200, connections: 4, payload: 1024, duration: 2 });
    expect(await within(form).findByRole('button', { name: 'Running…' })).toBeTruthy();
    const log = within(form).getByRole('log', { name: 'Progress' });
    expect(within(log).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      expect.stringContaining('perf 1/2: baseline (no sidecar), 200 qps'),
      expect.stringContaining('perf 1/2: baseline: p50 0.5 ms'),
    ]);
    const bar = within(form).getByRole('progressbar', { name: 'Modes measured' }) as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([1, 2]);
    finish();
    expect(await within(form).findByRole('button', { name: 'Run' })).toBeTruthy();
    const percentiles = await screen.findByRole('figure', { name: 'Latency percentiles' });
    expect(legend(percentiles)).toEqual(['percentile', 'baseline (A)', 'both (A)', 'baseline (B)', 'both (B)']);
    const compare = screen.getByRole('combobox', { name: 'Compare with' }) as HTMLSelectElement;
    expect(compare.value).toBe(run.at);
    expect(screen.getAllByRole('note')).toHaveLength(2);
    // Back to one run.
    await fireEvent.change(compare, { target: { value: '' } });
    expect(legend(screen.getByRole('figure', { name: 'Latency percentiles' }))).toEqual(['percentile', 'baseline', 'both']);
  });

  it('says what was wrong with a run the lab refused, naming the field', async () => {
    answer('perf.run', () => Promise.reject(Object.assign(new Error('perf.run: argument "connections" must be an integer from 1 to 1024, got number 0'), { name: 'ContractArgsError' })));
    render(App);
    await fireEvent.click(await screen.findByRole('button', { name: 'Run' }));
    expect((await screen.findByRole('alert')).textContent).toContain('argument "connections"');
  });

  it('says when the capture was on during a run', async () => {
    answer('perf.results', () => [{ ...run, captureOn: true }]);
    render(App);
    expect((await screen.findByRole('note')).textContent).toMatch(/live flow capture was on \(following lab performance\) during this run: its cost is in these figures/);
  });

  it('exports the kept runs as CSV through a download', async () => {
    const created = vi.fn(() => 'blob:perf');
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() }));
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    render(App);
    await fireEvent.click(await screen.findByRole('button', { name: 'Export CSV' }));
    expect(labMock().invoke).toHaveBeenCalledWith('perf.export', { format: 'csv' });
    await vi.waitFor(() => expect(clicked).toHaveLength(1));
    expect(clicked[0].download).toBe('perf-performance.csv');
    const blob = (created.mock.calls[0] as unknown as [Blob])[0];
    const text = await new Promise<string>((done) => {
      const reader = new FileReader();
      reader.onload = () => done(String(reader.result));
      reader.readAsText(blob);
    });
    expect(text.split('\r\n')[0]).toMatch(/^at,captureOn,lab,/);
    expect(text.trimEnd().split('\r\n')).toHaveLength(1 + run.modes.length);
  });

  it('runs a connection sweep from the counts checked, one measurement per mode and count', async () => {
    render(App);
    await screen.findByRole('table', { name: 'Perf figures' });
    const form = screen.getByRole('form', { name: 'Perf run' });
    for (const name of ['1 connection', '4 connections', '64 connections']) await fireEvent.click(within(form).getByRole('checkbox', { name }));
    // The sweep's counts replace the single count.
    expect((within(form).getByRole('spinbutton', { name: 'Connections' }) as HTMLInputElement).disabled).toBe(true);
    await fireEvent.submit(form);
    expect(labMock().invoke).toHaveBeenCalledWith('perf.run', { modes: ['baseline', 'both'], qps: 1000, sweep: [1, 4, 64], payload: 1024, duration: 10 });
    const percentiles = await screen.findByRole('figure', { name: 'Latency against connections' });
    // Compared with the run kept before it, as any new run is.
    expect(legend(percentiles)).toEqual(['connections', ...['baseline', 'both'].flatMap((m) => ['p50', 'p90', 'p99'].map((p) => `${m} ${p} (A)`))]);
  });

  it('charts a kept sweep against connections, shows its other charts at the count picked, and lists every count in the table', async () => {
    answer('perf.results', () => [sweepRun]);
    render(App);
    const table = await screen.findByRole('table', { name: 'Perf figures' });
    const counts = [...new Set(sweepRun.modes.map((m) => m.connections))];
    expect(counts.length).toBeGreaterThan(2);
    expect(within(table).getAllByRole('row').slice(1)).toHaveLength(sweepRun.modes.length);
    const sweep = screen.getByRole('figure', { name: 'Latency against connections' });
    expect(legend(sweep)).toEqual(['connections', ...sweepRun.settings.modes.flatMap((m) => ['p50', 'p90', 'p99'].map((p) => `${m} ${p}`))]);
    // The x axis names every count measured.
    for (const c of counts) expect(drawn.some((d) => d.method === 'fillText' && d.args[0] === String(c))).toBe(true);
    // The per-run charts show one count: 16 by default, another when picked; their histograms are that count's.
    const picker = screen.getByRole('combobox', { name: 'Charts below at' }) as HTMLSelectElement;
    expect(picker.value).toBe('16');
    const histograms = () => screen.getAllByRole('figure', { name: /^Histogram: / }).map((f) => f.getAttribute('aria-label'));
    expect(histograms()).toEqual(sweepRun.settings.modes.map((m) => `Histogram: ${m}, 16 connections`));
    await fireEvent.change(picker, { target: { value: '1' } });
    expect(perfState.atConnections).toBe(1);
    expect(histograms()).toEqual(sweepRun.settings.modes.map((m) => `Histogram: ${m}, 1 connection`));
    expect(legend(screen.getByRole('figure', { name: 'Latency percentiles' }))).toEqual(['percentile', ...sweepRun.settings.modes]);
  });
});
