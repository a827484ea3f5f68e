package nn

import "testing"

func TestMaxBatch(t *testing.T) {
	mlp, err := Build(Spec{Input: []int{784}, Layers: []LayerSpec{{Kind: "Dense", Units: 128}, {Kind: "ReLU"}, {Kind: "Dense", Units: 10}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	// 784 input + 128 + 128 + 10 outputs.
	if got, want := mlp.ValuesPerExample(), 784+128+128+10; got != want { // no convolution
		t.Errorf("ValuesPerExample() = %d; want %d", got, want)
	}
	if got := mlp.MaxBatch(1000, ActivationBudget); got != 1000 {
		t.Errorf("MaxBatch(1000) = %d; want 1000", got)
	}
	if got := mlp.MaxBatch(1000, 1050*10); got != 10 {
		t.Errorf("MaxBatch(1000, budget of 10 examples) = %d; want 10", got)
	}
	if got := mlp.MaxBatch(1000, 1); got != 1 {
		t.Errorf("MaxBatch with a tiny budget = %d; want 1", got)
	}
	wide, err := Build(Spec{Input: []int{1, 28, 28}, Layers: []LayerSpec{{Kind: "Conv2D", Filters: 20000, Kernel: 1}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := wide.MaxBatch(1000, ActivationBudget); got >= 1000 || got < 1 {
		t.Errorf("MaxBatch of a 20000-channel conv = %d; want a small batch", got)
	}
}
