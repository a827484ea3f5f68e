package optim

import (
	"fmt"
	"math"
)

// Param is one trainable tensor seen flat: Value and Grad have equal length.
// Name identifies the parameter in saved optimiser state.
type Param struct {
	Name  string
	Value []float32
	Grad  []float32
	// NoDecay exempts the parameter from weight decay (biases and
	// normalisation scales usually are).
	NoDecay bool
}

// Optimizer updates parameters from their gradients.
//
// Step must be given the same parameters, in the same order and with the
// same lengths, on every call; the optimiser's state is matched to them by
// position and checked by name and length.
type Optimizer interface {
	// Name is the name ByName knows the optimiser by ("adam", "sgd", ...).
	Name() string
	// Step applies one update using each parameter's Grad. Gradients may be
	// scaled in place by clipping.
	Step(params []Param) error
	// LR returns the learning rate the next Step will use.
	LR() float64
	// SetLR changes the learning rate; schedules call it before each Step.
	SetLR(lr float64)
	// Steps is the number of Step calls so far (restored by SetState).
	Steps() int64
	// State returns a copy of the full state: kind, hyper-parameters,
	// step count, learning rate and per-parameter moments.
	State() State
	// SetState restores a state returned by State of an optimiser of the
	// same kind, or changes nothing and returns an error wrapping ErrState.
	SetState(s State) error
}

// Option changes a hyper-parameter away from its default in ByName.
type Option func(*settings) error

type settings struct {
	momentum    float64
	hasMomentum bool
	beta1       float64
	beta2       float64
	epsilon     float64
	weightDecay float64
	hasDecay    bool
	clipNorm    float64
}

// Momentum sets the momentum of SGD (0 ≤ m < 1). Giving it to "sgd" turns
// on classical momentum.
func Momentum(m float64) Option {
	return func(s *settings) error {
		if !(m >= 0 && m < 1) {
			return fmt.Errorf("optim: momentum %v outside [0, 1)", m)
		}
		s.momentum, s.hasMomentum = m, true
		return nil
	}
}

// Betas sets Adam's moment decay rates (0 ≤ β < 1).
func Betas(beta1, beta2 float64) Option {
	return func(s *settings) error {
		if !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) {
			return fmt.Errorf("optim: betas (%v, %v) outside [0, 1)", beta1, beta2)
		}
		s.beta1, s.beta2 = beta1, beta2
		return nil
	}
}

// Epsilon sets Adam's denominator guard (> 0).
func Epsilon(eps float64) Option {
	return func(s *settings) error {
		if !(eps > 0) || math.IsInf(eps, 0) {
			return fmt.Errorf("optim: epsilon %v must be positive and finite", eps)
		}
		s.epsilon = eps
		return nil
	}
}

// WeightDecay sets the weight decay (≥ 0): an L2 term added to the gradient
// for SGD and Adam, decoupled decay for AdamW.
func WeightDecay(wd float64) Option {
	return func(s *settings) error {
		if !(wd >= 0) || math.IsInf(wd, 0) {
			return fmt.Errorf("optim: weight decay %v must be ≥ 0 and finite", wd)
		}
		s.weightDecay, s.hasDecay = wd, true
		return nil
	}
}

// ClipNorm rescales the gradients before each step so that their global L2
// norm is at most max (> 0). Zero turns clipping off.
func ClipNorm(max float64) Option {
	return func(s *settings) error {
		if !(max >= 0) || math.IsInf(max, 0) {
			return fmt.Errorf("optim: clip norm %v must be ≥ 0 and finite", max)
		}
		s.clipNorm = max
		return nil
	}
}

// Default hyper-parameters, Keras' where Keras has one. The default
// learning rates are in the table of registry.go (DefaultLR).
const (
	DefaultMomentum    = 0.9
	DefaultBeta1       = 0.9
	DefaultBeta2       = 0.999
	DefaultEpsilon     = 1e-7
	DefaultAdamWDecay  = 0.004
	maxStateParameters = 1 << 20
)

func checkLR(lr float64) error {
	if !(lr > 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("optim: learning rate %v must be positive and finite", lr)
	}
	return nil
}

// checkParams verifies that params match the state slots bound on the
// first step. It allocates nothing.
func checkParams(names []string, sizes []int, params []Param) error {
	if len(params) != len(sizes) {
		return fmt.Errorf("optim: Step got %d parameters; state has %d", len(params), len(sizes))
	}
	for i := range params {
		p := &params[i]
		if len(p.Value) != len(p.Grad) {
			return fmt.Errorf("optim: parameter %q has %d values but %d gradients", p.Name, len(p.Value), len(p.Grad))
		}
		if len(p.Value) != sizes[i] || p.Name != names[i] {
			return fmt.Errorf("optim: parameter %d is %q (%d values); state holds %q (%d values)",
				i, p.Name, len(p.Value), names[i], sizes[i])
		}
	}
	return nil
}

func bindNames(params []Param) ([]string, []int, error) {
	names := make([]string, len(params))
	sizes := make([]int, len(params))
	for i, p := range params {
		if len(p.Value) != len(p.Grad) {
			return nil, nil, fmt.Errorf("optim: parameter %q has %d values but %d gradients", p.Name, len(p.Value), len(p.Grad))
		}
		names[i], sizes[i] = p.Name, len(p.Value)
	}
	return names, sizes, nil
}
