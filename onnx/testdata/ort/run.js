// run.js runs an ONNX model exported by rakam in onnxruntime (CPU) on a
// batch of MNIST images and writes the model's outputs, so that rakam's Go
// tests can compare them with rakam's own forward pass.
//
// Usage: node run.js MODEL.onnx INPUT.f32 N OUTPUT.f32 [BATCH]
//
// INPUT.f32 holds N images of 1x28x28 float32 pixels in 0..1, little-endian,
// image after image. OUTPUT.f32 receives N rows of the model's "probabilities"
// output (float32, little-endian). The model is run on batches of BATCH
// images (default 500), which also exercises the dynamic batch dimension.
// One line of JSON on stdout describes the session.
'use strict';

const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, inPath, nArg, outPath, batchArg] = process.argv.slice(2);
  if (!outPath) {
    throw new Error('usage: node run.js MODEL.onnx INPUT.f32 N OUTPUT.f32 [BATCH]');
  }
  const n = Number(nArg);
  const batch = Number(batchArg || 500);
  const per = 28 * 28;
  const buf = fs.readFileSync(inPath);
  if (!Number.isInteger(n) || n <= 0 || buf.length !== n * per * 4) {
    throw new Error(`${inPath}: ${buf.length} bytes; want ${n} images of ${per} float32 values`);
  }
  const pixels = new Float32Array(n * per);
  for (let i = 0; i < pixels.length; i++) pixels[i] = buf.readFloatLE(4 * i);

  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
  });
  if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
    throw new Error(`want one input and one output; have ${session.inputNames} -> ${session.outputNames}`);
  }
  const inName = session.inputNames[0];
  const outName = session.outputNames[0];

  let out = null;
  let classes = 0;
  for (let start = 0; start < n; start += batch) {
    const b = Math.min(batch, n - start);
    const x = new ort.Tensor('float32', pixels.subarray(start * per, (start + b) * per), [b, 1, 28, 28]);
    const res = await session.run({ [inName]: x });
    const y = res[outName];
    if (y.dims.length !== 2 || y.dims[0] !== b) {
      throw new Error(`output ${outName} has shape [${y.dims}]; want [${b}, classes]`);
    }
    if (out === null) {
      classes = y.dims[1];
      out = Buffer.alloc(n * classes * 4);
    }
    for (let i = 0; i < y.data.length; i++) out.writeFloatLE(y.data[i], 4 * (start * classes + i));
  }
  fs.writeFileSync(outPath, out);
  console.log(JSON.stringify({
    onnxruntime: ort.env.versions.node,
    input: inName,
    output: outName,
    images: n,
    classes: classes,
  }));
}

main().catch((err) => {
  console.error(`run.js: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
