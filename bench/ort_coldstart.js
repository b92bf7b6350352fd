#!/usr/bin/env node
'use strict';
// ort_coldstart.js - ONNX Runtime's cold start for bench/coldstart.sh.
//
// usage: node bench/ort_coldstart.js MODEL [--threads N]
//
// Times, in this fresh process: InferenceSession.create (reads and parses
// the file, optimizes the graph: level "all", CPU provider, sequential,
// intraOpNumThreads = N, interOp 1) and the first run on seeded uniform
// [0,1) float32 inputs of the declared shape (symbolic dims = 1). Loading
// the onnxruntime-node module itself is timed separately (require_ms) and is
// not part of the cold start compared. Prints one JSON object.
const path = require('path');

const t_req0 = performance.now();
function loadOrt() {
  const tries = [];
  if (process.env.ER_ORT_NODE_MODULES) tries.push(path.join(process.env.ER_ORT_NODE_MODULES, 'onnxruntime-node'));
  tries.push('/tmp/ort/node_modules/onnxruntime-node', 'onnxruntime-node');
  for (const t of tries) { try { return require(t); } catch (e) { /* next */ } }
  process.stderr.write('ort_coldstart.js: cannot load onnxruntime-node (set ER_ORT_NODE_MODULES)\n');
  process.exit(3);
}
const ort = loadOrt();
const t_req1 = performance.now();

async function main() {
  const args = process.argv.slice(2);
  let threads = 1, model = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--threads') threads = Number(args[++i]);
    else model = args[i];
  }
  if (!model) { process.stderr.write('usage: ort_coldstart.js MODEL [--threads N]\n'); process.exit(2); }
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
    const dims = (meta && meta.shape ? meta.shape : [1]).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rnd();
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  const t2 = performance.now();
  await sess.run(feeds);
  const t3 = performance.now();
  process.stdout.write(JSON.stringify({
    model, threads, require_ms: t_req1 - t_req0, session_ms: t1 - t0, first_run_ms: t3 - t2,
    cold_ms: (t1 - t0) + (t3 - t2),
  }) + '\n');
}
main().catch((e) => { process.stderr.write(String(e) + '\n'); process.exit(1); });
