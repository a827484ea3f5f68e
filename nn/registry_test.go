package nn

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// everyKind uses every layer kind and every LayerSpec field.
var everyKind = []Spec{
	{Input: []int{1, 12, 12}, Layers: []LayerSpec{
		{Kind: "Conv2D", Filters: 3, Kernel: 3, Stride: 2, Pad: 1, Init: "glorot"}, {Kind: "BatchNorm", Eps: 1e-3, Momentum: 0.01},
		{Kind: "LeakyReLU", Alpha: 0.2}, {Kind: "MaxPool2D", Kernel: 3, Stride: 1}, {Kind: "GELU"},
		{Kind: "Conv2D", Filters: 2, Kernel: 2}, {Kind: "ReLU"}, {Kind: "MaxPool2D"}, {Kind: "Flatten"},
		{Kind: "Dense", Units: 5, Init: "small"}, {Kind: "Tanh"}, {Kind: "Dropout", Rate: 0.3},
		{Kind: "Dense", Units: 4, Init: "he"}, {Kind: "BatchNorm"}, {Kind: "Sigmoid"}, {Kind: "Dense", Units: 3},
	}},
	smallCNN,
	{Input: []int{6}, Layers: []LayerSpec{{Kind: "Dense", Units: 4}, {Kind: "LeakyReLU"}, {Kind: "Dense", Units: 2}}},
}

// fillWeights overwrites every saved value of m with one that depends only
// on its position, so a file's bytes do not depend on how the initialisers
// round on this CPU.
func fillWeights(m *Sequential) {
	for k, p := range m.Tensors() {
		for j := range p.Value.Data {
			p.Value.Data[j] = float32((j*7+k*13)%101+1) / 101
		}
	}
}

// TestModelFilesUnchanged pins the bytes of saved models of every layer
// kind: the tensor names, their order and shapes and the spec in the
// metadata must not change, or files written before would no longer match
// what this version writes. The hashes were taken before the layer
// registry replaced the switches of spec.go.
func TestModelFilesUnchanged(t *testing.T) {
	want := []string{
		"b762e47b82d522bada2271818a498e1fc3d9a587e8577377dc4f473119b86773",
		"7f161906d73cdfc38e5ea1f2daa2284457d4e2f7719d516bbf68a939d0757de0",
		"15368ddcfd6ccfc4585ea24e87c979732bddabefe0eee50cf1683f7e5ce37c5b",
	}
	for i, s := range everyKind {
		m, err := Build(s, 7)
		if err != nil {
			t.Fatalf("Build(everyKind[%d]): %v", i, err)
		}
		fillWeights(m)
		var b bytes.Buffer
		if err := Encode(&b, m, map[string]string{MetaVersion: "test"}); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b.Bytes())
		if got := hex.EncodeToString(sum[:]); got != want[i] {
			t.Errorf("everyKind[%d]: saved file has SHA-256 %s; want %s", i, got, want[i])
		}
		m2, _, err := Decode(bytes.NewReader(b.Bytes()), int64(b.Len()))
		if err != nil {
			t.Fatalf("Decode(everyKind[%d]): %v", i, err)
		}
		var b2 bytes.Buffer
		if err := Encode(&b2, m2, map[string]string{MetaVersion: "test"}); err != nil || !bytes.Equal(b.Bytes(), b2.Bytes()) {
			t.Errorf("everyKind[%d]: a decoded file encodes to other bytes (%v)", i, err)
		}
	}
}
