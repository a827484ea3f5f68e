package nn

import (
	"slices"
	"testing"

	"github.com/rakam-ml/rakam/tensor"
)

func TestBuildChainsShapes(t *testing.T) {
	tests := []struct {
		name   string
		spec   Spec
		out    []int
		params int
	}{
		{"mlp", Spec{Input: []int{784}, Layers: []LayerSpec{{Kind: "Dense", Units: 128}, {Kind: "ReLU"}, {Kind: "Dense", Units: 10}}}, []int{10}, 784*128 + 128 + 128*10 + 10},
		{"cnn", Spec{Input: []int{1, 28, 28}, Layers: []LayerSpec{
			{Kind: "Conv2D", Filters: 8, Kernel: 3, Pad: 1}, {Kind: "BatchNorm"}, {Kind: "ReLU"},
			{Kind: "MaxPool2D"}, {Kind: "Conv2D", Filters: 4, Kernel: 3, Stride: 2}, {Kind: "Flatten"},
			{Kind: "Dropout", Rate: 0.5}, {Kind: "Dense", Units: 10},
		}}, []int{10}, (8*9 + 8) + 2*8 + (4*8*9 + 4) + (4*6*6*10 + 10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Build(tc.spec, 1)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if got := m.OutputShape(); !slices.Equal(got, tc.out) {
				t.Errorf("OutputShape() = %v; want %v", got, tc.out)
			}
			if got := m.NumParams(); got != tc.params {
				t.Errorf("NumParams() = %d; want %d", got, tc.params)
			}
			x := tensor.New(3, 784)
			for i := range x.Data {
				x.Data[i] = float32(i%7) / 7
			}
			y := m.Forward(x, true)
			if !slices.Equal(y.Shape, []int{3, 10}) {
				t.Fatalf("Forward shape %v; want [3 10]", y.Shape)
			}
			var loss SoftmaxCrossEntropy
			if _, dy, err := loss.Forward(y, []uint8{1, 2, 3}); err != nil {
				t.Fatal(err)
			} else {
				m.Backward(dy)
			}
		})
	}
}
