#!/usr/bin/env node
'use strict';
// ort_cpu_time.js - ONNX Runtime's CPU time per inference, for comparing with
// conv_bench's per-thread CPU times on a shared (loaded) machine.
//
// usage: node bench/kernels/ort_cpu_time.js MODEL.onnx [RUNS=40]
//
// One intra-op thread, sequential execution, graph optimization "all", a
// [1,3,224,224] input of 0.5; 5 warm-up runs, then RUNS runs timed with
// process.cpuUsage() (user + system of the whole process, so time other
// processes take from this one's core does not count). Prints min and median.
// onnxruntime-node: ER_ORT_NODE_MODULES (scripts/setup-ort.sh DIR) or the
// normal Node resolution.
const path = require('path');

function loadOrt() {
  const tries = [];
  if (process.env.ER_ORT_NODE_MODULES) tries.push(path.join(process.env.ER_ORT_NODE_MODULES, 'onnxruntime-node'));
  tries.push('onnxruntime-node');
  for (const t of tries) {
    try { return require(t); } catch (e) { /* next */ }
  }
  process.stderr.write('ort_cpu_time.js: cannot load onnxruntime-node (set ER_ORT_NODE_MODULES)\n');
  process.exit(3);
}

async function main() {
  const model = process.argv[2];
  const runs = +(process.argv[3] || 40);
  if (!model) { process.stderr.write('usage: ort_cpu_time.js MODEL.onnx [RUNS]\n'); process.exit(2); }
  const ort = loadOrt();
  const s = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all'});
  const feed = {[s.inputNames[0]]: new ort.Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.5), [1, 3, 224, 224])};
  for (let i = 0; i < 5; i++) await s.run(feed);
  const t = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    await s.run(feed);
    const d = process.cpuUsage(c);
    t.push((d.user + d.system) / 1e3);
  }
  t.sort((a, b) => a - b);
  console.log(`${path.basename(model)}: ORT CPU time per run min ${t[0].toFixed(2)} ms, median ${t[t.length >> 1].toFixed(2)} ms`);
}
main().catch((e) => { process.stderr.write(String(e) + '\n'); process.exit(1); });
