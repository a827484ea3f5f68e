package train

import (
	"math"
	"testing"

	"github.com/rakam-ml/rakam/nn"
)

// TestEvalBatchSameBits requires Predict to give the same probabilities,
// bit for bit, whatever the batch size: each image's arithmetic is its own
// (GEMM's blocking depends on the inner dimension only, batch norm uses its
// running statistics in eval mode, conv chunks split whole images), so a
// caller may pick the batch for memory alone.
func TestEvalBatchSameBits(t *testing.T) {
	spec := nn.Spec{Input: []int{1, 28, 28}, Layers: []nn.LayerSpec{
		{Kind: "Conv2D", Filters: 8, Kernel: 3, Pad: 1}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "MaxPool2D", Kernel: 2},
		{Kind: "Conv2D", Filters: 12, Kernel: 5}, {Kind: "MaxPool2D", Kernel: 2}, {Kind: "ReLU"},
		{Kind: "Flatten"}, {Kind: "Dense", Units: 32}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "Dropout", Rate: 0.3},
		{Kind: "Dense", Units: 10},
	}}
	m, err := nn.Build(spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	set := synthetic(300, 4)
	// Batch-norm statistics other than the initial ones.
	for _, p := range m.State() {
		for i := range p.Value.Data {
			p.Value.Data[i] += float32(i%7) * 0.1
		}
	}
	want, err := Predict(m, set, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 7, 64, 250} {
		got, err := Predict(m, set, batch)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("batch %d: probability %d = %v; batch 1000 gives %v", batch, i, got[i], want[i])
			}
		}
	}
}
