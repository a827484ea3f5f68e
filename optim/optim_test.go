package optim

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

func one(v, g float32) []Param {
	return []Param{{Name: "w", Value: []float32{v}, Grad: []float32{g}}}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestStepHandComputed checks each optimiser against values worked out by
// hand from its update rule (noted beside each case) for p = 1 and
// gradients 0.5 then −0.25 (or 0.5 twice), lr = 0.1.
func TestStepHandComputed(t *testing.T) {
	tests := []struct {
		name  string
		opt   string
		opts  []Option
		grads []float32
		want  []float64 // p after each step
	}{
		// p ← 1 − 0.1·0.5 = 0.95; 0.95 − 0.1·0.5 = 0.9
		{"sgd", "sgd", nil, []float32{0.5, 0.5}, []float64{0.95, 0.9}},
		// g' = 0.5 + 0.1·1 = 0.6 → p = 0.94; g' = 0.5 + 0.094 = 0.594 → 0.8806
		{"sgd+decay", "sgd", []Option{WeightDecay(0.1)}, []float32{0.5, 0.5}, []float64{0.94, 0.8806}},
		// b = 0.5, p = 0.95; b = 0.45 + 0.5 = 0.95, p = 0.95 − 0.095 = 0.855
		{"momentum", "momentum", nil, []float32{0.5, 0.5}, []float64{0.95, 0.855}},
		// b = 0.5, d = 0.5 + 0.45 = 0.95, p = 0.905; b = 0.95, d = 0.5 + 0.855 = 1.355, p = 0.7695
		{"nesterov", "nesterov", nil, []float32{0.5, 0.5}, []float64{0.905, 0.7695}},
		// m = 0.05, v = 0.00025, α = 0.1·√0.001/0.1 = 0.0316228, step = α·0.05/(0.0158114+1e-7) = 0.0999994;
		// m = 0.02, v = 0.00031225, α = 0.1·√0.001999/0.19 = 0.0235317, step = 0.0266336
		{"adam", "adam", nil, []float32{0.5, -0.25}, []float64{0.9000006324515321, 0.8733670792079219}},
		// g' = 0.5 + 0.1 = 0.6: m = 0.06, v = 0.00036, step = α·0.06/(0.0189737+1e-7) = 0.0999995
		{"adam+L2", "adam", []Option{WeightDecay(0.1)}, []float32{0.5}, []float64{0.900000527043499}},
		// p ← p·(1 − 0.1·0.01) = 0.999 first, then the Adam step
		{"adamw", "adamw", []Option{WeightDecay(0.01)}, []float32{0.5, -0.25}, []float64{0.8990006324515321, 0.8714680785754704}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := ByName(tc.opt, 0.1, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			ps := one(1, 0)
			for i, g := range tc.grads {
				ps[0].Grad[0] = g
				if err := o.Step(ps); err != nil {
					t.Fatal(err)
				}
				if got := float64(ps[0].Value[0]); !near(got, tc.want[i], 2e-6) {
					t.Errorf("%s step %d: p = %.9g; want %.9g", tc.opt, i+1, got, tc.want[i])
				}
			}
			if o.Steps() != int64(len(tc.grads)) {
				t.Errorf("Steps() = %d; want %d", o.Steps(), len(tc.grads))
			}
		})
	}
}

func TestNoDecay(t *testing.T) {
	for _, name := range Names() {
		o, _ := ByName(name, 0.1, WeightDecay(0.5))
		ps := []Param{
			{Name: "w", Value: []float32{1}, Grad: []float32{0}},
			{Name: "b", Value: []float32{1}, Grad: []float32{0}, NoDecay: true},
		}
		o.Step(ps)
		if ps[0].Value[0] >= 1 || ps[1].Value[0] != 1 {
			t.Errorf("%s with zero gradients and decay 0.5: w = %v (want < 1), NoDecay b = %v (want 1)", name, ps[0].Value[0], ps[1].Value[0])
		}
	}
}

func TestByNameErrors(t *testing.T) {
	tests := []struct {
		name string
		lr   float64
		opts []Option
		want string
	}{
		{"rmsprop", 0.1, nil, "unknown optimizer"},
		{"adam", 0, nil, "learning rate"},
		{"adam", math.NaN(), nil, "learning rate"},
		{"sgd", math.Inf(1), nil, "learning rate"},
		{"sgd", 0.1, []Option{Momentum(1)}, "momentum"},
		{"adam", 0.1, []Option{Momentum(0.5)}, "SGD setting"},
		{"adam", 0.1, []Option{Betas(0.9, 1)}, "betas"},
		{"adam", 0.1, []Option{Epsilon(0)}, "epsilon"},
		{"adamw", 0.1, []Option{WeightDecay(-1)}, "weight decay"},
		{"sgd", 0.1, []Option{ClipNorm(-1)}, "clip norm"},
		{"nesterov", 0.1, []Option{Momentum(0)}, "momentum > 0"},
	}
	for _, tc := range tests {
		_, err := ByName(tc.name, tc.lr, tc.opts...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ByName(%q, %v) error = %v; want one containing %q", tc.name, tc.lr, err, tc.want)
		}
	}
	for _, n := range Names() {
		o, err := ByName(strings.ToUpper(n), DefaultLR(n))
		if err != nil || o.Name() != n {
			t.Errorf("ByName(%q) = %v, %v; want an optimizer named %q", strings.ToUpper(n), o, err, n)
		}
	}
}

func TestStepParamMismatch(t *testing.T) {
	o, _ := ByName("adam", 0.1)
	ps := one(1, 1)
	if err := o.Step(ps); err != nil {
		t.Fatal(err)
	}
	if err := o.Step(append(ps, ps[0])); err == nil {
		t.Error("Step with an extra parameter: no error")
	}
	other := []Param{{Name: "b", Value: []float32{1}, Grad: []float32{1}}}
	if err := o.Step(other); err == nil {
		t.Error("Step with a renamed parameter: no error")
	}
	bad := []Param{{Name: "x", Value: []float32{1, 2}, Grad: []float32{1}}}
	if err := new(SGD).Step(bad); err == nil {
		t.Error("Step with len(Grad) != len(Value): no error")
	}
}

func TestClipGlobalNorm(t *testing.T) {
	ps := []Param{
		{Name: "a", Value: make([]float32, 1), Grad: []float32{3}},
		{Name: "b", Value: make([]float32, 1), Grad: []float32{4}},
	}
	if n := ClipGlobalNorm(ps, 10); n != 5 || ps[0].Grad[0] != 3 {
		t.Errorf("ClipGlobalNorm(norm 5, max 10) = %v, grads %v; want 5 and unchanged", n, ps[0].Grad)
	}
	if n := ClipGlobalNorm(ps, 1); n != 5 {
		t.Errorf("ClipGlobalNorm = %v; want 5", n)
	}
	if g := GlobalNorm(ps); !near(g, 1, 1e-6) {
		t.Errorf("norm after clipping to 1 = %v; want 1", g)
	}
	if !near(float64(ps[0].Grad[0]), 0.6, 1e-6) || !near(float64(ps[1].Grad[0]), 0.8, 1e-6) {
		t.Errorf("clipped grads = %v, %v; want 0.6, 0.8", ps[0].Grad[0], ps[1].Grad[0])
	}
	ps[0].Grad[0] = float32(math.NaN())
	if n := ClipGlobalNorm(ps, 1); !math.IsNaN(n) || ps[1].Grad[0] != ps[1].Grad[0] {
		t.Errorf("ClipGlobalNorm with NaN = %v; want NaN, gradients untouched", n)
	}
	// Clipping inside Step: SGD lr 1, grads (3, 4), clip 1 → p = −(0.6, 0.8).
	o, _ := ByName("sgd", 1, ClipNorm(1))
	ps[0].Grad[0], ps[1].Grad[0] = 3, 4
	if err := o.Step(ps); err != nil {
		t.Fatal(err)
	}
	if !near(float64(ps[0].Value[0]), -0.6, 1e-6) || !near(float64(ps[1].Value[0]), -0.8, 1e-6) {
		t.Errorf("SGD with ClipNorm(1): p = %v, %v; want -0.6, -0.8", ps[0].Value[0], ps[1].Value[0])
	}
}

// TestStateRoundTrip interrupts a run after 3 steps, restores the state
// into a fresh optimiser and checks the next steps are bit-identical.
func TestStateRoundTrip(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			mk := func() []Param {
				return []Param{
					{Name: "w", Value: []float32{1, -2, 3}, Grad: make([]float32, 3)},
					{Name: "b", Value: []float32{0.5}, Grad: make([]float32, 1)},
				}
			}
			grad := func(ps []Param, s int) {
				for i := range ps {
					for j := range ps[i].Grad {
						ps[i].Grad[j] = float32(math.Sin(float64(s*7 + i*3 + j)))
					}
				}
			}
			a, _ := ByName(name, 0.05, WeightDecay(0.01), ClipNorm(2))
			pa := mk()
			for s := 0; s < 3; s++ {
				grad(pa, s)
				a.Step(pa)
			}
			blob, err := a.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := ByName(name, 1) // different lr: restored from the state
			if err := b.UnmarshalBinary(blob); err != nil {
				t.Fatal(err)
			}
			if b.LR() != 0.05 || b.Steps() != 3 {
				t.Errorf("restored LR, Steps = %v, %d; want 0.05, 3", b.LR(), b.Steps())
			}
			pb := mk()
			for i := range pb {
				copy(pb[i].Value, pa[i].Value)
			}
			for s := 3; s < 6; s++ {
				grad(pa, s)
				grad(pb, s)
				a.Step(pa)
				b.Step(pb)
			}
			for i := range pa {
				for j := range pa[i].Value {
					if math.Float32bits(pa[i].Value[j]) != math.Float32bits(pb[i].Value[j]) {
						t.Fatalf("param %d[%d]: resumed %v; uninterrupted %v", i, j, pb[i].Value[j], pa[i].Value[j])
					}
				}
			}
			again, _ := b.MarshalBinary()
			blobA, _ := a.MarshalBinary()
			if !bytes.Equal(again, blobA) {
				t.Error("states differ after the same steps")
			}
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	a, _ := ByName("adam", 0.1)
	a.Step(one(1, 1))
	good, _ := a.MarshalBinary()
	tests := []struct {
		name string
		data []byte
		into Optimizer
		want string
	}{
		{"empty", nil, NewAdam(0.1), "truncated magic"},
		{"magic", append([]byte("XXXXXXXX"), good[8:]...), NewAdam(0.1), "bad magic"},
		{"kind", good, NewSGD(0.1, 0, false), `for "adam"`},
		{"truncated", good[:len(good)-2], NewAdam(0.1), "needs 4 bytes, 2 left"},
		{"truncated header", good[:20], NewAdam(0.1), "truncated"},
		{"trailing", append(append([]byte(nil), good...), 0), NewAdam(0.1), "trailing"},
		{"adamw from adam", good, NewAdamW(0.1), `for "adam"`},
	}
	for _, tc := range tests {
		err := tc.into.UnmarshalBinary(tc.data)
		if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: UnmarshalBinary = %v; want ErrState containing %q", tc.name, err, tc.want)
		}
	}
	// A huge declared parameter count is refused before allocating.
	huge := append([]byte(nil), good[:8+2+4+16+2]...)
	for i := 0; i < 5; i++ { // the five hyper-parameters
		huge = appendString(huge, []string{"beta1", "beta2", "epsilon", "weight_decay", "clip_norm"}[i])
		huge = append(huge, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	huge = append(huge, 0xff, 0xff, 0x0f, 0)
	if err := NewAdam(0.1).UnmarshalBinary(huge); err == nil || !strings.Contains(err.Error(), "parameters") {
		t.Errorf("UnmarshalBinary(huge count) = %v; want a parameter count error", err)
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, n := range Names() {
		o, _ := ByName(n, 0.1)
		empty, _ := o.MarshalBinary()
		f.Add(empty)
		o.Step(one(1, 1))
		b, _ := o.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, n := range Names() {
			o, _ := ByName(n, 0.1)
			if err := o.UnmarshalBinary(data); err != nil {
				continue
			}
			// A state that decodes must re-encode to the same bytes
			// (except for sgd/momentum/nesterov sharing one kind) and
			// must either step or refuse the parameters cleanly.
			if again, err := o.MarshalBinary(); err != nil || (n == o.Name() && !bytes.Equal(again, data)) {
				t.Fatalf("%s: re-encoding differs (%v)", n, err)
			}
			_ = o.Step(one(1, 1))
		}
	})
}

func BenchmarkStep(b *testing.B) {
	// The baseline MLP's parameters: 784·128 + 128 + 128·10 + 10.
	sizes := []int{784 * 128, 128, 128 * 10, 10}
	for _, name := range Names() {
		b.Run(name, func(b *testing.B) {
			ps := make([]Param, len(sizes))
			n := 0
			for i, s := range sizes {
				ps[i] = Param{Name: string(rune('a' + i)), Value: make([]float32, s), Grad: make([]float32, s)}
				for j := range ps[i].Grad {
					ps[i].Grad[j] = 1e-3 * float32(j%17-8)
				}
				n += s
			}
			o, _ := ByName(name, 1e-3, ClipNorm(100))
			o.Step(ps)
			b.SetBytes(int64(n * 4))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := o.Step(ps); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestStepAllocs(t *testing.T) {
	for _, name := range Names() {
		o, _ := ByName(name, 1e-3, ClipNorm(1))
		ps := []Param{{Name: "w", Value: make([]float32, 100), Grad: make([]float32, 100)}}
		o.Step(ps)
		if n := testing.AllocsPerRun(10, func() { o.Step(ps) }); n != 0 {
			t.Errorf("%s: Step allocates %v times; want 0", name, n)
		}
	}
}
