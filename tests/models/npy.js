'use strict';
// npy.js - minimal NumPy .npy reader/writer (format versions 1.0-3.0, C order only).
//
// A .npy file is the magic "\x93NUMPY", a major/minor version byte pair, a little-endian
// header length (u16 for v1, u32 for v2/v3), then an ASCII Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), } padded with spaces and a
// final '\n' so that the data starts at a multiple of 64 bytes, then the raw elements.
// Big-endian data and Fortran order are rejected rather than silently transposed.

const fs = require('fs');

// descr (without the byte-order char) -> [ONNX Runtime tensor type, TypedArray]
const DTYPES = {
  f4: ['float32', Float32Array],
  f8: ['float64', Float64Array],
  f2: ['float16', Uint16Array],
  i1: ['int8', Int8Array],
  u1: ['uint8', Uint8Array],
  i2: ['int16', Int16Array],
  u2: ['uint16', Uint16Array],
  i4: ['int32', Int32Array],
  u4: ['uint32', Uint32Array],
  i8: ['int64', BigInt64Array],
  u8: ['uint64', BigUint64Array],
  b1: ['bool', Uint8Array],
};
const TYPE_TO_DESCR = {};
for (const [d, [t]] of Object.entries(DTYPES)) TYPE_TO_DESCR[t] = d;

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

function parseHeader(text, path) {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw new Error(`${path}: malformed .npy header: ${text}`);
  if (fortran[1] === 'True') throw new Error(`${path}: Fortran-order arrays are not supported`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map((s) => {
    if (!/^\d+$/.test(s)) throw new Error(`${path}: bad dimension '${s}' in shape`);
    return Number(s);
  });
  let d = descr[1];
  let order = '<';
  if ('<>|='.includes(d[0])) { order = d[0]; d = d.slice(1); }
  if (d === '?') d = 'b1';
  if (!(d in DTYPES)) throw new Error(`${path}: unsupported dtype '${descr[1]}'`);
  const size = Number(d.slice(1));
  if (order === '>' && size > 1) throw new Error(`${path}: big-endian data is not supported`);
  return { key: d, dims };
}

// readNpy(path) -> { type: 'float32'|..., dims: [..], data: TypedArray }
function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  let hlen;
  let off;
  if (major === 1) { hlen = buf.readUInt16LE(8); off = 10; } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new Error(`${path}: truncated header`);
    hlen = buf.readUInt32LE(8); off = 12;
  } else throw new Error(`${path}: unsupported .npy version ${major}`);
  if (off + hlen > buf.length) throw new Error(`${path}: truncated header`);
  const { key, dims } = parseHeader(buf.toString(major === 3 ? 'utf8' : 'latin1', off, off + hlen), path);
  const [type, Arr] = DTYPES[key];
  const count = dims.reduce((a, b) => a * b, 1);
  const start = off + hlen;
  const nbytes = count * Arr.BYTES_PER_ELEMENT;
  if (start + nbytes > buf.length) {
    throw new Error(`${path}: ${buf.length - start} data bytes, shape [${dims}] needs ${nbytes}`);
  }
  // copy into a fresh, aligned ArrayBuffer (the file's data offset need not be aligned)
  const ab = new ArrayBuffer(nbytes);
  new Uint8Array(ab).set(buf.subarray(start, start + nbytes));
  let data = new Arr(ab);
  if (type === 'bool') data = new Uint8Array(ab); // ORT takes bool as Uint8Array
  return { type, dims, data };
}

// writeNpy(path, type, dims, data): type is an ONNX Runtime tensor type name.
function writeNpy(path, type, dims, data) {
  const key = TYPE_TO_DESCR[type];
  if (!key) throw new Error(`${path}: cannot write tensor type '${type}'`);
  const descr = key === 'b1' ? '|b1' : (key[1] === '1' ? '|' : '<') + key;
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre, 0);
  pre[6] = 1; pre[7] = 0;
  if (header.length > 0xffff) throw new Error(`${path}: header too long`);
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(path, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

module.exports = { readNpy, writeNpy };
