package optim

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// ErrState is wrapped by every error restoring optimiser state.
var ErrState = errors.New("optim: invalid optimizer state")

func fmtState(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrState, fmt.Sprintf(format, a...))
}

// State is an optimiser's full state, for checkpoints: what it is (Kind and
// hyper-parameters), where it is (Steps, LR) and the moments it keeps for
// each parameter. A checkpoint stores the moments as named tensors and the
// rest as the struct's JSON encoding, in which float64 values round-trip
// exactly.
type State struct {
	Kind  string             `json:"kind"`  // the optimiser's Name
	Steps int64              `json:"steps"` // Step calls so far
	LR    float64            `json:"lr"`    // learning rate of the last SetLR or Step
	Hyper map[string]float64 `json:"hyper"` // hyper-parameters by name ("beta1", "momentum", ...)
	// Slots names the moments kept per parameter, in order: "m" and "v"
	// for Adam and AdamW, "velocity" for SGD with momentum, none for plain
	// SGD.
	Slots []string `json:"slots"`
	// Params are the parameters the state is bound to, in Step order; none
	// before the first Step.
	Params []StateParam `json:"params"`
	// Moments[s][p] holds moment Slots[s] of Params[p] (Params[p].Size
	// values). It is nil when Params or Slots is empty.
	Moments [][][]float32 `json:"-"`
}

// StateParam names a parameter bound to an optimiser's state and its
// number of values.
type StateParam struct {
	Name string `json:"name"`
	Size int    `json:"size"`
}

// hyper names a hyper-parameter and where it lives.
type hyper struct {
	name string
	val  *float64
}

// stateView describes one optimiser's state by pointers into it, so
// snapshot and restore serve every optimiser.
type stateView struct {
	kind  string
	steps *int64
	lr    *float64
	hyper []hyper
	names *[]string
	sizes *[]int
	slots []string       // slot names
	data  *[][][]float32 // data[slot][param]
}

// snapshot returns a copy of the state.
func (v *stateView) snapshot() State {
	s := State{Kind: v.kind, Steps: *v.steps, LR: *v.lr, Hyper: make(map[string]float64, len(v.hyper)),
		Slots: slices.Clone(v.slots), Params: []StateParam{}}
	if s.Slots == nil {
		s.Slots = []string{}
	}
	for _, h := range v.hyper {
		s.Hyper[h.name] = *h.val
	}
	for i, n := range *v.names {
		s.Params = append(s.Params, StateParam{Name: n, Size: (*v.sizes)[i]})
	}
	if len(s.Params) > 0 && len(v.slots) > 0 {
		s.Moments = cloneMoments(*v.data)
	}
	return s
}

// restore checks s against the view's optimiser (kind, hyper-parameter
// names, slots, sizes, ranges) and fills the view's targets, with a copy
// of the moments, only when all of s is valid.
func (v *stateView) restore(s State) error {
	if s.Kind != v.kind {
		return fmtState("state is for %q, not %q", s.Kind, v.kind)
	}
	if s.Steps < 0 || !(s.LR > 0) || math.IsInf(s.LR, 0) {
		return fmtState("steps %d or learning rate %v out of range", s.Steps, s.LR)
	}
	want := make([]string, len(v.hyper))
	for i, h := range v.hyper {
		want[i] = h.name
	}
	have := make([]string, 0, len(s.Hyper))
	for k := range s.Hyper {
		have = append(have, k)
	}
	sort.Strings(want)
	sort.Strings(have)
	if !slices.Equal(want, have) {
		return fmtState("hyper-parameters %s; %s has %s", strings.Join(have, ", "), v.kind, strings.Join(want, ", "))
	}
	for _, h := range v.hyper {
		if x := s.Hyper[h.name]; math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return fmtState("hyper-parameter %s = %v", h.name, x)
		}
	}
	if !slices.Equal(s.Slots, v.slots) {
		return fmtState("moment slots [%s]; %s keeps [%s]", strings.Join(s.Slots, " "), v.kind, strings.Join(v.slots, " "))
	}
	if len(s.Params) > maxStateParameters {
		return fmtState("%d parameters is more than the limit %d", len(s.Params), maxStateParameters)
	}
	var names []string
	var sizes []int
	seen := make(map[string]bool, len(s.Params))
	for i, p := range s.Params {
		if p.Name == "" || seen[p.Name] {
			return fmtState("parameter %d has an empty or repeated name %q", i, p.Name)
		}
		seen[p.Name] = true
		if p.Size < 0 || p.Size > math.MaxInt32 {
			return fmtState("parameter %s has size %d", p.Name, p.Size)
		}
		names = append(names, p.Name)
		sizes = append(sizes, p.Size)
	}
	var data [][][]float32
	if len(s.Params) > 0 && len(v.slots) > 0 {
		if len(s.Moments) != len(v.slots) {
			return fmtState("%d moment slots of values; %s keeps %d", len(s.Moments), v.kind, len(v.slots))
		}
		for si, per := range s.Moments {
			if len(per) != len(s.Params) {
				return fmtState("slot %s holds %d parameters; the state binds %d", v.slots[si], len(per), len(s.Params))
			}
			for pi, m := range per {
				if len(m) != sizes[pi] {
					return fmtState("slot %s of parameter %s holds %d values; want %d", v.slots[si], names[pi], len(m), sizes[pi])
				}
			}
		}
		data = cloneMoments(s.Moments)
	} else if len(s.Moments) != 0 {
		return fmtState("%d moment slots of values for %d parameters and %d slots", len(s.Moments), len(s.Params), len(v.slots))
	}
	*v.steps, *v.lr = s.Steps, s.LR
	for _, h := range v.hyper {
		*h.val = s.Hyper[h.name]
	}
	*v.names, *v.sizes, *v.data = names, sizes, data
	return nil
}

func cloneMoments(m [][][]float32) [][][]float32 {
	c := make([][][]float32, len(m))
	for i, per := range m {
		c[i] = make([][]float32, len(per))
		for j, v := range per {
			c[i][j] = slices.Clone(v)
		}
	}
	return c
}

func (o *Adam) view() *stateView {
	return &stateView{kind: o.Name(), steps: &o.steps, lr: &o.lr, names: &o.names, sizes: &o.sizes, data: &o.mv,
		hyper: []hyper{{"beta1", &o.Beta1}, {"beta2", &o.Beta2}, {"epsilon", &o.Epsilon},
			{"weight_decay", &o.WeightDecay}, {"clip_norm", &o.ClipNorm}},
		slots: []string{"m", "v"}}
}

// State returns a copy of the optimiser's state: kind "adam" or "adamw",
// hyper-parameters beta1, beta2, epsilon, weight_decay and clip_norm,
// slots "m" and "v".
func (o *Adam) State() State { return o.view().snapshot() }

// SetState restores a state returned by State of an optimiser of the same
// kind (Adam into Adam, AdamW into AdamW), copying its moments. It changes
// nothing when s is invalid.
func (o *Adam) SetState(s State) error {
	probe := &Adam{Decoupled: o.Decoupled}
	if err := probe.view().restore(s); err != nil {
		return err
	}
	if !(probe.Beta1 < 1 && probe.Beta2 < 1 && probe.Epsilon > 0) {
		return fmtState("betas (%v, %v) or epsilon %v out of range", probe.Beta1, probe.Beta2, probe.Epsilon)
	}
	*o = *probe
	return nil
}

func (o *SGD) view(momentum bool) *stateView {
	v := &stateView{kind: o.Name(), steps: &o.steps, lr: &o.lr, names: &o.names, sizes: &o.sizes, data: &o.velocity,
		hyper: []hyper{{"momentum", &o.Momentum}, {"weight_decay", &o.WeightDecay}, {"clip_norm", &o.ClipNorm}}}
	if momentum {
		v.slots = []string{"velocity"}
	}
	return v
}

// State returns a copy of the optimiser's state: kind "sgd", "momentum"
// or "nesterov", hyper-parameters momentum, weight_decay, clip_norm and
// nesterov (0 or 1), slot "velocity" with momentum.
func (o *SGD) State() State {
	s := o.view(o.Momentum > 0).snapshot()
	s.Hyper["nesterov"] = 0
	if o.Nesterov {
		s.Hyper["nesterov"] = 1
	}
	return s
}

// SetState restores a state returned by State of any SGD (plain, momentum
// or Nesterov: the state's hyper-parameters decide which), copying its
// moments. It changes nothing when s is invalid.
func (o *SGD) SetState(s State) error {
	if s.Kind != "sgd" && s.Kind != "momentum" && s.Kind != "nesterov" {
		return fmtState("state is for %q, not %q", s.Kind, o.Name())
	}
	nest, ok := s.Hyper["nesterov"]
	if !ok {
		return fmtState("hyper-parameter nesterov missing")
	}
	if nest != 0 && nest != 1 {
		return fmtState("nesterov = %v; want 0 or 1", nest)
	}
	mom := s.Hyper["momentum"]
	// The kind and the slots follow from the stored hyper-parameters; a
	// state whose kind disagrees with them is refused by restore.
	probe := &SGD{Momentum: mom, Nesterov: nest == 1}
	if mom >= 1 {
		return fmtState("momentum %v outside [0, 1)", mom)
	}
	hs := make(map[string]float64, len(s.Hyper))
	for k, x := range s.Hyper {
		if k != "nesterov" {
			hs[k] = x
		}
	}
	s.Hyper = hs
	if err := probe.view(mom > 0).restore(s); err != nil {
		return err
	}
	*o = *probe
	return nil
}
