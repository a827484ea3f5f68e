package onnx_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/onnx"
)

// TestExportUnchanged pins the bytes of the export of every test model
// (every layer kind; the zoo, a strided convolution into a Dense, a 2-D
// input), with weights that depend only on their position so the bytes do
// not depend on how the initialisers round on this CPU. The hashes were
// taken before the layer mappings moved from a switch in export.go to a
// table keyed by kind: files exported before and after are the same. (A
// change to a zoo entry's spec changes its hash by design: take the new one
// then, after checking that only that entry's hash moved.)
func TestExportUnchanged(t *testing.T) {
	want := map[string]string{
		"scratch-net":           "9a958adb21de3432391c2a77f3aba6c3d07584a96400346440b5ac1ba375fdd3",
		"baseline-adam":         "c589f7141e38e207cad4673c2324ccb741cfadc18ab2a8406b4bdef677733101",
		"baseline-sgd":          "6244f477838eaef7aac0964ed2e065af52279ed1aeddc3fcc6ce3d49ecd66003",
		"dropout":               "3563f72c7bfdb7d8c2c30ece4c79be5b95b60c72151fdeb22e1129acaadbcaea",
		"batchnorm":             "f95da29fbcd8bed4dfbc7cd039d5e1154a8dcd1b94a1350fa010e5ea2cfc3a44",
		"advanced":              "c44f8a43592e4993ba2d4a6cc0170bdfc8947731160901cd06f3eebb0f34aa6c",
		"cnn":                   "7ffe5c636a3819e4cb949cd44d5963ac892f10003e019a04b0663328dcd7911a",
		"cnn-fast":              "e98561fadc6d9c0668abff29f9dfed546009aaf55af38435f42fbd6f22be5c62",
		"cnn-real":              "0363a6524ee75adb68adf7617e926bb541eb654f78d39417c30e1c285a9dbd9e", // the cnn's graph, its own name
		"activations":           "796dc4fdf058e594eda5a2d6f95c6a76a1dac7d565cfcaf064a335b6098db6bf",
		"strided-conv-to-dense": "96cee13af4087799b27e0e09f878100dcb004038f1b2a86aa16618b9c6cbb6ef",
		"untrained-2d-input":    "583df4d55b480a53729dd9fc41b8d700ba4d7a6521c9d56b6aec2f84f484f4f8",
	}
	for _, tm := range testModels() {
		m, err := nn.Build(tm.spec, 1)
		if err != nil {
			t.Fatalf("%s: %v", tm.name, err)
		}
		for k, p := range m.Tensors() {
			for j := range p.Value.Data {
				p.Value.Data[j] = float32((j*7+k*13)%101+1) / 101
			}
		}
		b, err := onnx.Marshal(m, onnx.Options{DocString: "pinned", ProducerVersion: "test", Metadata: map[string]string{"rakam.name": tm.name}})
		if err != nil {
			t.Fatalf("%s: Marshal: %v", tm.name, err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != want[tm.name] {
			t.Errorf("%s: export has SHA-256 %s; want %s", tm.name, got, want[tm.name])
		}
	}
}
