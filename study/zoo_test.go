package study

import (
	"slices"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/tensor"
)

func TestZoo(t *testing.T) {
	const mlp = 784*128 + 128 + 128*10 + 10 // 101,770
	want := map[string]struct{ params, state int }{
		"scratch-net":   {mlp, 0},
		"baseline-adam": {mlp, 0},
		"baseline-sgd":  {mlp, 0},
		"dropout":       {mlp, 0},
		"batchnorm":     {mlp + 2*128, 2 * 128},
		"advanced":      {784*128 + 128 + 2*128 + 128*64 + 64 + 2*64 + 64*10 + 10, 2*128 + 2*64},
		// conv 1→16 3x3, BN 16, conv 16→32 3x3, BN 32, conv 32→64 3x3, BN 64,
		// dense 64·3·3→128, BN 128, dense 128→10
		"cnn": {16*9 + 16 + 2*16 + 32*16*9 + 32 + 2*32 + 64*32*9 + 64 + 2*64 + 64*3*3*128 + 128 + 2*128 + 128*10 + 10, 2 * (16 + 32 + 64 + 128)},
		// conv 1→24 5x5 (28→24, pooled to 12), BN 24, conv 24→32 3x3 (12→10,
		// pooled to 5), BN 32, dense 32·5·5→256, dense 256→10
		"cnn-fast": {20*25 + 20 + 2*20 + 32*20*9 + 32 + 2*32 + 32*5*5*256 + 256 + 256*10 + 10, 2 * (20 + 32)},
		// the cnn, fine-tuned
		"cnn-real": {16*9 + 16 + 2*16 + 32*16*9 + 32 + 2*32 + 64*32*9 + 64 + 2*64 + 64*3*3*128 + 128 + 2*128 + 128*10 + 10, 2 * (16 + 32 + 64 + 128)},
	}
	zoo := Zoo()
	if len(zoo) != len(want) {
		t.Errorf("Zoo() has %d entries; want %d", len(zoo), len(want))
	}
	seen := map[string]bool{}
	for _, e := range zoo {
		t.Run(e.Name, func(t *testing.T) {
			if seen[e.Name] {
				t.Fatalf("name %q twice", e.Name)
			}
			seen[e.Name] = true
			w, ok := want[e.Name]
			if !ok {
				t.Fatalf("unexpected zoo entry %q", e.Name)
			}
			m, err := nn.Build(e.Spec, 1)
			if err != nil {
				t.Fatalf("Build(%s): %v", e.Name, err)
			}
			if got := m.OutputShape(); len(got) != 1 || got[0] != 10 {
				t.Errorf("OutputShape() = %v; want [10]", got)
			}
			if got := m.NumParams(); got != w.params {
				t.Errorf("NumParams() = %d; want %d", got, w.params)
			}
			if got := m.NumState(); got != w.state {
				t.Errorf("NumState() = %d; want %d", got, w.state)
			}
			if _, err := optim.ParseSchedule(e.Schedule); err != nil {
				t.Errorf("schedule %q: %v", e.Schedule, err)
			}
			if _, err := optim.ByName(e.Optimizer, e.LR); err != nil {
				t.Errorf("optimizer %q, lr %g: %v", e.Optimizer, e.LR, err)
			}
			if e.Batch < 1 || e.Epochs < 1 || e.Description == "" || e.Regularization == "" {
				t.Errorf("incomplete entry %+v", e)
			}
			// A batch of MNIST-shaped rows goes through forward and backward.
			x := tensor.New(3, 784)
			for i := range x.Data {
				x.Data[i] = float32(i%255) / 255
			}
			y := m.Forward(x, true)
			if y.Shape[0] != 3 || y.Shape[1] != 10 {
				t.Fatalf("Forward: logits %v; want [3 10]", y.Shape)
			}
			var loss nn.SoftmaxCrossEntropy
			_, g, err := loss.Forward(y, []uint8{0, 5, 9})
			if err != nil {
				t.Fatal(err)
			}
			m.Backward(g)
			got, err := ZooByName(e.Name)
			if err != nil || got.Name != e.Name {
				t.Errorf("ZooByName(%q) = %v, %v", e.Name, got.Name, err)
			}
			if e.Init != "" { // it fine-tunes a model of the study with its architecture
				plan, _ := CompareConfig{Seed: 1}.plan()
				i := slices.IndexFunc(plan, func(r Recipe) bool { return r.Name == e.Init })
				if i < 0 || string(plan[i].Spec.JSON()) != string(e.Spec.JSON()) {
					t.Errorf("%s fine-tunes %q: want a recipe of the study with the same architecture", e.Name, e.Init)
				}
			}
		})
	}
	// The cnn must stay cheap enough for the study's CPU budget.
	cnn, _ := ZooByName("cnn")
	m, _ := nn.Build(cnn.Spec, 1)
	if f := m.FLOPs(); f > 5_000_000 {
		t.Errorf("cnn forward FLOPs/image = %d; want at most 5M", f)
	}
}

func TestZooByNameUnknown(t *testing.T) {
	_, err := ZooByName("resnet")
	if err == nil || !strings.Contains(err.Error(), "baseline-adam") || !strings.Contains(err.Error(), `"resnet"`) {
		t.Errorf(`ZooByName("resnet") = %v; want an error naming it and listing the zoo`, err)
	}
}

func TestZooReturnsFreshValues(t *testing.T) {
	a := Zoo()
	a[0].Spec.Layers[0].Units = 1
	if b := Zoo(); b[0].Spec.Layers[0].Units == 1 {
		t.Error("modifying one Zoo() result changed another")
	}
}
