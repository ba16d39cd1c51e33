import { getHeapStatistics } from 'node:v8';
import { Counter, Gauge } from './prom-client-core.js';
import type { Registry } from './prom-client-core.js';

/**
 * The process figures worth their cost, read only when /metrics is scraped: CPU, resident memory,
 * heap, start time. prom-client's default collectors also keep an event-loop delay histogram and
 * a GC observer running on every request, and list handles and file descriptors on each scrape.
 */
export function registerProcessMetrics(registry: Registry, prefix: string): void {
  const registers = [registry];
  const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());
  new Counter({
    name: `${prefix}process_cpu_seconds_total`, help: 'User and system CPU time spent in seconds', registers,
    collect() {
      const { user, system } = process.cpuUsage();
      this.reset();
      this.inc((user + system) / 1e6);
    },
  });
  new Gauge({
    name: `${prefix}process_resident_memory_bytes`, help: 'Resident memory size in bytes', registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: `${prefix}process_start_time_seconds`, help: 'Start time of the process since the Unix epoch in seconds', registers,
    collect() {
      this.set(startTimeSeconds);
    },
  });
  new Gauge({
    name: `${prefix}nodejs_heap_size_used_bytes`, help: 'V8 heap in use in bytes', registers,
    collect() {
      this.set(getHeapStatistics().used_heap_size);
    },
  });
  new Gauge({
    name: `${prefix}nodejs_heap_size_total_bytes`, help: 'V8 heap size in bytes', registers,
    collect() {
      this.set(getHeapStatistics().total_heap_size);
    },
  });
}
