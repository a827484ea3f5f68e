package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/tensor"
)

// TestFusedSameBits runs each model fused (as Build makes it) and unfused
// (every layer on its own) on the same batch and checks that the outputs,
// every parameter gradient and the input gradient agree bit for bit, in
// training and in evaluation. The inputs are small integers and their
// negatives, zeros of both signs and a few halves: windows with ties, with
// only non-positive values, with −0. Each model runs three ways: as built
// (the convolution and batch norm pairs exchange yc in training), with
// batches cut into chunks (the pairs run apart) and with the first
// convolution on the direct path (that pair runs apart).
func TestFusedSameBits(t *testing.T) {
	for _, way := range []string{"built", "chunks", "direct"} {
		t.Run(way, func(t *testing.T) {
			switch way {
			case "chunks":
				defer func(b int) { colBudget = b }(colBudget)
				colBudget = 1 // one example per chunk
			case "direct":
				defer func(d bool) { directDefault = d }(directDefault)
				directDefault = true
			}
			testFusedSameBits(t, way != "chunks")
		})
	}
}

// testFusedSameBits is TestFusedSameBits for one way; exchange says
// whether the convolution and batch norm pairs exchange yc in training
// (those whose convolution runs on the direct path never do).
func testFusedSameBits(t *testing.T, exchange bool) {
	conv := func(f, k, pad int) LayerSpec { return LayerSpec{Kind: "Conv2D", Filters: f, Kernel: k, Pad: pad} }
	relu, bn, flat := LayerSpec{Kind: "ReLU"}, LayerSpec{Kind: "BatchNorm"}, LayerSpec{Kind: "Flatten"}
	pool := func(k, s int) LayerSpec { return LayerSpec{Kind: "MaxPool2D", Kernel: k, Stride: s} }
	specs := []Spec{
		benchSpecs[2].spec, // ReLU then pool, three times
		fastSpec,           // pool then ReLU
		{Input: []int{1, 28, 28}, Layers: []LayerSpec{relu, pool(2, 2), conv(4, 3, 0), pool(3, 2), relu, bn, flat, {Kind: "Dense", Units: 10}}},
		{Input: []int{2, 9, 9}, Layers: []LayerSpec{pool(3, 1), relu, relu, pool(2, 1), flat, {Kind: "Dense", Units: 3}}},
		// Pools with a 3×3 window (the general path) and a 2×2 one over
		// 13-pixel rows (odd width, short rows).
		{Input: []int{1, 13, 13}, Layers: []LayerSpec{conv(3, 3, 1), bn, pool(3, 2), relu, conv(5, 3, 1), bn, relu, pool(2, 2), flat, {Kind: "Dense", Units: 4}}},
	}
	wantPairs := []int{3, 0, 0, 0, 2}
	for si, spec := range specs {
		t.Run(fmt.Sprint(si), func(t *testing.T) {
			fused, err := Build(spec, 7)
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := Build(spec, 7)
			plain.unfuse()
			if n := count(fused.folded); n == 0 {
				t.Fatal("nothing was fused")
			}
			rng := rand.New(rand.NewPCG(uint64(si), 9))
			// Biases that are not zero (the fused batch norm adds the
			// convolution's), the same in both models.
			pf, pp := fused.Params(), plain.Params()
			for i, p := range pf {
				if strings.HasSuffix(p.Name, ".bias") {
					for j := range p.Value.Data {
						p.Value.Data[j] = 3 * (2*rng.Float32() - 1)
					}
					copy(pp[i].Value.Data, p.Value.Data)
				}
			}
			x := tensor.New(6, prod(spec.Input))
			for i := range x.Data {
				switch rng.IntN(6) {
				case 0:
					x.Data[i] = 0
				case 1:
					x.Data[i] = float32(math.Copysign(0, -1))
				case 2:
					x.Data[i] = float32(rng.IntN(5)) / 2
				default:
					x.Data[i] = float32(rng.IntN(7) - 4)
				}
			}
			for _, train := range []bool{true, false} {
				yf, yp := fused.Forward(x, train), plain.Forward(x, train)
				sameBits(t, fmt.Sprintf("output (train=%v)", train), yf.Data, yp.Data)
			}
			fused.Forward(x, true)
			plain.Forward(x, true)
			pairs := 0
			for _, l := range fused.Layers {
				if c, ok := l.(*Conv2D); ok && c.bn != nil {
					pairs++
					if want := exchange && !c.direct; c.ycOut != want || c.bn.fromConv != want {
						t.Fatalf("conv %d→%d: exchanged %v (batch norm %v), want %v", c.InC, c.OutC, c.ycOut, c.bn.fromConv, want)
					}
				}
			}
			dy := randTensor(rng, 6, prod(fused.OutputShape()))
			dxf := fused.BackwardInput(dy).Data
			dxp := plain.BackwardInput(dy).Data
			for _, l := range fused.Layers {
				if c, ok := l.(*Conv2D); ok && c.dycIn {
					t.Fatalf("conv %d→%d: dycIn left set after Backward", c.InC, c.OutC)
				}
			}
			if pairs != wantPairs[si] {
				t.Fatalf("%d convolution and batch norm pairs, want %d", pairs, wantPairs[si])
			}
			sameBits(t, "input gradient", dxf, dxp)
			for i := range pf {
				sameBits(t, pf[i].Name+" gradient", pf[i].Grad.Data, pp[i].Grad.Data)
			}
		})
	}
}

// TestFusePlan checks which layers fuse: a ReLU on either side of a
// MaxPool2D, one per pool, nothing else.
func TestFusePlan(t *testing.T) {
	l := func(kinds ...string) Spec {
		s := Spec{Input: []int{1, 8, 8}}
		for _, k := range kinds {
			s.Layers = append(s.Layers, LayerSpec{Kind: k})
		}
		return s
	}
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{l("ReLU", "MaxPool2D", "ReLU"), "[true false false]"},
		{l("MaxPool2D", "ReLU", "ReLU"), "[false true false]"},
		{l("ReLU", "ReLU", "MaxPool2D"), "[false true false]"},
		{l("BatchNorm", "ReLU", "Flatten"), "[false false false]"},
		{l("MaxPool2D", "BatchNorm", "ReLU"), "[false false false]"},
		{l("BatchNorm", "ReLU", "MaxPool2D"), "[false true false]"},
		{l("BatchNorm", "MaxPool2D", "ReLU"), "[false false true]"},
		{Spec{Input: []int{8}, Layers: []LayerSpec{{Kind: "BatchNorm"}, {Kind: "ReLU"}}}, "[false false]"},
	} {
		m, err := Build(c.spec, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(m.folded); got != c.want {
			t.Errorf("%v: folded %s, want %s", c.spec.Layers, got, c.want)
		}
	}
}

func count(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %v (%#x), unfused %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}
