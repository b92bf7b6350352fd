#!/usr/bin/env node
'use strict';
// ort_qdq.js - ONNX Runtime outputs for the int8 QDQ test (tests/int8/qdq_check.py).
//
// usage: node ort_qdq.js MANIFEST.json
//   MANIFEST: [{"model": PATH, "inputs": [NPY, ...], "outdir": DIR}, ...]
// Runs every model once (graph optimization "all", one thread, so ONNX Runtime
// applies its own QDQ fusions) and writes output k as DIR/ort_<k>.npy. Exit 3
// when onnxruntime-node cannot be loaded (from ER_ORT_NODE_MODULES or the
// normal Node resolution), 1 when a model fails.

const fs = require('fs');
const path = require('path');

const NPY_TYPES = {
  '<f4': ['float32', Float32Array], '|u1': ['uint8', Uint8Array], '|i1': ['int8', Int8Array],
  '<i4': ['int32', Int32Array], '<i8': ['int64', BigInt64Array],
};

function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.readUInt8(0) !== 0x93 || b.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not .npy`);
  const major = b.readUInt8(6);
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const off = major === 1 ? 10 : 12;
  const header = b.toString('latin1', off, off + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim())
    .filter((s) => s.length).map(Number);
  const t = NPY_TYPES[descr];
  if (!t) throw new Error(`${file}: dtype ${descr} not supported`);
  const start = off + hlen;
  const n = shape.reduce((a, c) => a * c, 1);
  const data = new t[1](b.buffer.slice(b.byteOffset + start, b.byteOffset + start + n * t[1].BYTES_PER_ELEMENT));
  return { type: t[0], dims: shape, data };
}

function writeNpy(file, tensor) {
  const entry = Object.entries(NPY_TYPES).find(([, v]) => v[0] === tensor.type);
  if (!entry) throw new Error(`output type ${tensor.type} not supported`);
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${entry[0]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const h = Buffer.alloc(10);
  h.writeUInt8(0x93, 0); h.write('NUMPY', 1, 'latin1'); h.writeUInt8(1, 6); h.writeUInt8(0, 7);
  h.writeUInt16LE(header.length, 8);
  const body = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  fs.writeFileSync(file, Buffer.concat([h, Buffer.from(header, 'latin1'), body]));
}

function loadOrt() {
  const tries = [];
  if (process.env.ER_ORT_NODE_MODULES) tries.push(path.join(process.env.ER_ORT_NODE_MODULES, 'onnxruntime-node'));
  tries.push('onnxruntime-node');
  for (const t of tries) {
    try { return require(t); } catch (e) { /* next */ }
  }
  process.stderr.write('ort_qdq.js: cannot load onnxruntime-node (set ER_ORT_NODE_MODULES)\n');
  process.exit(3);
}

async function main() {
  if (process.argv.length !== 3) {
    process.stderr.write('usage: ort_qdq.js MANIFEST.json\n');
    process.exit(2);
  }
  const ort = loadOrt();
  const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  let failed = 0;
  for (const c of cases) {
    try {
      const s = await ort.InferenceSession.create(c.model, {
        graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1,
        executionMode: 'sequential',
      });
      const feeds = {};
      s.inputNames.forEach((name, k) => {
        const t = readNpy(c.inputs[k]);
        feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      });
      const out = await s.run(feeds);
      s.outputNames.forEach((name, k) => writeNpy(path.join(c.outdir, `ort_${k}.npy`), out[name]));
    } catch (e) {
      process.stderr.write(`ort_qdq.js: ${c.model}: ${e.message}\n`);
      failed++;
    }
  }
  process.exit(failed ? 1 : 0);
}

main();
