// Preloaded into the registry server by the benchmarks (`node --import ./bench/loop-monitor.mjs`),
// never in production: an event-loop delay histogram (perf_hooks monitorEventLoopDelay), written
// to LOOP_STATS_FILE and reset on every SIGUSR2, so a benchmark can measure the longest stall of
// any phase it drives.
import { renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.LOOP_STATS_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  process.on('SIGUSR2', () => {
    const stats = {
      maxMs: ms(histogram.max),
      p99Ms: ms(histogram.percentile(99)),
      p50Ms: ms(histogram.percentile(50)),
      meanMs: ms(histogram.mean),
      samples: histogram.count,
      // Where the resident memory is, to tell V8's heap from buffers and native allocations.
      memory: Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1048576)])),
    };
    writeFileSync(`${file}.tmp`, JSON.stringify(stats));
    renameSync(`${file}.tmp`, file);
    histogram.reset();
  });
}
