#!/usr/bin/env node
'use strict';
// ort_run.js - reference outputs from ONNX Runtime (onnxruntime-node) for the models tier.
//
// usage: node tests/models/ort_run.js MODEL INPUT.npy [NAME=IN2.npy ...] OUTDIR [--threads N]
//
// Runs one inference with graph optimization level "all" and N intra-op threads
// (default 1, sequential execution) and writes each output as OUTDIR/<name>.npy, with
// the name sanitized exactly as `edgerun run` does (characters outside [A-Za-z0-9._-]
// become '_'). Inputs given without NAME= are bound in model input order. Prints one
// summary line per output and the session-run time.
//
// onnxruntime-node is found through the normal Node resolution, or in the
// node_modules folder named by ER_ORT_NODE_MODULES (see scripts/setup-ort.sh).

const fs = require('fs');
const path = require('path');
const { readNpy, writeNpy } = require('./npy.js');

function usage(code) {
  (code ? process.stderr : process.stdout).write(
    'usage: ort_run.js MODEL INPUT.npy [NAME=FILE.npy ...] OUTDIR [--threads N]\n');
  process.exit(code);
}

function loadOrt() {
  const tries = [];
  if (process.env.ER_ORT_NODE_MODULES) tries.push(path.join(process.env.ER_ORT_NODE_MODULES, 'onnxruntime-node'));
  tries.push('onnxruntime-node');
  const errors = [];
  for (const t of tries) {
    try { return require(t); } catch (e) { errors.push(`${t}: ${e.message.split('\n')[0]}`); }
  }
  process.stderr.write('ort_run.js: cannot load onnxruntime-node (set ER_ORT_NODE_MODULES to its ' +
    'node_modules folder, or run scripts/setup-ort.sh DIR)\n  ' + errors.join('\n  ') + '\n');
  process.exit(3);
}

function sanitize(name) {
  let s = name.replace(/[^A-Za-z0-9._-]/g, '_');
  if (s === '' || s === '.' || s === '..') s = 'output';
  return s;
}

function summary(t) {
  const n = t.data.length;
  let line = `${t.type} [${t.dims.join(',')}]`;
  if (n && typeof t.data[0] === 'number') {
    let mn = Infinity; let mx = -Infinity; let sum = 0;
    for (let i = 0; i < n; i++) { const v = t.data[i]; if (v < mn) mn = v; if (v > mx) mx = v; sum += v; }
    line += ` min ${mn.toPrecision(6)} max ${mx.toPrecision(6)} mean ${(sum / n).toPrecision(6)}`;
  }
  return line;
}

async function main() {
  const args = process.argv.slice(2);
  let threads = 1;
  const pos = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-h' || args[i] === '--help') usage(0);
    else if (args[i] === '--threads' && i + 1 < args.length) {
      threads = Number(args[++i]);
      if (!Number.isInteger(threads) || threads < 1) { process.stderr.write('ort_run.js: bad --threads\n'); process.exit(2); }
    } else if (args[i].startsWith('--')) { process.stderr.write(`ort_run.js: unknown option ${args[i]}\n`); usage(2); }
    else pos.push(args[i]);
  }
  if (pos.length < 3) usage(2);
  const modelPath = pos[0];
  const outDir = pos[pos.length - 1];
  const inSpecs = pos.slice(1, -1);

  const ort = loadOrt();
  const session = await ort.InferenceSession.create(modelPath, {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });

  const feeds = {};
  let next = 0;
  for (const spec of inSpecs) {
    const eq = spec.indexOf('=');
    let name;
    let file;
    if (eq > 0 && !fs.existsSync(spec)) { name = spec.slice(0, eq); file = spec.slice(eq + 1); } else {
      while (next < session.inputNames.length && session.inputNames[next] in feeds) next++;
      if (next >= session.inputNames.length) throw new Error(`more inputs given than the model has (${session.inputNames.length})`);
      name = session.inputNames[next]; file = spec;
    }
    if (!session.inputNames.includes(name)) throw new Error(`the model has no input named '${name}' (inputs: ${session.inputNames.join(', ')})`);
    const a = readNpy(file);
    feeds[name] = new ort.Tensor(a.type, a.data, a.dims);
  }
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length) throw new Error(`no data given for input(s): ${missing.join(', ')}`);

  const t0 = process.hrtime.bigint();
  const results = await session.run(feeds);
  const runMs = Number(process.hrtime.bigint() - t0) / 1e6;

  fs.mkdirSync(outDir, { recursive: true });
  const used = new Set();
  for (const name of session.outputNames) {
    const t = results[name];
    let file = sanitize(name);
    if (used.has(file)) throw new Error(`outputs '${name}' and another map to the same file name '${file}.npy'`);
    used.add(file);
    let data = t.data;
    if (t.type === 'bool') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
    writeNpy(path.join(outDir, `${file}.npy`), t.type, t.dims.map(Number), data);
    console.log(`${name}: ${summary(t)}`);
  }
  console.log(`ort ${ort.env.versions ? ort.env.versions.common : ''} run: ${runMs.toFixed(1)} ms, ${threads} thread(s)`);
  if (session.release) await session.release();
}

main().catch((e) => {
  process.stderr.write(`ort_run.js: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
