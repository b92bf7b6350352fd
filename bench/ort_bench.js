#!/usr/bin/env node
'use strict';
// ort_bench.js - ONNX Runtime's side of the side-by-side benchmark.
//
// usage: node bench/ort_bench.js MODEL [--threads N] [--runs N] [--warmup N]
//
// Mirrors `edgerun bench MODEL --json --raw`: CPU execution provider, graph
// optimization level "all", sequential execution, intraOpNumThreads = N
// (interOp 1); seeded uniform [0,1) inputs of the model's declared shape
// (symbolic dims = 1). Prints one JSON object: session_ms (InferenceSession
// creation, includes loading), first_run_ms, median/p90 and every latency,
// peak_rss_bytes (VmHWM) and rss_before_load_bytes.
const fs = require('fs');
const path = require('path');

function loadOrt() {
  const tries = [];
  if (process.env.ER_ORT_NODE_MODULES) tries.push(path.join(process.env.ER_ORT_NODE_MODULES, 'onnxruntime-node'));
  tries.push('onnxruntime-node');
  for (const t of tries) { try { return require(t); } catch (e) { /* next */ } }
  process.stderr.write('ort_bench.js: cannot load onnxruntime-node (set ER_ORT_NODE_MODULES)\n');
  process.exit(3);
}

function statusKb(key) {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  const m = s.match(new RegExp('^' + key + ':\\s+(\\d+)', 'm'));
  return m ? Number(m[1]) * 1024 : 0;
}

function percentile(sorted, p) {
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  if (lo + 1 >= sorted.length) return sorted[sorted.length - 1];
  return sorted[lo] * (1 - (pos - lo)) + sorted[lo + 1] * (pos - lo);
}

async function main() {
  const args = process.argv.slice(2);
  let threads = 1, runs = 50, warmup = 5, model = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--threads') threads = Number(args[++i]);
    else if (args[i] === '--runs') runs = Number(args[++i]);
    else if (args[i] === '--warmup') warmup = Number(args[++i]);
    else model = args[i];
  }
  if (!model) { process.stderr.write('usage: ort_bench.js MODEL [--threads N] [--runs N] [--warmup N]\n'); process.exit(2); }
  const ort = loadOrt();
  const rss0 = statusKb('VmRSS');
  const t0 = performance.now();
  const sess = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', executionMode: 'sequential',
    intraOpNumThreads: threads, interOpNumThreads: 1,
  });
  const t1 = performance.now();
  let seed = 1 >>> 0;
  const rnd = () => { seed = (seed + 0x6D2B79F5) >>> 0; let t = seed; t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const feeds = {};
  for (const name of sess.inputNames) {
    const meta = sess.inputMetadata ? sess.inputMetadata.find((m) => m.name === name) : null;
    const dims = (meta && meta.shape ? meta.shape : [1, 3, 224, 224]).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rnd();
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  const t2 = performance.now();
  await sess.run(feeds);
  const t3 = performance.now();
  for (let i = 0; i < warmup; i++) await sess.run(feeds);
  const lat = [];
  for (let i = 0; i < runs; i++) {
    const a = performance.now();
    await sess.run(feeds);
    lat.push(performance.now() - a);
  }
  const sorted = [...lat].sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({
    model, threads, session_ms: t1 - t0, first_run_ms: t3 - t2,
    min_ms: sorted[0], median_ms: percentile(sorted, 50), p90_ms: percentile(sorted, 90),
    runs, peak_rss_bytes: statusKb('VmHWM'), rss_before_load_bytes: rss0, latencies_ms: lat,
  }) + '\n');
}
main().catch((e) => { process.stderr.write(`ort_bench.js: ${e.message}\n`); process.exit(1); });
