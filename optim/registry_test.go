package optim

import (
	"slices"
	"strings"
	"testing"
)

// TestTable checks the one table of optimisers: names sorted and unique,
// the default learning rates users know (Keras': 0.01 for SGD, 0.001 for
// Adam), and that each entry builds the optimiser its name says.
func TestTable(t *testing.T) {
	names := Names()
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("Names() = %v; want sorted, unique names", names)
	}
	want := map[string]float64{"adam": 0.001, "adamw": 0.001, "momentum": 0.01, "nesterov": 0.01, "sgd": 0.01}
	if len(names) != len(want) {
		t.Errorf("Names() = %v; want the %d optimisers %v", names, len(want), want)
	}
	for n, lr := range want {
		if got := DefaultLR(n); got != lr {
			t.Errorf("DefaultLR(%q) = %v; want %v", n, got, lr)
		}
		if got := DefaultLR(strings.ToUpper(n)); got != lr {
			t.Errorf("DefaultLR(%q) = %v; want %v", strings.ToUpper(n), got, lr)
		}
	}
	if got := DefaultLR("rmsprop"); got != 0 {
		t.Errorf("DefaultLR(%q) = %v; want 0", "rmsprop", got)
	}

	build := func(name string) Optimizer {
		t.Helper()
		o, err := ByName(name, 0.5)
		if err != nil {
			t.Fatalf("ByName(%q, 0.5) = %v", name, err)
		}
		if o.Name() != name || o.LR() != 0.5 {
			t.Errorf("ByName(%q, 0.5) gives %q at lr %v", name, o.Name(), o.LR())
		}
		return o
	}
	for _, tc := range []struct {
		name     string
		momentum float64
		nesterov bool
	}{
		{name: "sgd"},
		{name: "momentum", momentum: DefaultMomentum},
		{name: "nesterov", momentum: DefaultMomentum, nesterov: true},
	} {
		s, ok := build(tc.name).(*SGD)
		if !ok || s.Momentum != tc.momentum || s.Nesterov != tc.nesterov || s.WeightDecay != 0 {
			t.Errorf("ByName(%q) = %+v; want SGD with momentum %v, Nesterov %v", tc.name, s, tc.momentum, tc.nesterov)
		}
	}
	for _, tc := range []struct {
		name        string
		weightDecay float64
		decoupled   bool
	}{
		{name: "adam"},
		{name: "adamw", weightDecay: DefaultAdamWDecay, decoupled: true},
	} {
		a, ok := build(tc.name).(*Adam)
		if !ok || a.Decoupled != tc.decoupled || a.WeightDecay != tc.weightDecay ||
			a.Beta1 != DefaultBeta1 || a.Beta2 != DefaultBeta2 || a.Epsilon != DefaultEpsilon {
			t.Errorf("ByName(%q) = %+v; want Adam with decoupled %v, weight decay %v and the default betas and epsilon",
				tc.name, a, tc.decoupled, tc.weightDecay)
		}
	}

	// An unknown name is reported with every known one.
	_, err := ByName("rmsprop", 0.1)
	if err == nil || !strings.Contains(err.Error(), `"rmsprop"`) || !strings.Contains(err.Error(), strings.Join(names, ", ")) {
		t.Errorf("ByName(%q) error = %v; want one naming it and listing %v", "rmsprop", err, names)
	}
}
