package optim

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
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
// into a fresh optimiser and checks the next steps are bit-identical, and
// that the state is a copy (stepping on does not change a taken state).
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
			st := a.State()
			if st.Kind != name {
				t.Errorf("State().Kind = %q; want %q", st.Kind, name)
			}
			js, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := ByName(name, 1) // different lr: restored from the state
			if err := b.SetState(st); err != nil {
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
			sa, sb := a.State(), b.State()
			ja, _ := json.Marshal(sa)
			jb, _ := json.Marshal(sb)
			if !bytes.Equal(ja, jb) || !reflect.DeepEqual(sa.Moments, sb.Moments) {
				t.Errorf("states differ after the same steps:\n%s\n%s", ja, jb)
			}
			if again, _ := json.Marshal(st); !bytes.Equal(again, js) {
				t.Error("a state taken before more steps changed with them")
			}
			if len(st.Slots) > 0 && reflect.DeepEqual(st.Moments, sa.Moments) {
				t.Error("the moments did not move in 3 steps, or State shares them with the optimiser")
			}
		})
	}
}

func TestSetStateErrors(t *testing.T) {
	good := func(name string) State {
		o, _ := ByName(name, 0.1)
		o.Step([]Param{{Name: "w", Value: []float32{1, 2}, Grad: []float32{1, 1}}})
		return o.State()
	}
	edit := func(name string, f func(*State)) State {
		s := good(name)
		f(&s)
		return s
	}
	tests := []struct {
		name string
		s    State
		into Optimizer
		want string
	}{
		{"zero", State{}, NewAdam(0.1), `state is for ""`},
		{"kind", good("adam"), NewSGD(0.1, 0, false), `for "adam", not "sgd"`},
		{"adamw from adam", good("adam"), NewAdamW(0.1), `for "adam", not "adamw"`},
		{"momentum kind from sgd", edit("sgd", func(s *State) { s.Kind = "momentum" }), NewSGD(0.1, 0, false), `for "momentum", not "sgd"`},
		{"steps", edit("adam", func(s *State) { s.Steps = -1 }), NewAdam(0.1), "steps -1"},
		{"lr", edit("adam", func(s *State) { s.LR = math.Inf(1) }), NewAdam(0.1), "learning rate +Inf"},
		{"missing hyper", edit("adam", func(s *State) { delete(s.Hyper, "beta2") }), NewAdam(0.1), "hyper-parameters beta1, clip_norm, epsilon, weight_decay; adam has beta1, beta2"},
		{"renamed hyper", edit("adam", func(s *State) { s.Hyper["beta3"] = s.Hyper["beta2"]; delete(s.Hyper, "beta2") }), NewAdam(0.1), "hyper-parameters beta1, beta3, clip_norm"},
		{"extra hyper", edit("adam", func(s *State) { s.Hyper["gamma"] = 1 }), NewAdam(0.1), "gamma"},
		{"nan hyper", edit("adam", func(s *State) { s.Hyper["epsilon"] = math.NaN() }), NewAdam(0.1), "epsilon = NaN"},
		{"beta", edit("adam", func(s *State) { s.Hyper["beta1"] = 1 }), NewAdam(0.1), "betas (1, 0.999)"},
		{"nesterov", edit("nesterov", func(s *State) { s.Hyper["nesterov"] = 0.5 }), NewSGD(0.1, 0, false), "nesterov = 0.5"},
		{"no nesterov", edit("sgd", func(s *State) { delete(s.Hyper, "nesterov") }), NewSGD(0.1, 0, false), "nesterov missing"},
		{"momentum 1", edit("momentum", func(s *State) { s.Hyper["momentum"] = 1 }), NewSGD(0.1, 0, false), "momentum 1 outside"},
		{"momentum without velocity", edit("sgd", func(s *State) { s.Hyper["momentum"] = 0.9; s.Kind = "momentum" }), NewSGD(0.1, 0, false), "moment slots []; momentum keeps [velocity]"},
		{"slots", edit("adam", func(s *State) { s.Slots = []string{"v", "m"} }), NewAdam(0.1), "moment slots [v m]; adam keeps [m v]"},
		{"slot count", edit("adam", func(s *State) { s.Moments = s.Moments[:1] }), NewAdam(0.1), "1 moment slots of values; adam keeps 2"},
		{"moment size", edit("adam", func(s *State) { s.Moments[1][0] = s.Moments[1][0][:1] }), NewAdam(0.1), "slot v of parameter w holds 1 values; want 2"},
		{"moment params", edit("adam", func(s *State) { s.Moments[0] = nil }), NewAdam(0.1), "slot m holds 0 parameters; the state binds 1"},
		{"moments without params", edit("adam", func(s *State) { s.Params = nil }), NewAdam(0.1), "2 moment slots of values for 0 parameters"},
		{"repeated name", edit("sgd", func(s *State) { s.Params = append(s.Params, s.Params[0]) }), NewSGD(0.1, 0, false), `repeated name "w"`},
		{"size", edit("sgd", func(s *State) { s.Params[0].Size = -1 }), NewSGD(0.1, 0, false), "size -1"},
		{"too many", edit("sgd", func(s *State) { s.Params = make([]StateParam, maxStateParameters+1) }), NewSGD(0.1, 0, false), "more than the limit"},
	}
	for _, tc := range tests {
		before, _ := json.Marshal(tc.into.State())
		err := tc.into.SetState(tc.s)
		if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: SetState = %v; want ErrState containing %q", tc.name, err, tc.want)
		}
		if after, _ := json.Marshal(tc.into.State()); !bytes.Equal(before, after) {
			t.Errorf("%s: a refused SetState changed the optimiser: %s -> %s", tc.name, before, after)
		}
	}
	// A restored state binds its parameters: Step with others is refused.
	o := NewAdam(0.1)
	if err := o.SetState(good("adam")); err != nil {
		t.Fatal(err)
	}
	if err := o.Step(one(1, 1)); err == nil || !strings.Contains(err.Error(), `state holds "w" (2 values)`) {
		t.Errorf("Step with other parameters after SetState = %v", err)
	}
}

// FuzzUnmarshal decodes the JSON part of a state, gives it moments of the
// declared sizes and restores it into every optimiser: SetState must
// refuse it cleanly or give back the same state, which must then step or
// refuse the parameters cleanly.
func FuzzUnmarshal(f *testing.F) {
	for _, n := range Names() {
		o, _ := ByName(n, 0.1)
		empty, _ := json.Marshal(o.State())
		f.Add(empty)
		o.Step(one(1, 1))
		b, _ := json.Marshal(o.State())
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s State
		if json.Unmarshal(data, &s) != nil || len(s.Params) > 64 || len(s.Slots) > 4 {
			return
		}
		total := 0
		for _, p := range s.Params {
			if p.Size < 0 || p.Size > 1<<12 {
				return
			}
			total += p.Size
		}
		if len(s.Params) > 0 && len(s.Slots) > 0 {
			s.Moments = make([][][]float32, len(s.Slots))
			for i := range s.Moments {
				for _, p := range s.Params {
					s.Moments[i] = append(s.Moments[i], make([]float32, p.Size))
				}
			}
		}
		for _, n := range Names() {
			o, _ := ByName(n, 0.1)
			if err := o.SetState(s); err != nil {
				if !errors.Is(err, ErrState) {
					t.Fatalf("%s: SetState error %v does not wrap ErrState", n, err)
				}
				continue
			}
			got := o.State()
			want, _ := json.Marshal(s)
			again, _ := json.Marshal(got)
			if len(s.Slots) == 0 && len(got.Slots) == 0 {
				s.Slots = got.Slots // nil and [] are the same state
				want, _ = json.Marshal(s)
			}
			if len(s.Params) == 0 && len(got.Params) == 0 {
				s.Params = got.Params
				want, _ = json.Marshal(s)
			}
			if !bytes.Equal(want, again) {
				t.Fatalf("%s: restored state differs:\n%s\n%s", n, want, again)
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
