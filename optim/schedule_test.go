package optim

import (
	"math"
	"strings"
	"testing"
)

func TestSchedulesAtKnownPoints(t *testing.T) {
	oc := OneCycle{Max: 1, Total: 100, PctStart: 0.3, DivFactor: 25, FinalDivFactor: 1e4}
	tests := []struct {
		name string
		s    Schedule
		step int
		want float64
	}{
		{"constant", Constant(0.1), 12345, 0.1},
		{"step before drop", StepDecay{0.1, 0.5, 10}, 9, 0.1},
		{"step at drop", StepDecay{0.1, 0.5, 10}, 10, 0.05},
		{"step twice", StepDecay{0.1, 0.5, 10}, 25, 0.025},
		{"exponential 0", Exponential{1, 0.5, 4}, 0, 1},
		{"exponential half period", Exponential{1, 0.5, 4}, 2, math.Sqrt(0.5)},
		{"exponential 2 periods", Exponential{1, 0.5, 4}, 8, 0.25},
		{"cosine warm-up first", Cosine{1, 0, 10, 110}, 0, 0.1},
		{"cosine warm-up last", Cosine{1, 0, 10, 110}, 9, 1},
		{"cosine start", Cosine{1, 0, 10, 110}, 10, 1},
		{"cosine middle", Cosine{1, 0, 10, 110}, 60, 0.5},
		{"cosine quarter", Cosine{1, 0.2, 0, 100}, 25, 0.2 + 0.8*0.5*(1+math.Sqrt(0.5))},
		{"cosine end", Cosine{1, 0, 10, 110}, 110, 0},
		{"cosine after end", Cosine{1, 0.1, 10, 110}, 500, 0.1},
		// PyTorch OneCycleLR(max_lr=1, total_steps=100): starts at 1/25,
		// peaks at step 29 (pct_start·total − 1), ends at 1/25/1e4.
		{"onecycle start", oc, 0, 0.04},
		{"onecycle peak", oc, 29, 1},
		{"onecycle rising middle", oc, 14, 0.04 + (1-0.04)/2*(1-math.Cos(math.Pi*14/29))},
		{"onecycle falling middle", oc, 64, (1 + 4e-6) / 2},
		{"onecycle end", oc, 99, 4e-6},
	}
	for _, tc := range tests {
		if got := tc.s.LR(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: LR(%d) = %.15g; want %.15g", tc.name, tc.step, got, tc.want)
		}
	}
}

func TestParseSchedule(t *testing.T) {
	good := []struct {
		spec  string
		steps int // steps per epoch 10, 4 epochs
		want  []float64
	}{
		{"", 0, []float64{0.1}},
		{"constant", 39, []float64{0.1}},
		{"step:every=2,gamma=0.5", 20, []float64{0.05}},
		{"STEP: every = 0.5", 5, []float64{0.01}},
		{"exponential:gamma=0.5", 10, []float64{0.05}},
		{"cosine", 20, []float64{0.05}},
		{"cosine:warmup=1", 0, []float64{0.01}},
		{"onecycle", 0, []float64{0.004}},
		{"one-cycle", 0, []float64{0.004}},
	}
	for _, tc := range good {
		spec, err := ParseSchedule(tc.spec)
		if err != nil {
			t.Errorf("ParseSchedule(%q) error %v", tc.spec, err)
			continue
		}
		s, err := spec.Build(0.1, 10, 4)
		if err != nil {
			t.Errorf("ParseSchedule(%q).Build error %v", tc.spec, err)
			continue
		}
		if got := s.LR(tc.steps); math.Abs(got-tc.want[0]) > 1e-12 {
			t.Errorf("ParseSchedule(%q): LR(%d) = %v; want %v", tc.spec, tc.steps, got, tc.want[0])
		}
		again, err := ParseSchedule(spec.String())
		if err != nil || again.String() != spec.String() {
			t.Errorf("ParseSchedule(%q) does not round-trip through String %q: %v", tc.spec, spec.String(), err)
		}
	}
	bad := []struct{ spec, want string }{
		{"warmup", "unknown schedule"},
		{"step:gamma", "not key=value"},
		{"step:size=3", "no parameter"},
		{"step:gamma=2", "gamma"},
		{"step:every=0", "every"},
		{"exponential:gamma=NaN", "finite"},
		{"onecycle:pct=1", "pct"},
		{"plateau:factor=1", "factor"},
		{"plateau:patience=1.5", "whole"},
		{"plateau:mode=up", "mode"},
		{"cosine:warmup=-1", "finite number"},
	}
	for _, tc := range bad {
		if _, err := ParseSchedule(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSchedule(%q) error = %v; want one containing %q", tc.spec, err, tc.want)
		}
	}
	spec, _ := ParseSchedule("cosine:warmup=4")
	if _, err := spec.Build(0.1, 10, 4); err == nil {
		t.Error("cosine warm-up as long as the run: no error")
	}
	p, _ := ParseSchedule("plateau:patience=3,factor=0.5,mode=max")
	pl := p.Plateau()
	if pl == nil || pl.Patience != 3 || pl.Factor != 0.5 || pl.Mode != "max" || pl.MinDelta != 1e-4 {
		t.Errorf("plateau spec gave %+v", pl)
	}
}

// TestPlateauKeras replays a val_loss sequence through Keras' algorithm,
// worked by hand: patience 2, factor 0.5, cooldown 1, min_lr 0.2, lr 1.
func TestPlateauKeras(t *testing.T) {
	p := NewPlateau()
	p.Patience, p.Factor, p.Cooldown, p.MinLR = 2, 0.5, 1, 0.2
	steps := []struct {
		loss, wantLR float64
		reduced      bool
	}{
		{1.0, 1, false},     // best = 1
		{0.99995, 1, false}, // not better by min_delta 1e-4: wait 1
		{1.1, 0.5, true},    // wait 2 ≥ patience: lr 0.5, cooldown 1
		// Keras decrements the cooldown counter first, so the epoch after
		// a reduction already counts towards patience: wait 1.
		{1.2, 0.5, false},
		{1.2, 0.25, true},  // wait 2: lr 0.25, cooldown 1
		{0.5, 0.25, false}, // improvement: best 0.5
		{0.6, 0.25, false}, // wait 1
		{0.6, 0.2, true},   // wait 2: max(0.125, min_lr 0.2) = 0.2
		{0.6, 0.2, false},  // cooldown ends, wait 1
		{0.6, 0.2, false},  // wait 2 but lr is at min_lr: no reduction
		{math.NaN(), 0.2, false},
	}
	lr := 1.0
	for i, s := range steps {
		var red bool
		lr, red = p.Observe("val_loss", s.loss, lr)
		if math.Abs(lr-s.wantLR) > 1e-12 || red != s.reduced {
			t.Fatalf("epoch %d (val_loss %v): lr, reduced = %v, %v; want %v, %v", i, s.loss, lr, red, s.wantLR, s.reduced)
		}
	}
	if got := p.Apply(1); got != 0.2 {
		t.Errorf("Apply(1) after reductions to scale %v = %v; want 0.2 (min_lr)", p.Scale, got)
	}
	q := NewPlateau()
	q.Patience = 1
	q.Observe("val_accuracy", 0.9, 1)
	if _, red := q.Observe("val_accuracy", 0.95, 1); red {
		t.Error("val_accuracy rising was treated as a plateau (mode auto should be max)")
	}
	if _, red := q.Observe("val_accuracy", 0.94, 1); !red {
		t.Error("val_accuracy falling with patience 1 did not reduce")
	}
}

func TestModeFor(t *testing.T) {
	for _, tc := range []struct{ monitor, mode, want string }{
		{"val_loss", "auto", "min"}, {"val_accuracy", "auto", "max"}, {"val_acc", "", "max"},
		{"val_accuracy", "min", "min"}, {"loss", "MAX", "max"},
	} {
		if got, err := ModeFor(tc.monitor, tc.mode); got != tc.want || err != nil {
			t.Errorf("ModeFor(%q, %q) = %q, %v; want %q", tc.monitor, tc.mode, got, err, tc.want)
		}
	}
	if _, err := ModeFor("val_loss", "down"); err == nil {
		t.Error(`ModeFor("val_loss", "down"): no error`)
	}
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"cosine:warmup=1,min=0.001", "step:every=2,gamma=0.5", "plateau:mode=max,patience=3", "onecycle:pct=0.25", "x:y=z", ":,,="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseSchedule(s)
		if err != nil {
			return
		}
		again, err := ParseSchedule(spec.String())
		if err != nil || again.String() != spec.String() {
			t.Fatalf("%q → %q does not parse back: %v", s, spec.String(), err)
		}
		if sch, err := spec.Build(0.1, 7, 3); err == nil {
			for step := 0; step < 21; step++ {
				if lr := sch.LR(step); math.IsNaN(lr) || lr < 0 || math.IsInf(lr, 0) {
					t.Fatalf("%q: LR(%d) = %v", s, step, lr)
				}
			}
		}
	})
}
